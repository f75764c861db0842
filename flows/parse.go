package flows

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// MaxFileSize is the largest flow or tests file Parse and Load accept.
const MaxFileSize = 4 << 20

// maxNesting bounds how deeply flow-style collections ([ and {) may nest, so
// that a hostile file cannot exhaust the parser's stack.
const maxNesting = 64

// ValidChannel reports whether name is well-formed as a channel name (and
// so as the key of a text's channel variant): a lower-case letter, then
// lower-case letters, digits, _ or -, at most 32 in all. Which channels a
// bot runs is the host's configuration, not the flow file's: Lint with
// WithChannels reports variants for channels it does not run.
func ValidChannel(name string) bool {
	if name == "" || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Parse reads a flow file. name is used in diagnostics. Parsing is strict:
// broken YAML, unknown keys and values of the wrong type are errors. Every
// error Parse returns is a Diagnostics value whose entries carry
// name:line:col.
//
// Keys the file leaves out of policy take the values of DefaultPolicy; an
// empty default_language becomes the first language; the Name fields of
// intents, flows and states are filled from their keys.
func Parse(name string, data []byte) (_ *File, err error) {
	defer recoverDecode(name, &err)
	f := &File{Name: name, Source: data, Policy: DefaultPolicy()}
	root, x, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	if err := yaml.NodeToValue(root, f, yaml.DisallowUnknownField()); err != nil {
		return nil, decodeError(name, x, err)
	}
	f.pos, f.order = x.pos, x.order
	f.finish()
	return f, nil
}

// Load reads the flow file at path and the tests files beside it: the files
// in the same directory named after the flow file's base name without its
// extension, followed by ".test.yaml" or by "." and anything ending in
// ".test.yaml" (flows.yaml: flows.test.yaml, flows.refunds.test.yaml). Their
// tests are appended to the file's, in file name order. A tests file holds only
// a `tests:` list.
func Load(path string) (*File, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list tests files: %w", err)
	}
	var diags Diagnostics
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == base || !strings.HasSuffix(n, ".test.yaml") ||
			(n != stem+".test.yaml" && !strings.HasPrefix(n, stem+".")) {
			continue
		}
		tpath := filepath.Join(filepath.Dir(path), n)
		tdata, err := readFile(tpath)
		if err != nil {
			var ds Diagnostics
			if errors.As(err, &ds) {
				diags = append(diags, ds...)
				continue
			}
			return nil, err
		}
		tests, err := ParseTests(tpath, tdata)
		if err != nil {
			var ds Diagnostics
			if errors.As(err, &ds) {
				diags = append(diags, ds...)
				continue
			}
			return nil, err
		}
		f.Tests = append(f.Tests, tests...)
	}
	if len(diags) > 0 {
		return nil, diags.Sort()
	}
	return f, nil
}

// readFile reads at most MaxFileSize bytes of path; a larger file is a
// Diagnostics error.
func readFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read flow file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read flow file: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, Diagnostics{tooLarge(path)}
	}
	return data, nil
}

func tooLarge(name string) Diagnostic {
	return Diagnostic{File: name, Rule: "too-large", Severity: SeverityError,
		Message: fmt.Sprintf("the file is larger than %d bytes", MaxFileSize)}
}

// testsFile is the shape of a *.test.yaml file.
type testsFile struct {
	Tests []*Test `yaml:"tests"`
}

// ParseTests reads a tests file (*.test.yaml): a document with only a
// `tests:` list. Errors are Diagnostics, like Parse's.
func ParseTests(name string, data []byte) (_ []*Test, err error) {
	defer recoverDecode(name, &err)
	root, x, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	var tf testsFile
	if err := yaml.NodeToValue(root, &tf, yaml.DisallowUnknownField()); err != nil {
		return nil, decodeError(name, x, err)
	}
	// A File that only carries the tests file's positions.
	src := &File{Name: name, Source: data, pos: x.pos, order: x.order}
	src.Tests = tf.Tests
	src.finishTests()
	return src.Tests, nil
}

