package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/testdb"
)

func TestReadiness(t *testing.T) {
	app := newTestApp(t)
	must(t, app.do(t, req{method: http.MethodGet, path: "/readyz", token: "-"}), http.StatusOK)

	// A database whose schema is behind this binary (someone rolled a migration back) is not
	// ready, and says so.
	testdb.Exec(t, app.dbURL, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
	res := must(t, app.do(t, req{method: http.MethodGet, path: "/readyz", token: "-"}), http.StatusServiceUnavailable)
	if k := res.kind(t); k != "unavailable" {
		t.Errorf("kind %q", k)
	}
	if !strings.Contains(app.logs.String(), "this binary needs") {
		t.Errorf("the log does not say why: %s", app.logs.String())
	}
}

func TestMetrics(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	path := "/v1/migrations/" + m.ID
	must(t, app.get(t, path), http.StatusOK)
	must(t, app.get(t, path), http.StatusOK)
	must(t, app.get(t, "/v1/migrations/01a21049-0600-76fe-b131-6f067467320a"), http.StatusNotFound)
	must(t, app.patch(t, path, map[string]any{"notes": "x"}, `"9"`), http.StatusPreconditionFailed)
	must(t, app.do(t, req{method: http.MethodGet, path: "/no/such/page/" + m.ID, token: "-"}), http.StatusNotFound)
	must(t, app.do(t, req{method: http.MethodGet, path: "/v1/migrations", token: "-"}), http.StatusUnauthorized)

	// No bearer token: /metrics is not part of the API.
	res := must(t, app.do(t, req{method: http.MethodGet, path: "/metrics", token: "-"}), http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	text := string(res.Body)
	samples := parseSamples(text)
	for _, tc := range []struct {
		sample string
		want   float64 // -1: present, any value
	}{
		{`cutover_http_requests_total{method="GET",route="/v1/migrations/:migration_id",status="200"}`, 2},
		{`cutover_http_requests_total{method="GET",route="/v1/migrations/:migration_id",status="404"}`, 1},
		{`cutover_http_requests_total{method="PATCH",route="/v1/migrations/:migration_id",status="412"}`, 1},
		{`cutover_http_requests_total{method="POST",route="/v1/migrations",status="201"}`, 1},
		{`cutover_http_requests_total{method="GET",route="/v1/migrations",status="401"}`, 1},
		{`cutover_http_requests_total{method="GET",route="unmatched",status="404"}`, 1},
		{`cutover_http_request_duration_seconds_count{method="GET",route="/v1/migrations/:migration_id",status="200"}`, 2},
		{`cutover_sqlite_write_queue_length`, 0},
		{`go_goroutines`, -1},
	} {
		got, ok := samples[tc.sample]
		if !ok || (tc.want >= 0 && got != tc.want) {
			t.Errorf("%s = %v (present %v), want %v", tc.sample, got, ok, tc.want)
		}
	}
	pools := []string{"read", "write"}
	if app.store.Dialect() == store.Postgres {
		pools = []string{"postgres"}
	} else if n := samples["cutover_sqlite_write_batch_size_count"]; n < 1 {
		t.Errorf("write batches observed: %v", n)
	}
	for _, p := range pools {
		if _, ok := samples[`go_sql_max_open_connections{db_name="`+p+`"}`]; !ok {
			t.Errorf("no statistics of pool %s", p)
		}
	}
	// Route templates, never paths: an id in a label would make a series per resource.
	if strings.Contains(text, m.ID) {
		t.Error("a resource id appears in the metrics")
	}
}

// parseSamples reads the text exposition format into sample (name and labels) -> value.
func parseSamples(text string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
