package flows

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("flows.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("flows.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateSchema(t *testing.T, s *jsonschema.Schema, path string) error {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s.Validate(inst)
}

func TestSchema(t *testing.T) {
	s := compileSchema(t)
	valid, err := filepath.Glob("testdata/lint/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	valid = append(valid, "testdata/good.yaml", "testdata/answers.yaml", "testdata/good.more.test.yaml", "testdata/validate/unreachable.yaml")
	for _, path := range valid {
		t.Run("valid/"+filepath.Base(path), func(t *testing.T) {
			if err := validateSchema(t, s, path); err != nil {
				t.Errorf("%s does not match the schema: %v", path, err)
			}
		})
	}
	invalid := []string{
		"testdata/validate/parse_unknown_key.yaml",
		"testdata/validate/parse_wrong_type.yaml",
		"testdata/validate/parse_float_int.yaml",
		"testdata/validate/parse_text_string.yaml",
		"testdata/validate/parse_text_channel.yaml",
		"testdata/validate/parse_duration.yaml",
		"testdata/validate/version.yaml",
		"testdata/validate/kind.yaml",
		"testdata/validate/name.yaml",
		"testdata/validate/no_flows.yaml",
		"testdata/validate/unknown_event.yaml",
		"testdata/validate/tests.yaml",
		"testdata/graph.yaml",
	}
	for _, path := range invalid {
		t.Run("invalid/"+filepath.Base(path), func(t *testing.T) {
			if err := validateSchema(t, s, path); err == nil {
				t.Errorf("%s matches the schema, want an error", path)
			}
		})
	}
}

// TestSchemaDefaultFlows checks the repository's default flows.yaml, when
// there is one.
func TestSchemaDefaultFlows(t *testing.T) {
	const path = "../flows.yaml"
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		t.Skip("no ../flows.yaml yet")
	}
	if err := validateSchema(t, compileSchema(t), path); err != nil {
		t.Errorf("%s does not match the schema: %v", path, err)
	}
}
