package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// BenchmarkValidateRequest runs the spec validation middleware alone: a GET with path and query
// parameters, and a PATCH with a JSON body.
func BenchmarkValidateRequest(b *testing.B) {
	spec, err := openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
	if err != nil {
		b.Fatal(err)
	}
	spec.Servers = nil
	v := newValidator(spec)
	e := echo.New()
	ok := func(echo.Context) error { return nil }
	e.GET("/v1/migrations/:migration_id/tasks", v.middleware(ok))
	e.PATCH("/v1/migrations/:migration_id/tasks/:task_id", v.middleware(ok))
	const m, t = "0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01", "0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c02"
	for _, c := range []struct{ name, method, path, body string }{
		{"get-page", http.MethodGet, "/v1/migrations/" + m + "/tasks?limit=50&status=todo&due_before=2027-03-01", ""},
		{"patch-task", http.MethodPatch, "/v1/migrations/" + m + "/tasks/" + t, `{"notes":"checked with the supplier","status":"done"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
				if c.body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkETag computes a resource's entity tag and checks the conditional headers against it.
func BenchmarkETag(b *testing.B) {
	ifNone, ifMatchHdr := `W/"41", "42"`, `"42"`
	for b.Loop() {
		tag := etag(42)
		if !notModified(&ifNone, tag) || *ifMatch(&ifMatchHdr) != 42 {
			b.Fatal("tags do not match")
		}
	}
}