// parseDocument checks data, parses it into one YAML document whose body is
// a mapping, and indexes the positions of its keys.
func parseDocument(name string, data []byte) (ast.Node, *index, error) {
	fail := func(p Pos, rule, format string, args ...any) (ast.Node, *index, error) {
		return nil, nil, Diagnostics{{File: name, Pos: p, Rule: rule, Severity: SeverityError, Message: fmt.Sprintf(format, args...)}}
	}
	if len(data) > MaxFileSize {
		return nil, nil, Diagnostics{tooLarge(name)}
	}
	if p, ok := badEncoding(data); ok {
		return fail(p, "encoding", "the file is not UTF-8 text")
	}
	if p, ok := tooDeep(data); ok {
		return fail(p, "yaml", "collections nest more than %d deep", maxNesting)
	}
	af, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, nil, decodeError(name, nil, err)
	}
	var docs []*ast.DocumentNode
	for _, d := range af.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return fail(Pos{Line: 1, Col: 1}, "empty", "the file is empty")
	}
	if len(docs) > 1 {
		return fail(nodePos(docs[1].Body), "yaml", "the file holds more than one YAML document")
	}
	root := unwrap(docs[0].Body)
	if _, ok := root.(ast.MapNode); !ok {
		return fail(nodePos(root), "type", "the file must be a mapping of keys (version, languages, ...), not a %s", root.Type().YAMLName())
	}
	x := &index{pos: map[string]Pos{}, order: map[string]int{}, byValue: map[Pos]string{}}
	x.walk(root, "")
	if tags := ast.Filter(ast.TagType, docs[0]); len(tags) > 0 {
		p, msg := tagError(tags[0].(*ast.TagNode), x)
		return fail(p, "tag", "%s", msg)
	}
	for _, p := range []string{"version", "policy.max_attempts", "policy.max_unclear", "policy.max_message_bytes"} {
		n := unwrap(x.nodes[p])
		if n == nil || n.Type() == ast.IntegerType || n.Type() == ast.NullType {
			continue
		}
		return fail(nodePos(n), "type", "%s: want an integer, got %s", p, strings.TrimSpace(n.String()))
	}
	return root, x, nil
}

// tagError describes a YAML tag (!!str, !foo): flow files have no use for
// them, and the decoder mishandles some (a tag on a list panics it).
func tagError(t *ast.TagNode, x *index) (Pos, string) {
	p := tokenPos(t.Start)
	if p.Line == 0 {
		p = nodePos(t)
	}
	what := "a YAML tag"
	if t.Start != nil {
		what = "the YAML tag " + t.Start.Value
	}
	if path := x.byValue[p]; path != "" {
		what = path + ": " + what
	}
	return p, what + " is not supported in a flow file: remove it (quote the value to make it a string)"
}

// recoverDecode is the last guard of Parse and ParseTests: a panic inside
// the YAML library becomes an error about the file instead of ending the
// program (a server reloading the file keeps its running flows).
func recoverDecode(name string, err *error) {
	if r := recover(); r != nil {
		*err = Diagnostics{{File: name, Rule: "yaml", Severity: SeverityError,
			Message: fmt.Sprintf("the YAML decoder failed on this file (%v); please report it, with the file, as a calmbot bug", r)}}
	}
}

// badEncoding returns the position of the first byte that is not UTF-8 text
// (invalid UTF-8, or a NUL byte).
func badEncoding(data []byte) (Pos, bool) {
	line, col := 1, 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if (r == utf8.RuneError && n == 1) || r == 0 {
			return Pos{Line: line, Col: col}, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[n:]
	}
	return Pos{}, false
}

