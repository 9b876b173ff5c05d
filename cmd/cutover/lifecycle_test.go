package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/testdb"
)

// TestShutdownFinishesInFlightRequests sends SIGTERM while a long poll of the event feed waits:
// the poll is answered (an empty page and a cursor, so the client loses nothing), new
// connections are refused, the store closes and the process exits 0, without waiting out the
// poll.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	p := startServer(t, testdb.URL(t))
	var feed struct {
		NextCursor string `json:"next_cursor"`
	}
	p.mustCall(t, 200, "GET", "/v1/events?limit=200", nil, &feed)

	type answer struct {
		res httpReply
		err error
	}
	polled := make(chan answer, 1)
	go func() {
		res, err := p.call(context.Background(), "GET", "/v1/events?wait=5s&cursor="+feed.NextCursor, nil)
		polled <- answer{res, err}
	}()
	time.Sleep(300 * time.Millisecond) // the poll is waiting by now
	sent := time.Now()
	code := p.stop(t, syscall.SIGTERM, 4*time.Second)
	took := time.Since(sent)
	got := <-polled
	if got.err != nil || got.res.status != 200 {
		t.Fatalf("the long poll in flight at SIGTERM: %d %v %s", got.res.status, got.err, got.res.body)
	}
	var page struct {
		Items      []any  `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(got.res.body, &page); err != nil || page.NextCursor == "" {
		t.Fatalf("the long poll answered %s", got.res.body)
	}
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.logs)
	}
	if _, err := p.call(context.Background(), "GET", "/healthz", nil); err == nil {
		t.Error("the server still accepts connections after it exited")
	}
	logs := p.logs.String()
	if !strings.Contains(logs, `"msg":"shutting down"`) || !strings.Contains(logs, `"msg":"shut down"`) {
		t.Errorf("the log does not tell the shutdown:\n%s", logs)
	}
	t.Logf("SIGTERM during a 5s long poll: answered 200 and exited 0 in %v", took.Round(time.Millisecond))
}

// TestCrashLosesNoAcknowledgedWrite kills a server with SIGKILL while writers create contacts
// and patch tasks as fast as it answers. After a restart, every write it acknowledged is there,
// and the SQLite file passes integrity_check.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", testdb.SQLiteURL},
		{"postgres", testdb.PostgresURL},
	} {
		t.Run(db.name, func(t *testing.T) { crashAndCheck(t, db.url(t)) })
	}
}

func crashAndCheck(t *testing.T, dbURL string) {
	p := startServer(t, dbURL)
	var m struct {
		ID string `json:"id"`
	}
	p.mustCall(t, 201, "POST", "/v1/migrations", newMigrationBody("A81001"), &m)
	var tasks struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	const writers = 8
	p.mustCall(t, 200, "GET", fmt.Sprintf("/v1/migrations/%s/tasks?limit=%d", m.ID, writers), nil, &tasks)

	// Half the writers create contacts, half patch a task of their own; each records what the
	// server acknowledged. A patcher's task may also hold the one patch it had in flight.
	var (
		mu       sync.Mutex
		contacts []string
		lastNote = make([]int, writers) // per patcher: the last acknowledged note, -1 for none
		attempts int
	)
	var wg sync.WaitGroup
	for w := range writers {
		lastNote[w] = -1
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				var res httpReply
				var err error
				if w%2 == 0 {
					res, err = p.call(context.Background(), "POST", "/v1/migrations/"+m.ID+"/contacts",
						map[string]any{"role": "third_party", "organisation": fmt.Sprintf("writer %d, contact %d", w, i)})
				} else {
					res, err = p.call(context.Background(), "PATCH", "/v1/migrations/"+m.ID+"/tasks/"+tasks.Items[w].ID,
						map[string]any{"notes": fmt.Sprintf("note %d", i)})
				}
				mu.Lock()
				attempts++
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
				if res.status/100 != 2 {
					t.Errorf("writer %d: %d %s", w, res.status, res.body)
					return
				}
				mu.Lock()
				if w%2 == 0 {
					var c struct {
						ID string `json:"id"`
					}
					if err := json.Unmarshal(res.body, &c); err != nil {
						t.Errorf("decode %s: %v", res.body, err)
					}
					contacts = append(contacts, c.ID)
				} else {
					lastNote[w] = i
				}
				mu.Unlock()
			}
		}()
	}
	// Kill mid-stream once both kinds of write have been acknowledged a fair number of times
	// (at least a second in, at most ten: a loaded machine writes slowly, not wrongly).
	acked := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		patched := 0
		for w := 1; w < writers; w += 2 {
			patched += lastNote[w] + 1
		}
		return len(contacts), patched
	}
	time.Sleep(time.Second)
	for deadline := time.Now().Add(9 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, pt := acked(); c >= 10 && pt >= 10 {
			break
		}
	}
	if code := p.stop(t, syscall.SIGKILL, 10*time.Second); code != -int(syscall.SIGKILL) {
		t.Fatalf("exit %d, want killed", code)
	}
	wg.Wait()
	patched := 0
	for w := 1; w < writers; w += 2 {
		patched += lastNote[w] + 1
	}
	if len(contacts) < 10 || patched < 10 {
		t.Fatalf("only %d contacts and %d patches acknowledged in ten seconds", len(contacts), patched)
	}

	if store.SQLitePath(dbURL) != "" {
		info, err := store.CheckSQLite(context.Background(), dbURL)
		if err != nil {
			t.Fatalf("after SIGKILL: %v", err)
		}
		t.Logf("after SIGKILL: integrity_check ok, schema version %d, %d bytes", info.SchemaVersion, info.Size)
	}

	again := startServer(t, dbURL)
	for _, id := range contacts {
		again.mustCall(t, 200, "GET", "/v1/migrations/"+m.ID+"/contacts/"+id, nil, nil)
	}
	for w := 1; w < writers; w += 2 {
		var tk struct {
			Notes *string `json:"notes"`
		}
		again.mustCall(t, 200, "GET", "/v1/migrations/"+m.ID+"/tasks/"+tasks.Items[w].ID, nil, &tk)
		acked := fmt.Sprintf("note %d", lastNote[w])
		inFlight := fmt.Sprintf("note %d", lastNote[w]+1)
		switch {
		case lastNote[w] < 0 && (tk.Notes == nil || *tk.Notes == inFlight):
		case tk.Notes != nil && (*tk.Notes == acked || *tk.Notes == inFlight):
		default:
			t.Errorf("task of writer %d has notes %v; %q was acknowledged", w, tk.Notes, acked)
		}
	}
	stored := 0
	for cursor := ""; ; {
		var list struct {
			Items      []any   `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/migrations/" + m.ID + "/contacts?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		again.mustCall(t, 200, "GET", path, nil, &list)
		stored += len(list.Items)
		if list.NextCursor == nil {
			break
		}
		cursor = *list.NextCursor
	}
	if stored < len(contacts) || stored > len(contacts)+writers/2 {
		t.Errorf("%d contacts stored for %d acknowledged creates", stored, len(contacts))
	}
	t.Logf("SIGKILL mid-stream: %d writes sent, %d contact creates and %d task patches acknowledged, all present after restart (%d contacts stored, counting any unacknowledged one in flight)",
		attempts, len(contacts), patched, stored)
}

// TestMetricsOnItsOwnListener: with CUTOVER_METRICS_ADDR, /metrics moves to a listener of its own
// (a private port) and leaves the API's.
func TestMetricsOnItsOwnListener(t *testing.T) {
	p := startServer(t, testdb.SQLiteURL(t), "CUTOVER_METRICS_ADDR=127.0.0.1:0")
	if p.metricsURL == "" {
		t.Fatalf("no metrics listener in the log:\n%s", p.logs)
	}
	p.mustCall(t, 200, "GET", "/v1/migrations", nil, nil)
	if res, err := p.call(context.Background(), "GET", "/metrics", nil); err != nil || res.status != 404 {
		t.Fatalf("/metrics on the API listener: %d %v", res.status, err)
	}
	res, err := http.Get(p.metricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), `cutover_http_requests_total{method="GET",route="/v1/migrations",status="200"} 1`) {
		t.Fatalf("%d\n%s", res.StatusCode, body)
	}
	// The webhook queue is measured from the database: nothing is waiting yet.
	for _, want := range []string{"cutover_webhook_queue_depth 0", "cutover_sqlite_write_batch_size_count", "go_sql_open_connections"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}
