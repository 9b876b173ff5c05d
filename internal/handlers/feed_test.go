package handlers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/store"
)

type feedPage struct {
	Items      []event `json:"items"`
	NextCursor string  `json:"next_cursor"`
}

// httpDo sends a request to a real server; safe off the test goroutine.
func httpDo(method, url, body string, header map[string]string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	hr, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func readFeed(base, cursor string, limit int, wait string) (feedPage, error) {
	url := fmt.Sprintf("%s/v1/events?limit=%d", base, limit)
	if cursor != "" {
		url += "&cursor=" + cursor
	}
	if wait != "" {
		url += "&wait=" + wait
	}
	var pg feedPage
	code, body, err := httpDo(http.MethodGet, url, "", nil)
	if err != nil {
		return pg, err
	}
	if code != http.StatusOK {
		return pg, fmt.Errorf("feed answered %d: %s", code, body)
	}
	return pg, json.Unmarshal(body, &pg)
}

// The feed read page by page, while eight writers commit, gives every event exactly once and in
// commit order: the same list as the whole history read afterwards.
func TestFeedUnderConcurrentWriters(t *testing.T) {
	app := newTestApp(t)
	srv := httptest.NewServer(app.e)
	defer srv.Close()

	errs := make(chan error, 100)
	var writers sync.WaitGroup
	for w := range 8 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 3 {
				body := newMigration(fmt.Sprintf("A8%d%03d", w, i))
				body["stages"] = []string{"go-live"} // 16 tasks: 17 events in one commit
				b, _ := json.Marshal(body)
				code, res, err := httpDo(http.MethodPost, srv.URL+"/v1/migrations", string(b), nil)
				if err != nil || code != http.StatusCreated {
					errs <- fmt.Errorf("writer %d: create %d %w %s", w, code, err, res)
					return
				}
				var m migration
				_ = json.Unmarshal(res, &m)
				code, res, err = httpDo(http.MethodPatch, srv.URL+"/v1/migrations/"+m.ID, `{"notes":"kick-off booked"}`, nil)
				if err != nil || code != http.StatusOK {
					errs <- fmt.Errorf("writer %d: patch %d %w %s", w, code, err, res)
					return
				}
				code, res, err = httpDo(http.MethodPost, srv.URL+"/v1/migrations/"+m.ID+"/contacts", `{"role":"icb","organisation":"ICB North"}`, nil)
				if err != nil || code != http.StatusCreated {
					errs <- fmt.Errorf("writer %d: contact %d %w %s", w, code, err, res)
					return
				}
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() {
		writers.Wait()
		close(writersDone)
	}()

	// The reader follows the feed with small pages while the writers run.
	var seen []event
	cursor, pages := "", 0
	for finished := false; ; {
		select {
		case <-writersDone:
			finished = true
		default:
		}
		pg, err := readFeed(srv.URL, cursor, 13, "")
		if err != nil {
			t.Fatal(err)
		}
		pages++
		seen = append(seen, pg.Items...)
		cursor = pg.NextCursor
		if len(pg.Items) == 0 && finished {
			break // the writers had finished before this read began: nothing is left
		}
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var all []event
	cursor = ""
	for {
		pg, err := readFeed(srv.URL, cursor, 200, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) == 0 {
			break
		}
		all = append(all, pg.Items...)
		cursor = pg.NextCursor
	}
	ids := func(evs []event) []string {
		out := make([]string, len(evs))
		for i, e := range evs {
			out[i] = e.ID
		}
		return out
	}
	// bootstrap's 2 events, then 8 writers x 3 rounds x (17 + 1 + 1)
	if want := 2 + 8*3*19; len(all) != want {
		t.Fatalf("history has %d events, want %d", len(all), want)
	}
	if !slices.Equal(ids(seen), ids(all)) {
		t.Fatalf("the feed read during the writes (%d events in %d pages) differs from the history (%d events)", len(seen), pages, len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Sequence <= all[i-1].Sequence {
			t.Fatalf("sequence %d after %d", all[i].Sequence, all[i-1].Sequence)
		}
	}
	t.Logf("%d events read in %d pages while 8 writers committed", len(seen), pages)
}

// A long poll answers as soon as an event commits, and with an empty page when its time is up.
func TestLongPoll(t *testing.T) {
	app := newTestApp(t)
	srv := httptest.NewServer(app.e)
	defer srv.Close()
	m := app.createMigration(t, nil)
	head, err := readFeed(srv.URL, "", 200, "")
	for err == nil && len(head.Items) > 0 {
		head, err = readFeed(srv.URL, head.NextCursor, 200, "")
	}
	if err != nil {
		t.Fatal(err)
	}

	type result struct {
		pg  feedPage
		err error
		at  time.Time
	}
	polled := make(chan result, 1)
	start := time.Now()
	go func() {
		pg, err := readFeed(srv.URL, head.NextCursor, 50, "5s")
		polled <- result{pg, err, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond)
	tk := app.seedTask(t, m.ID, "agree-fdp-date")
	must(t, app.patch(t, tk.url(), map[string]any{"notes": "agreed"}, ""), http.StatusOK)
	committed := time.Now()
	r := <-polled
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.pg.Items) != 1 || r.pg.Items[0].Action != "task.updated" {
		t.Fatalf("long poll gave %+v", r.pg.Items)
	}
	if r.at.Sub(start) < 300*time.Millisecond {
		t.Fatalf("the long poll answered after %s, before anything committed", r.at.Sub(start))
	}
	if lag := r.at.Sub(committed); lag > time.Second {
		t.Fatalf("the long poll answered %s after the commit", lag)
	}
	t.Logf("long poll answered %s after the commit", max(r.at.Sub(committed), 0))

	// Nothing new: an empty page when the time is up, with the same place in the feed.
	start = time.Now()
	pg, err := readFeed(srv.URL, r.pg.NextCursor, 50, "1s")
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); len(pg.Items) != 0 || took < time.Second || took > 3*time.Second || pg.NextCursor != r.pg.NextCursor {
		t.Fatalf("idle long poll: %d items after %s, cursor %q", len(pg.Items), took, pg.NextCursor)
	}
}

// On PostgreSQL, a long poll on one replica wakes for a commit on another (LISTEN/NOTIFY).
// SQLite is a single server's database: there is no other replica to hear from.
func TestLongPollWakesAcrossReplicas(t *testing.T) {
	app := newTestApp(t)
	if app.store.Dialect() != store.Postgres {
		t.Skip("replicas share PostgreSQL only")
	}
	other := openTestApp(t, app.dbURL, appConfig{})
	srv := httptest.NewServer(app.e)
	defer srv.Close()
	head, err := readFeed(srv.URL, "", 200, "")
	for err == nil && len(head.Items) > 0 {
		head, err = readFeed(srv.URL, head.NextCursor, 200, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	polled := make(chan time.Time, 1)
	go func() {
		_, _ = readFeed(srv.URL, head.NextCursor, 50, "10s")
		polled <- time.Now()
	}()
	time.Sleep(300 * time.Millisecond)
	must(t, other.post(t, "/v1/organisations", map[string]any{"name": "North CSU", "kind": "csu"}), http.StatusCreated)
	committed := time.Now()
	if lag := (<-polled).Sub(committed); lag > time.Second {
		t.Fatalf("the long poll answered %s after another replica's commit", lag)
	}
}