// tooDeep reports the position where collections nest deeper than
// maxNesting on one line: flow-style brackets, or block sequences written
// "- - - x". Brackets inside quotes and comments are not counted.
func tooDeep(data []byte) (Pos, bool) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		rest := bytes.TrimLeft(line, " ")
		dashes := 0
		for len(rest) >= 2 && (rest[0] == '-' || rest[0] == '?') && (rest[1] == ' ' || rest[1] == '\t') {
			dashes++
			if dashes > maxNesting {
				return Pos{Line: i + 1, Col: len(line) - len(rest) + 1}, true
			}
			rest = bytes.TrimLeft(rest[2:], " \t")
		}
	}
	depth, line, col := 0, 1, 0
	var quote byte
	comment := false
	for i, c := range data {
		col++
		switch {
		case c == '\n':
			line, col, comment = line+1, 0, false
		case comment:
		case quote != 0:
			if c == quote && (quote != '"' || i == 0 || data[i-1] != '\\') {
				quote = 0
			}
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t'):
			comment = true
		case c == '"' || c == '\'':
			if i == 0 || strings.IndexByte(" \t[{,:-", data[i-1]) >= 0 || data[i-1] == '\n' {
				quote = c
			}
		case c == '[' || c == '{':
			depth++
			if depth > maxNesting {
				return Pos{Line: line, Col: col}, true
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return Pos{}, false
}

// index maps dotted paths (flows.f.states.s.on.confirmed; sequence items as
// .0, .1) to the position of their key or item, and ranks them in source
// order.
type index struct {
	pos     map[string]Pos
	order   map[string]int
	byValue map[Pos]string      // position of a value -> its path, for messages
	nodes   map[string]ast.Node // values of the paths checked after the walk
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (x *index) add(path string, p Pos) {
	if _, ok := x.pos[path]; ok {
		return
	}
	x.pos[path] = p
	x.order[path] = len(x.order)
}

func (x *index) walk(n ast.Node, path string) {
	n = unwrap(n)
	if n == nil {
		return
	}
	switch n := n.(type) {
	case *ast.SequenceNode:
		for i, v := range n.Values {
			p := join(path, strconv.Itoa(i))
			x.add(p, nodePos(v))
			x.value(p, v)
			x.walk(v, p)
		}
	case ast.MapNode:
		it := n.MapRange()
		for it.Next() {
			k := it.Key()
			if k == nil || k.IsMergeKey() {
				continue
			}
			p := join(path, keyString(k))
			x.add(p, nodePos(k))
			if v := it.Value(); v != nil {
				x.value(p, v)
				x.walk(v, p)
			}
		}
	}
}

func (x *index) value(path string, v ast.Node) {
	if x.nodes == nil {
		x.nodes = map[string]ast.Node{}
	}
	x.nodes[path] = v
	if p := nodePos(v); p.Line > 0 {
		if _, ok := x.byValue[p]; !ok {
			x.byValue[p] = path
		}
	}
}

// unwrap returns the value under tags and anchors.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

// nodePos is the position where n starts: for a block mapping, its first key.
func nodePos(n ast.Node) Pos {
	if n == nil {
		return Pos{}
	}
	switch v := n.(type) {
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return nodePos(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return nodePos(v.Key)
	case *ast.TagNode:
		if v.Start == nil {
			return nodePos(v.Value)
		}
	}
	return tokenPos(n.GetToken())
}

func tokenPos(t *token.Token) Pos {
	if t == nil || t.Position == nil {
		return Pos{}
	}
	return Pos{Line: t.Position.Line, Col: t.Position.Column}
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	if t := k.GetToken(); t != nil {
		return t.Value
	}
	return k.String()
}

// nodeError is an error found while decoding one node of a file.
type nodeError struct {
	rule string
	msg  string
	tok  *token.Token
}

func (e *nodeError) Error() string { return e.msg }

// decodeError turns an error of the YAML parser or decoder into Diagnostics.
func decodeError(name string, x *index, err error) error {
	d := Diagnostic{File: name, Rule: "yaml", Message: err.Error(), Severity: SeverityError}
	pathAt := func(p Pos) string {
		if x == nil {
			return ""
		}
		return x.byValue[p]
	}
	keyAt := func(p Pos) string {
		if x == nil {
			return ""
		}
		for k, kp := range x.pos {
			if kp == p {
				return k
			}
		}
		return ""
	}
	var (
		ne  *nodeError
		ue  *yaml.UnknownFieldError
		te  *yaml.TypeError
		nte *yaml.UnexpectedNodeTypeError
		oe  *yaml.OverflowError
		de  *yaml.DuplicateKeyError
		ye  yaml.Error
	)
	switch {
	case errors.As(err, &ne):
		d.Pos, d.Rule, d.Message = tokenPos(ne.tok), ne.rule, ne.msg
		if p := pathAt(d.Pos); p != "" && ne.rule == "type" {
			d.Message = p + ": " + d.Message
		}
	case errors.As(err, &ue):
		d.Pos, d.Rule = tokenPos(ue.Token), "unknown-key"
		key := strings.TrimSuffix(strings.TrimPrefix(ue.Message, `unknown field "`), `"`)
		d.Message = fmt.Sprintf("unknown key %q", key)
		if p := keyAt(d.Pos); strings.Contains(p, ".") {
			d.Message += " in " + p[:strings.LastIndexByte(p, '.')]
		}
	case errors.As(err, &te):
		d.Pos, d.Rule = tokenPos(te.Token), "type"
		d.Message = fmt.Sprintf("want %s, got %s", typeName(te.DstType), typeName(te.SrcType))
		if p := pathAt(d.Pos); p != "" {
			d.Message = p + ": " + d.Message
		}
	case errors.As(err, &nte):
		d.Pos, d.Rule = tokenPos(nte.Token), "type"
		d.Message = fmt.Sprintf("want a %s, got a %s", nte.Expected.YAMLName(), nte.Actual.YAMLName())
		if p := pathAt(d.Pos); p != "" {
			d.Message = p + ": " + d.Message
		}
	case errors.As(err, &oe):
		d.Pos, d.Rule = tokenPos(oe.Token), "type"
		d.Message = fmt.Sprintf("%s is out of range", oe.SrcNum)
		if p := pathAt(d.Pos); p != "" {
			d.Message = p + ": " + d.Message
		}
	case errors.As(err, &de):
		d.Pos, d.Rule, d.Message = tokenPos(de.Token), "duplicate-key", de.Message
	case errors.As(err, &ye):
		d.Pos, d.Message = tokenPos(ye.GetToken()), ye.GetMessage()
	}
	return Diagnostics{d}
}

// typeName names a Go type the way a YAML author thinks of it.
func typeName(t reflect.Type) string {
	if t == nil {
		return "nothing"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "a mapping"
	}
	return t.String()
}

// finish fills defaults and names after decoding, and replaces empty
// (null) entries by empty values so that later passes need no nil checks.
func (f *File) finish() {
	if f.DefaultLanguage == "" && len(f.Languages) > 0 {
		f.DefaultLanguage = f.Languages[0]
	}
	for name, in := range f.Intents {
		if in == nil {
			in = &Intent{}
			f.Intents[name] = in
		}
		in.Name = name
	}
	for name, a := range f.Answers {
		if a == nil {
			a = &Answer{}
			f.Answers[name] = a
		}
		a.Name = name
	}
	for fname, fl := range f.Flows {
		if fl == nil {
			fl = &Flow{}
			f.Flows[fname] = fl
		}
		fl.Name = fname
		fl.rank = map[string]int{}
		for sname, st := range fl.States {
			if st == nil {
				st = &State{}
				fl.States[sname] = st
			}
			st.Name = sname
			if r, ok := f.order["flows."+fname+".states."+sname]; ok {
				fl.rank[sname] = r
			}
			st.rank = map[string]int{}
			for ev := range st.On {
				if r, ok := f.order["flows."+fname+".states."+sname+".on."+ev]; ok {
					st.rank[ev] = r
				}
			}
			for i, c := range st.Choices {
				if c == nil {
					st.Choices[i] = &Choice{}
				}
			}
		}
	}
	f.finishTests()
}

// finishTests sets the file and positions of f's tests.
func (f *File) finishTests() {
	for i, t := range f.Tests {
		if t == nil {
			t = &Test{}
			f.Tests[i] = t
		}
		t.src, t.path = f, "tests."+strconv.Itoa(i)
		t.File, t.Pos = f.Name, f.Pos(t.path)
		for j, turn := range t.Turns {
			if turn == nil {
				turn = &TestTurn{}
				t.Turns[j] = turn
			}
			turn.Pos = f.Pos(t.path + ".turns." + strconv.Itoa(j))
		}
	}
}

// Pos returns the position of the key or sequence item at path, a dotted
// path such as "flows.late_delivery.states.confirm.on.confirmed" (sequence
// items are numbered from 0: "tests.0.turns.2"). When path does not exist in
// the file, Pos returns the position of its longest prefix that does, and
// the zero Pos when none does.
func (f *File) Pos(path string) Pos {
	for path != "" {
		if p, ok := f.pos[path]; ok {
			return p
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return Pos{}
}

// Hash returns the hex SHA-256 of the file's source.
func (f *File) Hash() string {
	sum := sha256.Sum256(f.Source)
	return hex.EncodeToString(sum[:])
}

// FlowNames returns the names of f's flows in source order (files built in
// code, without positions: alphabetical order).
func (f *File) FlowNames() []string {
	return ordered(f.Flows, func(k string) (int, bool) { r, ok := f.order["flows."+k]; return r, ok })
}

// IntentNames returns the names of f's intents in source order.
func (f *File) IntentNames() []string {
	return ordered(f.Intents, func(k string) (int, bool) { r, ok := f.order["intents."+k]; return r, ok })
}

// AnswerNames returns the names of f's answers in source order.
func (f *File) AnswerNames() []string {
	return ordered(f.Answers, func(k string) (int, bool) { r, ok := f.order["answers."+k]; return r, ok })
}

// StateNames returns the names of fl's states in source order.
func (fl *Flow) StateNames() []string {
	return ordered(fl.States, func(k string) (int, bool) { r, ok := fl.rank[k]; return r, ok })
}

// Events returns the events of s's `on` map in source order.
func (s *State) Events() []string {
	return ordered(s.On, func(k string) (int, bool) { r, ok := s.rank[k]; return r, ok })
}

// ordered returns the keys of m: those rank knows in rank order, then the
// others alphabetically.
func ordered[V any](m map[string]V, rank func(string) (int, bool)) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ra, oka := rank(a)
		rb, okb := rank(b)
		switch {
		case oka && okb:
			return cmp.Or(cmp.Compare(ra, rb), strings.Compare(a, b))
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// UnmarshalYAML reads a text: a mapping from language to a string or to a
// mapping of channel variants.
func (t *Text) UnmarshalYAML(node ast.Node) error {
	node = unwrap(node)
	if node == nil || node.Type() == ast.NullType {
		*t = nil
		return nil
	}
	m, ok := node.(ast.MapNode)
	if !ok {
		return &nodeError{rule: "type", tok: node.GetToken(),
			msg: fmt.Sprintf("want a mapping of languages to texts (en: \"...\"), got a %s", node.Type().YAMLName())}
	}
	out := Text{}
	it := m.MapRange()
	for it.Next() {
		var l Localized
		if err := l.UnmarshalYAML(it.Value()); err != nil {
			return err
		}
		out[keyString(it.Key())] = l
	}
	*t = out
	return nil
}

// UnmarshalYAML reads one language's text: a string, or a mapping with a
// `default` key and channel variants (web, telegram, any channel name).
func (l *Localized) UnmarshalYAML(node ast.Node) error {
	node = unwrap(node)
	*l = Localized{}
	if node == nil || node.Type() == ast.NullType {
		return nil
	}
	if s, ok, err := scalarText(node); ok || err != nil {
		l.Default = s
		return err
	}
	m, ok := node.(ast.MapNode)
	if !ok {
		return &nodeError{rule: "type", tok: node.GetToken(),
			msg: fmt.Sprintf("want a string or a mapping of channel variants, got a %s", node.Type().YAMLName())}
	}
	it := m.MapRange()
	for it.Next() {
		key := keyString(it.Key())
		v := unwrap(it.Value())
		s, ok, err := scalarText(v)
		if err != nil {
			return err
		}
		if !ok && v != nil && v.Type() != ast.NullType {
			return &nodeError{rule: "type", tok: v.GetToken(),
				msg: fmt.Sprintf("want a string, got a %s", v.Type().YAMLName())}
		}
		switch {
		case key == "default":
			l.Default = s
		case ValidChannel(key):
			if l.Channels == nil {
				l.Channels = map[string]string{}
			}
			l.Channels[key] = s
		default:
			return &nodeError{rule: "unknown-key", tok: it.Key().GetToken(),
				msg: fmt.Sprintf("unknown key %q in a text: want default or a channel name (web, telegram: a lower-case letter, then letters, digits, _ or -)", key)}
		}
	}
	return nil
}

// scalarText returns the text of a string-like scalar. Numbers are read as
// their text; booleans are an error (yes/no in a text is a quoting mistake).
func scalarText(n ast.Node) (string, bool, error) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true, nil
	case *ast.LiteralNode:
		return v.Value.Value, true, nil
	case *ast.IntegerNode, *ast.FloatNode:
		return v.GetToken().Value, true, nil
	case *ast.BoolNode:
		return "", false, &nodeError{rule: "type", tok: v.GetToken(), msg: "want a string, got a boolean (quote it)"}
	}
	return "", false, nil
}

// UnmarshalYAML reads a duration: a Go duration string ("2s", "1500ms") or
// a number of seconds.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	node = unwrap(node)
	bad := func() error {
		return &nodeError{rule: "type", tok: node.GetToken(),
			msg: fmt.Sprintf("want a duration (2s, 1500ms) or a number of seconds, got %s", strings.TrimSpace(node.String()))}
	}
	var text string
	switch v := node.(type) {
	case *ast.NullNode:
		*d = 0
		return nil
	case *ast.StringNode:
		text = strings.TrimSpace(v.Value)
		if dur, err := time.ParseDuration(text); err == nil {
			*d = Duration(dur)
			return nil
		}
	case *ast.IntegerNode, *ast.FloatNode:
		text = v.GetToken().Value
	default:
		return bad()
	}
	secs, err := strconv.ParseFloat(text, 64)
	if err != nil || secs != secs || secs > float64(1<<62)/float64(time.Second) || secs < -float64(1<<62)/float64(time.Second) {
		return bad()
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}
