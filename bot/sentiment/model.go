package sentiment

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/calmbot/calmbot/bot/language"
)

// The trained model is a linear softmax over three classes (negative,
// neutral, positive). For the languages it was trained on it reads hashed
// word unigrams and bigrams (a word after a negator is marked), hashed
// character n-grams of each word, the rules' reading as dense features and
// a bias per language. For the other languages (Finnish: no train split of
// its own) a second, dense-only head reads the rules' reading alone. See
// train.go for how it is fitted, calibrate.go for how its class boundaries
// are set, and `calmbot train sentiment`.

//go:embed model.bin
var modelBin []byte

// modelMagic starts a model file; the digit is the format version.
const modelMagic = "calmbot-sentiment-1\n"

// Class indexes of the model's outputs.
const (
	classNeg = iota
	classNeu
	classPos
	nClasses
)

var classLabels = [nClasses]string{Negative, Neutral, Positive}

// nDense is the number of dense features (see dense).
const nDense = 12

// maxHashed bounds the hashed features read from one text; a longer text
// is read up to there.
const maxHashed = 768

// model is a trained sentiment model, read with loadModel.
type model struct {
	bits uint32 // 1<<bits hashed buckets
	// bigrams is 1 when word bigrams are hashed.
	bigrams uint32
	// grams are the shortest and longest hashed character n-grams per
	// trained language (0: none): they help with the endings and compounds
	// of Italian and German, not with English.
	grams [][2]uint32
	langs map[string]int
	scale float32 // hashed weight = int16 * scale
	// hashed holds the hashed weights as little-endian int16s, weight
	// bucket*nClasses + class; loadModel leaves them in the file's bytes.
	hashed []byte
	dense  [nDense * nClasses]float32
	bias   [][nClasses]float32 // per trained language
	// lexDense and lexBias are the dense-only head for other languages.
	lexDense [nDense * nClasses]float32
	lexBias  [nClasses]float32
	// blend is the weight of the model's P(positive)-P(negative) in the
	// value; the rules' value has 1-blend.
	blend float32
}

// loadModel reads a model written by (*model).write.
func loadModel(data []byte) (*model, error) {
	r := bytes.NewReader(data)
	magic := make([]byte, len(modelMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != modelMagic {
		return nil, errors.New("sentiment: not a model file")
	}
	m := &model{langs: map[string]int{}}
	var nLangs, nd uint32
	for _, v := range []any{&m.bits, &m.bigrams, &nLangs, &nd, &m.scale, &m.blend} {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("sentiment: model header: %w", err)
		}
	}
	if m.bits < 8 || m.bits > 24 || nLangs > 64 || nd != nDense {
		return nil, fmt.Errorf("sentiment: model header: %d bits, %d languages, %d dense features (want %d)", m.bits, nLangs, nd, nDense)
	}
	for i := range int(nLangs) {
		n, err := r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("sentiment: model languages: %w", err)
		}
		name := make([]byte, n)
		if _, err := io.ReadFull(r, name); err != nil {
			return nil, fmt.Errorf("sentiment: model languages: %w", err)
		}
		m.langs[string(name)] = i
	}
	m.grams = make([][2]uint32, nLangs)
	m.bias = make([][nClasses]float32, nLangs)
	for _, v := range []any{m.grams, m.bias, &m.dense, &m.lexDense, &m.lexBias} {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("sentiment: model weights: %w", err)
		}
	}
	for _, g := range m.grams {
		if g[1] > 8 || g[0] > g[1] {
			return nil, fmt.Errorf("sentiment: model: character n-grams %d..%d", g[0], g[1])
		}
	}
	// The hashed weights are the rest of the file, used where they are:
	// loading copies nothing.
	n := (1 << m.bits) * nClasses * 2
	if r.Len() != n {
		return nil, fmt.Errorf("sentiment: model: %d bytes of hashed weights, want %d", r.Len(), n)
	}
	m.hashed = data[len(data)-n:]
	return m, nil
}

// write writes m in the format loadModel reads.
func (m *model) write(w io.Writer) error {
	names := make([]string, len(m.langs))
	for l, i := range m.langs {
		names[i] = l
	}
	var buf bytes.Buffer
	buf.WriteString(modelMagic)
	for _, v := range []any{m.bits, m.bigrams, uint32(len(names)), uint32(nDense), m.scale, m.blend} {
		_ = binary.Write(&buf, binary.LittleEndian, v) // a bytes.Buffer does not fail
	}
	for _, l := range names {
		buf.WriteByte(byte(len(l)))
		buf.WriteString(l)
	}
	for _, v := range []any{m.grams, m.bias, &m.dense, &m.lexDense, &m.lexBias} {
		_ = binary.Write(&buf, binary.LittleEndian, v)
	}
	buf.Write(m.hashed)
	_, err := w.Write(buf.Bytes())
	return err
}

// probs returns the model's probability of each class.
func (m *model) probs(toks []language.Token, text, lang string, d *langData, r *reading) [nClasses]float32 {
	return softmax(m.logits(toks, text, lang, d, r))
}

