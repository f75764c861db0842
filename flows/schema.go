package flows

import (
	_ "embed" // for the schema
	"slices"
)

//go:embed flows.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of flow files and of tests
// files (*.test.yaml). Editors use it for completion; the Go checks of
// Parse, Validate and Lint are stricter.
func Schema() []byte { return slices.Clone(schema) }
