package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/metrics"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/testdb"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
)

const adminToken = "cut_test-admin-token-0123456789abcdefghij"

// testApp is the service as `serve` builds it, on a migrated SQLite file of its own.
type testApp struct {
	t     *testing.T
	store *store.Store
	e     *echo.Echo
	dbURL string
	logs  *syncBuffer
	now   func() time.Time
	// outcomes counts webhook attempt outcomes, as the metrics do.
	outcomes outcomeCounter
}

type outcomeCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *outcomeCounter) add(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[outcome]++
}

func (c *outcomeCounter) get() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

type appOption func(*appConfig)

type appConfig struct {
	guard        handlers.GuardMode
	now          func() time.Time
	rate         handlers.RateLimit
	cors         []string
	templates    *checklist.Library // the built-in templates when nil
	allowPrivate bool               // webhooks may go to loopback over http (the test receivers)
	idemWait     time.Duration      // how long a retry waits for the first request with its key
}

func withRateLimit(r handlers.RateLimit) appOption { return func(c *appConfig) { c.rate = r } }

func withCORS(origins ...string) appOption { return func(c *appConfig) { c.cors = origins } }

func withGuard(g handlers.GuardMode) appOption { return func(c *appConfig) { c.guard = g } }

func withClock(now func() time.Time) appOption { return func(c *appConfig) { c.now = now } }

func newTestApp(t *testing.T, opts ...appOption) *testApp {
	t.Helper()
	cfg := appConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	dbURL := testDatabaseURL(t)
	return openTestApp(t, dbURL, cfg)
}

func openTestApp(t *testing.T, dbURL string, cfg appConfig) *testApp {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New()
	st, err := store.Open(context.Background(), dbURL, store.Options{Logger: log, Now: cfg.now, Redact: patientguard.Redact,
		Templates: cfg.templates, OnWriteBatch: m.ObserveWriteBatch})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := m.WatchStore(st.Pools(), st.WriteQueueLength); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Bootstrap(context.Background(), adminToken); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	e, err := handlers.NewRouter(handlers.Config{Store: st, Logger: log, Guard: cfg.guard, Now: cfg.now,
		RateLimit: cfg.rate, CORSOrigins: cfg.cors, Metrics: m,
		AllowPrivateNetworks: cfg.allowPrivate, IdempotencyWait: cfg.idemWait})
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &testApp{t: t, store: st, e: e, dbURL: dbURL, logs: logs, now: cfg.now}
}

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// testDatabaseURL is a fresh database for one test: a SQLite file in the test's temporary
// directory, or a PostgreSQL database of its own when CUTOVER_TEST_POSTGRES_URL is set.
func testDatabaseURL(t *testing.T) string {
	t.Helper()
	return testdb.URL(t)
}

// response is an answer of the router, already checked against the spec.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// problem is the body of an error answer.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	OpenTasks []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"open_tasks"`
	Missing []string `json:"missing"`
}

func (r response) problem(t *testing.T) problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("want a problem+json answer, got %d %q: %s", r.Status, ct, r.Body)
	}
	var p problem
	r.decode(t, &p)
	return p
}

// kind is the problem kind of an error answer ("" for success).
func (r response) kind(t *testing.T) string {
	t.Helper()
	if r.Status < 400 {
		return ""
	}
	return strings.TrimPrefix(r.problem(t).Type, "urn:cutover:problem:")
}

// fields lists the fields an error answer names.
func (r response) fields(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range r.problem(t).Errors {
		out = append(out, e.Field)
	}
	return out
}

type req struct {
	method, path string
	body         any // string (sent as is), []byte, or a value to encode as JSON
	token        string
	header       map[string]string
}

// do sends a request through the router and checks the answer against the spec.
func (a *testApp) do(t *testing.T, r req) response {
	t.Helper()
	var body io.Reader
	var raw []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("encode body: %v", err)
		}
	}
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if raw != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	tok := r.token
	if tok == "" {
		tok = adminToken
	}
	if tok != "-" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, hr)
	res := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkAgainstSpec(t, hr, raw, res)
	return res
}

func (a *testApp) get(t *testing.T, path string) response {
	t.Helper()
	return a.do(t, req{method: http.MethodGet, path: path})
}

func (a *testApp) post(t *testing.T, path string, body any) response {
	t.Helper()
	return a.do(t, req{method: http.MethodPost, path: path, body: body})
}

func (a *testApp) patch(t *testing.T, path string, body any, ifMatch string) response {
	t.Helper()
	h := map[string]string{}
	if ifMatch != "" {
		h["If-Match"] = ifMatch
	}
	return a.do(t, req{method: http.MethodPatch, path: path, body: body, header: h})
}

func (a *testApp) delete(t *testing.T, path string) response {
	t.Helper()
	return a.do(t, req{method: http.MethodDelete, path: path})
}

