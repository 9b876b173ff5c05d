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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/testdb"
)

// replicaChecks are what must hold when several replicas share one PostgreSQL database. Each runs
// on the same replicas, one after another, and must not depend on another's data: add the next
// one here. (Webhook deliveries claimed once across workers: TestDeliveriesClaimedOnceAcrossReplicas.)
var replicaChecks = []struct {
	name string
	run  func(t *testing.T, rs replicas)
}{
	{"racing If-Match: one 200, one 412", checkIfMatchRace},
	{"one Idempotency-Key sent to both: one resource", checkIdempotencyAcrossReplicas},
	{"event feed: every event once, in order", checkFeedOrder},
	{"long poll wakes on a commit elsewhere", checkLongPollWakes},
	{"token revocation reaches every replica", checkTokenRevocation},
	{"listeners reconnect after losing their connection", checkListenerReconnects},
}

// TestReplicas starts two servers, as two replicas would run, on loopback against one empty
// PostgreSQL database, and checks that they behave as one service.
func TestReplicas(t *testing.T) {
	rs := startReplicas(t, testdb.EmptyPostgresURL(t), 2)
	for _, c := range replicaChecks {
		t.Run(c.name, func(t *testing.T) { c.run(t, rs) })
	}
}

// replica is one server: its own store (pool, listener, caches) and router behind a real
// listener.
type replica struct {
	name  string
	url   string
	store *store.Store
}

// replicas are the servers of one test and the database they share.
type replicas struct {
	all   []*replica
	dbURL string
}