// logits returns the model's score of each class, before the softmax.
func (m *model) logits(toks []language.Token, text, lang string, d *langData, r *reading) [nClasses]float32 {
	var x [nDense]float32
	dense(&x, text, r)
	var z [nClasses]float32
	if li, ok := m.langs[lang]; ok {
		z = m.bias[li]
		addDense(&z, &m.dense, &x)
		var hs [maxHashed]uint32
		n := m.hashFeatures(hs[:0], toks, li, lang, d)
		if len(n) > 0 {
			wt := m.scale / float32(math.Sqrt(float64(len(n))))
			for _, h := range n {
				w := m.hashed[h*2*nClasses : (h+1)*2*nClasses : (h+1)*2*nClasses]
				z[0] += float32(int16(binary.LittleEndian.Uint16(w[0:]))) * wt
				z[1] += float32(int16(binary.LittleEndian.Uint16(w[2:]))) * wt
				z[2] += float32(int16(binary.LittleEndian.Uint16(w[4:]))) * wt
			}
		}
	} else {
		z = m.lexLogits(&x)
	}
	return z
}

// lexLogits returns the dense-only head's score of each class for the
// dense features x.
func (m *model) lexLogits(x *[nDense]float32) [nClasses]float32 {
	z := m.lexBias
	addDense(&z, &m.lexDense, x)
	return z
}

func addDense(z *[nClasses]float32, w *[nDense * nClasses]float32, x *[nDense]float32) {
	for d, v := range x {
		if v == 0 {
			continue
		}
		z[0] += w[d*nClasses] * v
		z[1] += w[d*nClasses+1] * v
		z[2] += w[d*nClasses+2] * v
	}
}

func softmax(z [nClasses]float32) [nClasses]float32 {
	hi := max(z[0], z[1], z[2])
	var sum float32
	for c := range z {
		z[c] = float32(math.Exp(float64(z[c] - hi)))
		sum += z[c]
	}
	for c := range z {
		z[c] /= sum
	}
	return z
}

// dense sets x to the dense features of a text the rules read as r, each
// in about [-1, 1].
func dense(x *[nDense]float32, text string, r *reading) {
	squash := func(v float64) float32 { return float32(v / (1 + math.Abs(v))) }
	x[0] = float32(r.value)
	x[1] = squash(r.pos / 2)
	x[2] = squash(r.neg / 2)
	x[3] = squash(r.praise / 2)
	x[4] = squash(r.courtesy / 2)
	x[5] = float32(min(r.cues, 3)) / 3
	x[6] = float32(min(r.negated, 2)) / 2
	x[7] = float32(min(strings.Count(text, "!"), 4)) / 4
	if isQuestion(text) {
		x[8] = 1
	}
	if r.words > 0 {
		x[9] = float32(r.caps) / float32(r.words)
	}
	x[10] = float32(min(r.elongated, 2)) / 2
	x[11] = float32(math.Log1p(float64(r.words)) / 4)
}

// FNV-1a, 32 bits.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func fnvString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvByte(h uint32, b byte) uint32 {
	h ^= uint32(b)
	return h * fnvPrime
}

// Feature kinds, hashed first so that a word and an n-gram differ.
const (
	kindWord    = 'w'
	kindNegWord = 'n'
	kindBigram  = 'b'
	kindGram    = 'g'
)

// hashFeatures appends the bucket of every hashed feature of toks in lang
// (the li-th trained language) to dst, up to its capacity (at most maxHashed).
func (m *model) hashFeatures(dst []uint32, toks []language.Token, li int, lang string, d *langData) []uint32 {
	mask := uint32(1)<<m.bits - 1
	minGram, maxGram := int(m.grams[li][0]), int(m.grams[li][1])
	seed := fnvByte(fnvString(fnvOffset, lang), 0)
	add := func(h uint32) {
		if len(dst) < cap(dst) {
			dst = append(dst, h&mask)
		}
	}
	negated := 0 // words left in a negator's scope
	prev := "<s>"
	for _, t := range toks {
		if t.Break {
			negated = 0
			prev = "<s>"
		}
		w := t.Text
		kind := byte(kindWord)
		if negated > 0 {
			kind = kindNegWord
			negated--
		}
		add(fnvString(fnvByte(seed, kind), w))
		if m.bigrams != 0 {
			add(fnvString(fnvByte(fnvString(fnvByte(seed, kindBigram), prev), ' '), w))
		}
		prev = w
		if d != nil && d.isNegator(w) {
			negated = negScope
		}
		if minGram == 0 || t.Kind != language.Word || len(w)+2 < minGram {
			continue
		}
		// Character n-grams of " word ", in bytes: folded text is mostly ASCII.
		n := len(w) + 2
		at := func(i int) byte {
			if i == 0 || i == n-1 {
				return ' '
			}
			return w[i-1]
		}
		for i := 0; i < n; i++ {
			h := fnvByte(seed, kindGram)
			for k := 0; k < maxGram && i+k < n; k++ {
				h = fnvByte(h, at(i+k))
				if k+1 >= minGram {
					add(h)
				}
			}
		}
	}
	return dst
}