// must fails the test unless the answer has the wanted status.
func must(t *testing.T, res response, status int) response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("want %d, got %d: %s", status, res.Status, res.Body)
	}
	return res
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// checkAgainstSpec validates a response against api/openapi.yaml: an undocumented status, header
// or field fails the test, so the spec cannot drift from the code.
func checkAgainstSpec(t *testing.T, hr *http.Request, reqBody []byte, res response) {
	t.Helper()
	specOnce.Do(func() {
		var doc *openapi3.T
		doc, specErr = openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
		if specErr != nil {
			return
		}
		doc.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatalf("load spec: %v", specErr)
	}
	if hr.Method == http.MethodOptions {
		return // CORS preflights are answered before routing and are not operations
	}
	route, params, err := specRouter.FindRoute(hr)
	if err != nil {
		if res.Status == http.StatusNotFound || res.Status == http.StatusMethodNotAllowed || !strings.HasPrefix(hr.URL.Path, "/v1") {
			return // not an operation of the spec
		}
		t.Fatalf("%s %s: no operation in the spec: %v", hr.Method, hr.URL.Path, err)
	}
	if reqBody != nil {
		hr.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  res.Status,
		Header:  res.Header,
		Body:    io.NopCloser(bytes.NewReader(res.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Fatalf("%s %s answered %d, which the spec does not allow: %v\n%s", hr.Method, hr.URL.Path, res.Status, err, res.Body)
	}
}

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// reset forgets what was logged: benchmarks would otherwise measure a buffer growing without end.
func (s *syncBuffer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// --- resources as the tests see them ---

type migration struct {
	ID              string   `json:"id"`
	Status          string   `json:"status"`
	Version         int      `json:"version"`
	Stages          []string `json:"stages"`
	TemplateVersion string   `json:"template_version"`
	FDPDate         *string  `json:"fdp_date"`
	GoLiveDate      *string  `json:"go_live_date"`
	Practice        struct {
		ODSCode string `json:"ods_code"`
		Name    string `json:"name"`
	} `json:"practice"`
	Notes *string `json:"notes"`
}

type task struct {
	ID                  string  `json:"id"`
	MigrationID         string  `json:"migration_id"`
	Stage               string  `json:"stage"`
	Group               string  `json:"group"`
	Key                 *string `json:"key"`
	Title               string  `json:"title"`
	Position            int     `json:"position"`
	OwnerRole           string  `json:"owner_role"`
	Status              string  `json:"status"`
	Notes               *string `json:"notes"`
	NotApplicableReason *string `json:"not_applicable_reason"`
	DueDate             *string `json:"due_date"`
	DueDateSource       string  `json:"due_date_source"`
	CompletedAt         *string `json:"completed_at"`
	CompletedBy         *string `json:"completed_by"`
	GDPRWarning         bool    `json:"gdpr_warning"`
	Version             int     `json:"version"`
}

func (t task) url() string { return "/v1/migrations/" + t.MigrationID + "/tasks/" + t.ID }

type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// newMigration is a valid create body; change what a test needs.
func newMigration(ods string) map[string]any {
	return map[string]any{
		"practice":           map[string]any{"ods_code": ods, "name": "The Densham Surgery"},
		"current_system":     map[string]any{"supplier": "Supplier A", "product": "System One"},
		"new_system":         map[string]any{"supplier": "Supplier B", "product": "System Two"},
		"fdp_date":           "2027-03-10",
		"final_extract_date": "2027-03-10",
		"go_live_date":       "2027-03-12",
	}
}

// createMigration creates a migration through the API.
func (a *testApp) createMigration(t *testing.T, body map[string]any) migration {
	t.Helper()
	if body == nil {
		body = newMigration("A81001")
	}
	var m migration
	must(t, a.post(t, "/v1/migrations", body), http.StatusCreated).decode(t, &m)
	return m
}

// tasks reads every task of a migration (all pages) with the given query.
func (a *testApp) tasks(t *testing.T, migrationID, query string) []task {
	t.Helper()
	var out []task
	path := "/v1/migrations/" + migrationID + "/tasks?limit=200"
	if query != "" {
		path += "&" + query
	}
	cursor := ""
	for {
		p := path
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		var pg page[task]
		must(t, a.get(t, p), http.StatusOK).decode(t, &pg)
		out = append(out, pg.Items...)
		if pg.NextCursor == nil {
			return out
		}
		cursor = *pg.NextCursor
	}
}

// seedTask is the task of a migration with the given template key.
func (a *testApp) seedTask(t *testing.T, migrationID, key string) task {
	t.Helper()
	for _, tk := range a.tasks(t, migrationID, "stage=final-data-production-and-cutover") {
		if tk.Key != nil && *tk.Key == key {
			return tk
		}
	}
	t.Fatalf("no task %s", key)
	return task{}
}

func etagOf(r response) string { return r.Header.Get("ETag") }

func fmtJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

var _ = fmt.Sprintf
