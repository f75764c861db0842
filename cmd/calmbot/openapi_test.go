package main

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// openAPIFile is the OpenAPI description of the chat and desk APIs.
const openAPIFile = "../../docs/openapi.yaml"

// apiPackages are the packages whose routes the description covers, with
// the prefix `calmbot serve` mounts each under (what a pattern's
// x.prefix is).
var apiPackages = []struct{ dir, prefix string }{
	{"../../adapters/web", ""},
	{"../../handoff/desk", "/desk"},
}

// openAPI is what the test reads of the description.
type openAPI struct {
	OpenAPI    string                                 `yaml:"openapi"`
	Paths      map[string]map[string]openAPIOperation `yaml:"paths"`
	Components map[string]map[string]any              `yaml:"components"`
}

type openAPIOperation struct {
	OperationID string         `yaml:"operationId"`
	Responses   map[string]any `yaml:"responses"`
}

// apiRoute is one method and path, documented or registered.
type apiRoute struct {
	method, path string
	where        string // file:line of the registration
}

func (r apiRoute) String() string { return r.method + " " + r.path }

// TestOpenAPI checks docs/openapi.yaml against the code and the running
// server: every /api and /desk/api route the packages register is
// documented, every documented operation answers on the real server with
// one of its documented statuses (never the mux's 404 or 405), signed out
// and signed in, and every $ref resolves.
func TestOpenAPI(t *testing.T) {
	doc := readOpenAPI(t)
	documented := map[string]openAPIOperation{}
	var ops []apiRoute
	for path, methods := range doc.Paths {
		for method, op := range methods {
			r := apiRoute{method: strings.ToUpper(method), path: path}
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses documented", r)
			}
			documented[r.String()] = op
			ops = append(ops, r)
		}
	}
	// Logout last: it ends the session the signed-in round uses.
	slices.SortFunc(ops, func(a, b apiRoute) int {
		la, lb := strings.HasSuffix(a.path, "/logout"), strings.HasSuffix(b.path, "/logout")
		if la != lb {
			if la {
				return 1
			}
			return -1
		}
		return strings.Compare(a.String(), b.String())
	})

	registered := registeredAPIRoutes(t)
	if len(registered) < 20 {
		t.Fatalf("found only %d API routes in the code: %v (is the route reader broken?)", len(registered), registered)
	}
	for _, r := range registered {
		if _, ok := documented[r.String()]; !ok {
			t.Errorf("%s is registered (%s) but not documented in docs/openapi.yaml: add it under paths", r, r.where)
		}
	}

	base, stderr, _ := startServer(t)
	m := regexp.MustCompile(`name=admin password=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no first agent in the startup log:\n%s", stderr.String())
	}

	// The registered routes are the server's: each answers, signed out,
	// with something else than the mux's 404 or 405.
	anon := &http.Client{}
	for _, r := range registered {
		if code, _ := probe(t, anon, base, r, "", ""); code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			t.Errorf("%s (%s): the server answers %d: the route reader and the server disagree", r, r.where, code)
		}
	}

	// Signed out.
	for _, r := range ops {
		code, ct := probe(t, anon, base, r, "", "")
		if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			t.Errorf("%s signed out: %d (%s): the server does not serve it", r, code, ct)
			continue
		}
		if _, ok := documented[r.String()].Responses[strconv.Itoa(code)]; !ok {
			t.Errorf("%s signed out: status %d is not documented", r, code)
		}
	}

	// Signed in: a desk session and a chat conversation of our own.
	jar, _ := cookiejar.New(nil)
	agent := &http.Client{Jar: jar}
	login := fmt.Sprintf(`{"name": "admin", "password": %q}`, m[1])
	var session struct{ CSRF string }
	postJSON(t, agent, base+"/desk/api/login", login, &session)
	var conv struct{ ID, Token string }
	postJSON(t, anon, base+"/api/conversations", `{"lang": "en"}`, &conv)
	for _, r := range ops {
		cl, auth := agent, session.CSRF
		if strings.HasPrefix(r.path, "/api/") {
			cl, auth = anon, conv.Token
		}
		code, ct := probe(t, cl, base, r, auth, conv.ID)
		if code == http.StatusMethodNotAllowed || code == http.StatusNotFound && !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s signed in: %d (%s): the server does not serve it", r, code, ct)
			continue
		}
		if _, ok := documented[r.String()].Responses[strconv.Itoa(code)]; !ok {
			t.Errorf("%s signed in: status %d is not documented", r, code)
		}
	}
}

// readOpenAPI parses the description and checks its $refs resolve.
func readOpenAPI(t *testing.T) openAPI {
	t.Helper()
	b, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", openAPIFile, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	for _, ref := range regexp.MustCompile(`\$ref: *"?#/components/(\w+)/(\w+)`).FindAllStringSubmatch(string(b), -1) {
		if _, ok := doc.Components[ref[1]][ref[2]]; !ok {
			t.Errorf("%s: $ref #/components/%s/%s has no target", openAPIFile, ref[1], ref[2])
		}
	}
	return doc
}

