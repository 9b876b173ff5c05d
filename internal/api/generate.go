// Package api is generated from api/openapi.yaml by oapi-codegen: the request and response models,
// the echo strict server interface and the embedded spec. Never edit api.gen.go by hand; change the
// spec and run `go generate ./...`.
package api

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../api/openapi.yaml