// startReplicas starts n servers at once on one database, as a deployment does: they migrate the
// schema and bootstrap the operator together, and exactly one of them does each.
func startReplicas(t *testing.T, dbURL string, n int) replicas {
	t.Helper()
	rs := replicas{all: make([]*replica, n), dbURL: dbURL}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range rs.all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			st, err := store.Open(context.Background(), dbURL, store.Options{Logger: log})
			if err != nil {
				errs[i] = fmt.Errorf("open replica %d: %w", i, err)
				return
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.Bootstrap(context.Background(), adminToken); err != nil {
				errs[i] = fmt.Errorf("bootstrap replica %d: %w", i, err)
				return
			}
			e, err := handlers.NewRouter(handlers.Config{Store: st, Logger: log})
			if err != nil {
				errs[i] = err
				return
			}
			srv := httptest.NewServer(e)
			t.Cleanup(srv.Close) // registered after the store's Close, so it runs before it
			rs.all[i] = &replica{name: string(rune('A' + i)), url: srv.URL, store: st}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call sends a real HTTP request to the replica, with the admin token unless token is given.
func (r *replica) call(t *testing.T, method, path string, body any, header ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	hr, err := http.NewRequest(method, r.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		hr.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, r.name, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

func (r *replica) mustCall(t *testing.T, status int, method, path string, body any, header ...string) reply {
	t.Helper()
	res := r.call(t, method, path, body, header...)
	if res.status != status {
		t.Fatalf("%s %s on %s: want %d, got %d: %s", method, path, r.name, status, res.status, res.body)
	}
	return res
}

func checkIfMatchRace(t *testing.T, rs replicas) {
	a, b := rs.all[0], rs.all[1]
	var m migration
	a.mustCall(t, 201, "POST", "/v1/migrations", newMigration("A81001")).decode(t, &m)
	var tk task
	var tasks page[task]
	a.mustCall(t, 200, "GET", "/v1/migrations/"+m.ID+"/tasks?limit=1", nil).decode(t, &tasks)
	tk = tasks.Items[0]
	for round := range 10 {
		// Alternate between a migration and one of its tasks: both are version-checked.
		path := "/v1/migrations/" + m.ID
		if round%2 == 1 {
			path = tk.url()
		}
		etag := a.mustCall(t, 200, "GET", path, nil).header.Get("ETag")
		statuses := make([]int, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, r := range []*replica{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = r.call(t, "PATCH", path, map[string]any{"notes": fmt.Sprintf("round %d from %s", round, r.name)}, "If-Match", etag).status
			}()
		}
		close(start)
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{200, 412}) {
			t.Fatalf("round %d on %s: statuses %v, want one 200 and one 412", round, path, statuses)
		}
	}
}

// checkIdempotencyAcrossReplicas sends the same POST with the same key to both replicas at
// once, several times over: one migration is created, and every answer names it.
func checkIdempotencyAcrossReplicas(t *testing.T, rs replicas) {
	key := fmt.Sprintf("replica-key-%d", time.Now().UnixNano())
	body := newMigration("C83001")
	type answer struct {
		status int
		id     string
	}
	answers := make([]answer, 6)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		r := rs.all[i%len(rs.all)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := r.call(t, "POST", "/v1/migrations", body, "Idempotency-Key", key)
			var m migration
			if res.status == 201 {
				res.decode(t, &m)
			}
			answers[i] = answer{res.status, m.ID}
		}()
	}
	close(start)
	wg.Wait()
	ids := map[string]bool{}
	for _, a := range answers {
		switch a.status {
		case 201:
			ids[a.id] = true
		case 409: // still in flight on the other replica: the client retries later
		default:
			t.Fatalf("answers %+v", answers)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d migrations from one key: %+v", len(ids), answers)
	}
	var list page[migration]
	rs.all[1].mustCall(t, 200, "GET", "/v1/migrations?ods_code=C83001", nil).decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d migrations stored for one key", len(list.Items))
	}
}

// feedPath is the feed after cursor ("" for the start), with more query parameters.
func feedPath(cursor, query string) string {
	if cursor != "" {
		query += "&cursor=" + cursor
	}
	return "/v1/events?" + query
}

// feedEnd reads the feed to its end and returns the cursor there.
func feedEnd(t *testing.T, r *replica) string {
	t.Helper()
	cursor := ""
	for {
		var pg struct {
			Items      []event `json:"items"`
			NextCursor string  `json:"next_cursor"`
		}
		r.mustCall(t, 200, "GET", feedPath(cursor, "limit=200"), nil).decode(t, &pg)
		cursor = pg.NextCursor
		if len(pg.Items) == 0 {
			return cursor
		}
	}
}

func checkFeedOrder(t *testing.T, rs replicas) {
	a := rs.all[0]
	var m migration
	a.mustCall(t, 201, "POST", "/v1/migrations", newMigration("A81002")).decode(t, &m)
	start := feedEnd(t, a)

	// Writers on every replica create contacts; a follower reads the feed through replica A with
	// long polls while they write.
	const writersPerReplica, perWriter = 3, 10
	var (
		mu    sync.Mutex
		acked = map[string]bool{} // contact ids whose create was answered 201
		wg    sync.WaitGroup
	)
	for _, r := range rs.all {
		for w := range writersPerReplica {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					if i%5 == 4 {
						// Now and then a large transaction (a migration and its 156 tasks: 157
						// events), whose events take a while to insert.
						r.mustCall(t, 201, "POST", "/v1/migrations", newMigration("A81002"))
					}
					res := r.call(t, "POST", "/v1/migrations/"+m.ID+"/contacts",
						map[string]any{"role": "third_party", "organisation": fmt.Sprintf("%s-%d-%d", r.name, w, i)})
					if res.status != 201 {
						t.Errorf("create contact on %s: %d %s", r.name, res.status, res.body)
						return
					}
					var c contact
					res.decode(t, &c)
					mu.Lock()
					acked[c.ID] = true
					mu.Unlock()
				}
			}()
		}
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()

	var seen []event
	cursor := start
	done := false
	deadline := time.Now().Add(30 * time.Second)
	for !done && time.Now().Before(deadline) {
		select {
		case <-writing:
			done = true // one more read after the last write was acknowledged
		default:
		}
		var pg struct {
			Items      []event `json:"items"`
			NextCursor string  `json:"next_cursor"`
		}
		a.mustCall(t, 200, "GET", feedPath(cursor, "limit=7&wait=1s"), nil).decode(t, &pg)
		seen = append(seen, pg.Items...)
		cursor = pg.NextCursor
		if done && len(pg.Items) > 0 {
			done = false // not at the end yet
		}
	}
	if !done {
		t.Fatal("the writers or the follower did not finish in 30s")
	}

	ids := map[string]int{}
	created := map[string]int{}
	for i, e := range seen {
		ids[e.ID]++
		if i > 0 && e.Sequence <= seen[i-1].Sequence {
			t.Fatalf("event %d has sequence %d after %d", i, e.Sequence, seen[i-1].Sequence)
		}
		if e.Action == "contact.created" {
			created[e.Resource.ID]++
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("event %s read %d times", id, n)
		}
	}
	if len(acked) != len(rs.all)*writersPerReplica*perWriter {
		t.Fatalf("%d creates acknowledged", len(acked))
	}
	for id := range acked {
		if created[id] != 1 {
			t.Errorf("contact %s: %d contact.created events in the feed, want 1", id, created[id])
		}
	}
	if len(created) != len(acked) {
		t.Errorf("%d contact.created events for %d acknowledged creates", len(created), len(acked))
	}
	// Every replica reads the same feed.
	var again []event
	cursor = start
	for {
		var pg struct {
			Items      []event `json:"items"`
			NextCursor string  `json:"next_cursor"`
		}
		rs.all[1].mustCall(t, 200, "GET", feedPath(cursor, "limit=200"), nil).decode(t, &pg)
		if len(pg.Items) == 0 {
			break
		}
		again = append(again, pg.Items...)
		cursor = pg.NextCursor
	}
	if len(again) != len(seen) {
		t.Fatalf("replica B reads %d events, the follower on A read %d", len(again), len(seen))
	}
	for i := range again {
		if again[i].ID != seen[i].ID {
			t.Fatalf("event %d: B reads %s, A read %s", i, again[i].ID, seen[i].ID)
		}
	}
	t.Logf("%d writes on %d replicas, %d events followed in order", len(acked), len(rs.all), len(seen))
}

func checkLongPollWakes(t *testing.T, rs replicas) {
	a, b := rs.all[0], rs.all[1]
	var m migration
	b.mustCall(t, 201, "POST", "/v1/migrations", newMigration("A81003")).decode(t, &m)
	for round := range 3 {
		cursor := feedEnd(t, a)
		type answer struct {
			res reply
			at  time.Time
		}
		answered := make(chan answer, 1)
		go func() {
			res := a.call(t, "GET", feedPath(cursor, "wait=5s"), nil)
			answered <- answer{res, time.Now()}
		}()
		time.Sleep(300 * time.Millisecond) // the poll is waiting by now
		committed := time.Now()
		b.mustCall(t, 200, "PATCH", "/v1/migrations/"+m.ID, map[string]any{"notes": fmt.Sprintf("round %d", round)})
		got := <-answered
		var pg struct {
			Items []event `json:"items"`
		}
		got.res.decode(t, &pg)
		woke := got.at.Sub(committed)
		if got.res.status != 200 || len(pg.Items) == 0 || woke > time.Second {
			t.Fatalf("round %d: the long poll on A answered %d with %d events %v after the commit on B", round, got.res.status, len(pg.Items), woke)
		}
		t.Logf("round %d: the long poll on A woke %v after the write to B was sent", round, woke.Round(time.Millisecond))
	}
}

func checkTokenRevocation(t *testing.T, rs replicas) {
	a, b := rs.all[0], rs.all[1]
	var tok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	a.mustCall(t, 201, "POST", "/v1/tokens", map[string]any{"name": "csu-sync", "role": "viewer"}).decode(t, &tok)
	// B looks the token up and caches it.
	b.mustCall(t, 200, "GET", "/v1/migrations", nil, "Authorization", "Bearer "+tok.Token)
	a.mustCall(t, 204, "DELETE", "/v1/tokens/"+tok.ID, nil)
	revoked := time.Now()
	for {
		res := b.call(t, "GET", "/v1/migrations", nil, "Authorization", "Bearer "+tok.Token)
		if res.status == 401 {
			t.Logf("replica B refused the revoked token %v after replica A revoked it", time.Since(revoked).Round(time.Millisecond))
			return
		}
		if time.Since(revoked) > time.Second {
			t.Fatalf("replica B still accepts a token revoked on A a second ago (%d)", res.status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkListenerReconnects cuts every replica's listener connection, as a database restart or a
// network blip would: the listeners come back on their own, and long polls and revocations work
// across replicas again.
func checkListenerReconnects(t *testing.T, rs replicas) {
	const listeners = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cutover listener'"
	pids := func() []string {
		var list string
		testdb.QueryRow(t, rs.dbURL, "SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM ("+listeners+") AS l", &list)
		return strings.Split(list, ",")
	}
	before := pids()
	if len(before) != len(rs.all) {
		t.Fatalf("listener connections %v, want one per replica", before)
	}
	testdb.Exec(t, rs.dbURL, "SELECT pg_terminate_backend(pid) FROM ("+listeners+") AS l")
	cut := time.Now()
	for {
		now := pids()
		if len(now) == len(rs.all) && !slices.ContainsFunc(now, func(p string) bool { return slices.Contains(before, p) }) {
			t.Logf("%d listeners back on new connections %v after theirs were cut", len(now), time.Since(cut).Round(time.Millisecond))
			break
		}
		if time.Since(cut) > 5*time.Second {
			t.Fatalf("listener connections %v 5s after cutting %v", now, before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkLongPollWakes(t, rs)
	checkTokenRevocation(t, rs)
}
