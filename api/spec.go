// Package api holds the contract, openapi.yaml, embedded so the server can serve it exactly as
// written. The Go types and server interface generated from it live in internal/api.
package api

import _ "embed"

// OpenAPIYAML is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
