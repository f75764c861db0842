// Package calmbot holds the project's default flow file. The framework lives
// in the subpackages: flows (flow files), bot (the conversation engine),
// store/sqlite (the default store), adapters/* (chat platforms) and
// cmd/calmbot (the command).
package calmbot

import _ "embed"

//go:embed flows.yaml
var defaultFlows []byte

// DefaultFlows returns the default flows.yaml: four de-escalation flows in
// English, Italian, German and Finnish, with their conversation tests kept
// in flows.test.yaml beside it.
func DefaultFlows() []byte { return defaultFlows }

//go:embed flows.test.yaml
var defaultFlowTests []byte

// DefaultFlowTests returns the conversation tests of the default flows
// (flows.test.yaml).
func DefaultFlowTests() []byte { return defaultFlowTests }
