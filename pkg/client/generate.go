// Package client is a Go client for the cutover API, generated from api/openapi.yaml by
// oapi-codegen: CSU tooling imports it instead of writing its own types. Never edit client.gen.go
// by hand; change the spec and run `go generate ./...`.
//
// Authenticate with a request editor that sets the bearer token:
//
//	c, err := client.NewClientWithResponses(baseURL, client.WithRequestEditorFn(
//		func(ctx context.Context, req *http.Request) error {
//			req.Header.Set("Authorization", "Bearer "+token)
//			return nil
//		}))
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../api/openapi.yaml
