package store

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/calmbot/calmbot/bot"
)

// The Append functions below write the JSON of calmbot's per-turn values
// without reflection, byte for byte as a json.Encoder with
// SetEscapeHTML(false) writes them (what the SQLite store stores), without
// the Encoder's trailing newline. A value they do not write themselves
// (a NaN or an infinity, a time outside RFC 3339, an evidence value of a
// type not listed in appendAny) goes through encoding/json whole, so that
// the bytes, and the error, are encoding/json's in every case.

// AppendSnapshot appends the JSON of s to b.
func AppendSnapshot(b []byte, s *bot.Snapshot) ([]byte, error) {
	if s == nil {
		return append(b, "null"...), nil
	}
	if out, ok := appendSnapshot(b, s); ok {
		return out, nil
	}
	return appendFallback(b, s)
}

// AppendAnalysis appends the JSON of a to b.
func AppendAnalysis(b []byte, a *bot.Analysis) ([]byte, error) {
	if a == nil {
		return append(b, "null"...), nil
	}
	if out, ok := appendAnalysis(b, a); ok {
		return out, nil
	}
	return appendFallback(b, a)
}

// AppendChoices appends the JSON of cs to b (null for a nil slice).
func AppendChoices(b []byte, cs []bot.Choice) []byte {
	if cs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, cs[i].ID)
		b = append(b, `,"label":`...)
		b = appendString(b, cs[i].Label)
		b = append(b, '}')
	}
	return append(b, ']')
}

// AppendStrings appends the JSON of ss to b (null for a nil slice).
func AppendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// AppendEvidence appends the JSON of a handoff's evidence to b (null for
// a nil map), its keys in sorted order.
func AppendEvidence(b []byte, m map[string]any) ([]byte, error) {
	if out, ok := appendObject(b, m); ok {
		return out, nil
	}
	return appendFallback(b, m)
}

// appendFallback appends what encoding/json writes for v.
func appendFallback(b []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...), nil
}

// The appenders below report false for a value they leave to
// encoding/json; what they appended is then dropped.

func appendSnapshot(b []byte, s *bot.Snapshot) ([]byte, bool) {
	ok := true
	b = append(b, `{"address":`...)
	b = appendAddress(b, s.Address)
	b = append(b, `,"status":`...)
	b = appendString(b, string(s.Status))
	b = append(b, `,"lang":`...)
	b = appendString(b, s.Lang)
	b = append(b, `,"flows_version":`...)
	b = appendString(b, s.FlowsVersion)
	b = appendOptString(b, "flow", s.Flow)
	b = appendOptString(b, "state", s.State)
	if s.Attempts != 0 {
		b = append(b, `,"attempts":`...)
		b = strconv.AppendInt(b, int64(s.Attempts), 10)
	}
	if s.Unclear != 0 {
		b = append(b, `,"unclear":`...)
		b = strconv.AppendInt(b, int64(s.Unclear), 10)
	}
	if len(s.Offered) > 0 {
		b = append(b, `,"offered":`...)
		b = AppendStrings(b, s.Offered)
	}
	b = appendOptString(b, "chosen", s.Chosen)
	if len(s.Moods) > 0 {
		b = append(b, `,"moods":`...)
		if b, ok = appendFloats(b, s.Moods); !ok {
			return b, false
		}
	}
	if s.Worst != 0 {
		b = append(b, `,"worst":`...)
		if b, ok = appendFloat(b, s.Worst); !ok {
			return b, false
		}
	}
	if len(s.Visited) > 0 {
		b = append(b, `,"visited":`...)
		b = appendCounts(b, s.Visited)
	}
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, s.Seq, 10)
	b = append(b, `,"processed":`...)
	b = strconv.AppendInt(b, s.Processed, 10)
	if len(s.RecentIDs) > 0 {
		b = append(b, `,"recent_ids":`...)
		b = AppendStrings(b, s.RecentIDs)
	}
	if s.Handoff != nil {
		b = append(b, `,"handoff":`...)
		if b, ok = appendHandoff(b, s.Handoff); !ok {
			return b, false
		}
	}
	if s.HandedOff {
		b = append(b, `,"handed_off":true`...)
	}
	if s.RatingStep != 0 {
		b = append(b, `,"rating_step":`...)
		b = strconv.AppendInt(b, int64(s.RatingStep), 10)
	}
	if s.RatingOffered {
		b = append(b, `,"rating_offered":true`...)
	}
	if s.Score != 0 {
		b = append(b, `,"score":`...)
		b = strconv.AppendInt(b, int64(s.Score), 10)
	}
	if !s.RatedAt.IsZero() {
		b = append(b, `,"rated_at":`...)
		if b, ok = appendTime(b, s.RatedAt); !ok {
			return b, false
		}
	}
	b = append(b, `,"started":`...)
	if b, ok = appendTime(b, s.Started); !ok {
		return b, false
	}
	b = append(b, `,"updated":`...)
	if b, ok = appendTime(b, s.Updated); !ok {
		return b, false
	}
	return append(b, '}'), true
}