// registeredAPIRoutes reads the routes the API packages register: every
// Handle and HandleFunc call whose pattern is a method and a path built of
// string literals, the package's prefix and local variables holding them.
// A pattern it cannot read fails the test, so a new route is never missed.
func registeredAPIRoutes(t *testing.T) []apiRoute {
	t.Helper()
	var out []apiRoute
	for _, pkg := range apiPackages {
		files, err := filepath.Glob(filepath.Join(pkg.dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				vars := map[string]ast.Expr{} // local := expr, in order of appearance
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.AssignStmt:
						for i, lhs := range n.Lhs {
							if id, ok := lhs.(*ast.Ident); ok && i < len(n.Rhs) {
								vars[id.Name] = n.Rhs[i]
							}
						}
					case *ast.CallExpr:
						sel, ok := n.Fun.(*ast.SelectorExpr)
						if !ok || sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc" || len(n.Args) != 2 {
							return true
						}
						switch n.Args[0].(type) {
						case *ast.BasicLit, *ast.BinaryExpr: // a pattern: "GET /x", "GET "+p+"/x"
						default:
							return true // bot.Handler's Handle(ctx, msg) and the like
						}
						where := fmt.Sprintf("%s:%d", strings.TrimPrefix(name, "../../"), fset.Position(n.Pos()).Line)
						pattern, ok := stringValue(n.Args[0], vars, pkg.prefix, 0)
						if !ok {
							t.Errorf("%s: cannot read the route pattern %s; teach TestOpenAPI's route reader", where, types(n.Args[0]))
							return true
						}
						method, path, ok := strings.Cut(pattern, " ")
						if !ok {
							t.Errorf("%s: route %q has no method", where, pattern)
							return true
						}
						path = strings.TrimSuffix(path, "{$}")
						if strings.HasPrefix(path, unknownPart) {
							t.Errorf("%s: route %q starts with a value the route reader cannot see (a parameter?), so it cannot tell whether it is an API route; build the prefix in the function from the desk's prefix", where, strings.ReplaceAll(pattern, unknownPart, "?"))
							return true
						}
						if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/desk/api/") {
							if strings.Contains(path, unknownPart) {
								t.Errorf("%s: API route %q is built from a value the route reader cannot see; teach TestOpenAPI's route reader", where, strings.ReplaceAll(pattern, unknownPart, "?"))
								return true
							}
							out = append(out, apiRoute{method: method, path: path, where: where})
						}
					}
					return true
				})
			}
		}
	}
	return out
}

// unknownPart stands for an identifier stringValue cannot resolve.
const unknownPart = "\x00"

// stringValue evaluates a string expression of literals, x.prefix and
// local variables (other identifiers are unknownPart).
func stringValue(e ast.Expr, vars map[string]ast.Expr, prefix string, depth int) (string, bool) {
	if depth > 10 {
		return "", false
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, ok := stringValue(e.X, vars, prefix, depth+1)
		if !ok {
			return "", false
		}
		r, ok := stringValue(e.Y, vars, prefix, depth+1)
		return l + r, ok
	case *ast.ParenExpr:
		return stringValue(e.X, vars, prefix, depth+1)
	case *ast.SelectorExpr:
		if e.Sel.Name == "prefix" {
			return prefix, true
		}
	case *ast.Ident:
		if v, ok := vars[e.Name]; ok {
			return stringValue(v, vars, prefix, depth+1)
		}
		return unknownPart, true // a loop variable, a parameter: fine outside the API
	}
	return "", false
}

// types describes an expression for an error message.
func types(e ast.Expr) string { return fmt.Sprintf("%T", e) }

// probe sends r to the server (path parameters filled in, an empty JSON
// object as the body) and returns the status and Content-Type. auth is the
// chat token for /api routes and the desk's CSRF token for /desk/api ones;
// conv is the chat conversation to use, "" for one that does not exist.
// Event streams are closed once their status arrived.
func probe(t *testing.T, cl *http.Client, base string, r apiRoute, auth, conv string) (int, string) {
	t.Helper()
	path := r.path
	if strings.HasPrefix(path, "/api/") {
		if conv == "" {
			conv = strings.Repeat("A", 22) // a well-formed id nobody has
		}
		path = strings.ReplaceAll(path, "{id}", conv)
	} else {
		path = strings.ReplaceAll(path, "{id}", "999999")
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: a path parameter the probe cannot fill in", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var body *strings.Reader
	if r.method != http.MethodGet {
		body = strings.NewReader("{}")
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, r.method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		if strings.HasPrefix(r.path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+auth)
		} else {
			req.Header.Set("X-CSRF-Token", auth)
		}
	}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Content-Type")
}

// postJSON posts body and decodes the answer into v, failing the test
// unless it is a success.
func postJSON(t *testing.T, cl *http.Client, url, body string, v any) {
	t.Helper()
	res, err := cl.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
}
