package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
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

// BenchmarkPatchTask changes a task's notes: every request writes (the same notes twice would
// be a no-op that writes nothing).
func BenchmarkPatchTask(b *testing.B) {
	app, _, tk := benchApp(b)
	n := 0
	for b.Loop() {
		n++
		serveBench(b, app, "PATCH", tk.url(), `{"notes":"checked `+strconv.Itoa(n)+`"}`)
	}
}

func BenchmarkCreateMigration(b *testing.B) {
	app, _, _ := benchApp(b)
	body := fmtJSON(newMigration("A81001"))
	for b.Loop() {
		serveBench(b, app, "POST", "/v1/migrations", body)
	}
}

// BenchmarkPatchTaskParallel patches the tasks of a migration from 16 goroutines at once, as the
// loopback benchmark's clients do: the group-committing writer gathers them.
func BenchmarkPatchTaskParallel(b *testing.B) {
	app, m, _ := benchApp(b)
	tasks := app.tasks(&testing.T{}, m.ID, "")
	var next atomic.Int64
	b.SetParallelism(8) // 8 x GOMAXPROCS(2) = 16 clients
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			tk := tasks[n%int64(len(tasks))]
			serveBench(b, app, "PATCH", tk.url(), `{"notes":"checked `+strconv.FormatInt(n, 10)+`"}`)
		}
	})
}