func appendHandoff(b []byte, h *bot.HandoffRecord) ([]byte, bool) {
	ok := true
	b = append(b, `{"address":`...)
	b = appendAddress(b, h.Address)
	b = append(b, `,"reason":`...)
	b = appendString(b, string(h.Reason))
	if len(h.Evidence) > 0 {
		b = append(b, `,"evidence":`...)
		if b, ok = appendObject(b, h.Evidence); !ok {
			return b, false
		}
	}
	b = appendOptString(b, "skill", h.Skill)
	b = appendOptString(b, "priority", h.Priority)
	b = appendOptString(b, "flow", h.Flow)
	b = appendOptString(b, "state", h.State)
	b = append(b, `,"lang":`...)
	b = appendString(b, h.Lang)
	b = append(b, `,"at":`...)
	if b, ok = appendTime(b, h.At); !ok {
		return b, false
	}
	return append(b, '}'), true
}

func appendAnalysis(b []byte, a *bot.Analysis) ([]byte, bool) {
	ok := true
	b = append(b, `{"lang":`...)
	b = appendString(b, a.Lang)
	b = append(b, `,"sentiment":`...)
	if b, ok = appendFloat(b, a.Sentiment); !ok {
		return b, false
	}
	b = append(b, `,"label":`...)
	b = appendString(b, a.Label)
	b = appendOptString(b, "intent", a.Intent)
	b = append(b, `,"intent_score":`...)
	if b, ok = appendFloat(b, a.IntentScore); !ok {
		return b, false
	}
	b = append(b, `,"in_scope":`...)
	b = strconv.AppendBool(b, a.InScope)
	if a.HumanRequest {
		b = append(b, `,"human_request":true`...)
	}
	b = appendOptString(b, "answer", string(a.Answer))
	b = appendOptString(b, "choice", a.Choice)
	if a.Goodbye {
		b = append(b, `,"goodbye":true`...)
	}
	return append(b, '}'), true
}

func appendAddress(b []byte, a bot.Address) []byte {
	b = append(b, `{"channel":`...)
	b = appendString(b, a.Channel)
	b = append(b, `,"conversation":`...)
	b = appendString(b, a.Conversation)
	return append(b, '}')
}

// appendCounts appends m with its keys in sorted order, as encoding/json
// orders a map's keys.
func appendCounts(b []byte, m map[string]int) []byte {
	keys := make([]string, 0, 16) // on the stack for a usual flow's states
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(m[k]), 10)
	}
	return append(b, '}')
}

// appendObject appends m (null when nil) with its keys in sorted order.
func appendObject(b []byte, m map[string]any) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	keys := make([]string, 0, 16)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ok := true
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, ok = appendAny(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendAny appends the evidence values the engine records; any other
// type is left to encoding/json.
func appendAny(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendString(b, v), true
	case bool:
		return strconv.AppendBool(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case float64:
		return appendFloat(b, v)
	case []float64:
		if v == nil {
			return append(b, "null"...), true
		}
		return appendFloats(b, v)
	case []string:
		return AppendStrings(b, v), true
	case map[string]any:
		return appendObject(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		ok := true
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendAny(b, e); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

func appendFloats(b []byte, fs []float64) ([]byte, bool) {
	ok := true
	b = append(b, '[')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendFloat(b, f); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendFloat appends f as encoding/json does (ES6 number formatting); a
// NaN or an infinity, which JSON cannot hold, reports false.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9, as encoding/json writes it
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendTime appends t as time.Time's MarshalJSON does; a time RFC 3339
// cannot hold (a year outside [0, 9999], a zone offset of 24 hours or
// more) reports false.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	n0 := len(b)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	n := len(b)
	switch {
	case b[n0+1+len("2006")] != '-': // a year of four digits
		return b, false
	case b[n-1] != 'Z':
		// ±hh:mm, and hh below 24
		c := b[n-len("Z07:00")]
		if (c != '+' && c != '-') || 10*(b[n-5]-'0')+(b[n-4]-'0') >= 24 {
			return b, false
		}
	}
	return append(b, '"'), true
}

const hex = "0123456789abcdef"

// appendOptString appends the field key (a name JSON needs no escapes
// in) with the string v, or nothing when v is empty (omitempty).
func appendOptString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return appendString(b, v)
}

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off: control characters, quote and backslash escaped,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
