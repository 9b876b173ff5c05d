package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serveBench runs one request through the router, without the spec check of the test helper:
// what is measured is the server.
func serveBench(b *testing.B, app *testApp, method, path, body string) {
	b.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	app.e.ServeHTTP(rec, r)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	app.logs.reset() // the request line is still formatted and written, as a server's is
}

func benchApp(b *testing.B) (*testApp, migration, task) {
	t := &testing.T{}
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	return app, m, app.seedTask(t, m.ID, "agree-fdp-date")
}

func BenchmarkGetTask(b *testing.B) {
	app, _, tk := benchApp(b)
	for b.Loop() {
		serveBench(b, app, "GET", tk.url(), "")
	}
}

func BenchmarkListTasksPage(b *testing.B) {
	app, m, _ := benchApp(b)
	for b.Loop() {
		serveBench(b, app, "GET", "/v1/migrations/"+m.ID+"/tasks?limit=50", "")
	}
}

func BenchmarkEventFeedPage(b *testing.B) {
	app, _, _ := benchApp(b)
	for b.Loop() {
		serveBench(b, app, "GET", "/v1/events?limit=50", "")
	}
}

func BenchmarkPatchTask(b *testing.B) {
	app, _, tk := benchApp(b)
	for b.Loop() {
		serveBench(b, app, "PATCH", tk.url(), `{"notes":"checked"}`)
	}
}

func BenchmarkCreateMigration(b *testing.B) {
	app, _, _ := benchApp(b)
	body := fmtJSON(newMigration("A81001"))
	for b.Loop() {
		serveBench(b, app, "POST", "/v1/migrations", body)
	}
}
