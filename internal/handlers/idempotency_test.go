package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/store"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// set moves the clock to an RFC 3339 instant and returns it.
func (c *clock) set(s string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = at(s)
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sent is a request served off the test goroutine; check it with checkAgainstSpec afterwards.
type sent struct {
	hr  *http.Request
	raw []byte
	res response
}

// send serves a request without touching t, so goroutines may call it.
func (a *testApp) send(method, path string, body []byte, header map[string]string) sent {
	hr := httptest.NewRequest(method, path, bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+adminToken)
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, hr)
	return sent{hr: httptest.NewRequest(method, path, nil), raw: body,
		res: response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}}
}

func (s sent) check(t *testing.T, hdr map[string]string) response {
	t.Helper()
	s.hr.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		s.hr.Header.Set(k, v)
	}
	checkAgainstSpec(t, s.hr, s.raw, s.res)
	return s.res
}

func withKey(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// countEvents counts the feed's events with an action.
func (a *testApp) countEvents(t *testing.T, action string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		path := "/v1/events?limit=200&action=" + action
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var pg struct {
			Items      []event `json:"items"`
			NextCursor string  `json:"next_cursor"`
		}
		must(t, a.get(t, path), http.StatusOK).decode(t, &pg)
		if len(pg.Items) == 0 {
			return n
		}
		n += len(pg.Items)
		cursor = pg.NextCursor
	}
}

func TestIdempotentPostsReplay(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, newMigration("A81009"))
	so := app.signOffFDP(t, m.ID)
	for _, tc := range []struct {
		name, path string
		body       map[string]any
		other      map[string]any // a different body under the same key
		action     string         // the event one request records
		secret     string         // a field shown once, which the replay must still carry
		status     int
	}{
		{"migration", "/v1/migrations", newMigration("B82001"), newMigration("B82002"), "migration.created", "", 201},
		{"task", "/v1/migrations/" + m.ID + "/tasks", map[string]any{"stage": "go-live", "title": "Print the rota"},
			map[string]any{"stage": "go-live", "title": "Print the other rota"}, "task.created", "", 201},
		{"contact", "/v1/migrations/" + m.ID + "/contacts", map[string]any{"role": "icb", "organisation": "ICB North"},
			map[string]any{"role": "icb", "organisation": "ICB South"}, "contact.created", "", 201},
		{"token", "/v1/tokens", map[string]any{"name": "sync", "role": "editor"}, map[string]any{"name": "sync2", "role": "editor"}, "token.created", "token", 201},
		{"webhook", "/v1/webhooks", map[string]any{"url": "https://203.0.113.10/hooks", "events": []string{"*"}},
			map[string]any{"url": "https://203.0.113.11/hooks", "events": []string{"*"}}, "webhook.created", "secret", 201},
		{"revoke", "/v1/migrations/" + m.ID + "/signoffs/" + so + "/revoke", map[string]any{"reason": "The extract is retaken."},
			map[string]any{"reason": "Another reason."}, "signoff.revoked", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "key-" + tc.name
			before := app.countEvents(t, tc.action)
			first := must(t, app.do(t, req{method: http.MethodPost, path: tc.path, body: tc.body, header: withKey(key)}), tc.status)
			again := must(t, app.do(t, req{method: http.MethodPost, path: tc.path, body: tc.body, header: withKey(key)}), first.Status)
			if first.Header.Get("Idempotent-Replayed") != "" || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("Idempotent-Replayed: first %q, again %q", first.Header.Get("Idempotent-Replayed"), again.Header.Get("Idempotent-Replayed"))
			}
			if !bytes.Equal(first.Body, again.Body) || first.Header.Get("Location") != again.Header.Get("Location") || etagOf(first) != etagOf(again) {
				t.Errorf("replay differs:\n%s %s\n%s %s", first.Body, first.Header, again.Body, again.Header)
			}
			if tc.secret != "" {
				var a, b map[string]any
				first.decode(t, &a)
				again.decode(t, &b)
				if a[tc.secret] == nil || a[tc.secret] != b[tc.secret] {
					t.Errorf("%s: first %v, replay %v", tc.secret, a[tc.secret], b[tc.secret])
				}
			}
			if n := app.countEvents(t, tc.action) - before; n != 1 {
				t.Errorf("%d %s events, want 1", n, tc.action)
			}
			// The same key with another body is refused, and changes nothing.
			res := app.do(t, req{method: http.MethodPost, path: tc.path, body: tc.other, header: withKey(key)})
			if res.Status != 422 || res.kind(t) != "idempotency-key-reused" {
				t.Fatalf("another body: %d %s", res.Status, res.Body)
			}
			if n := app.countEvents(t, tc.action) - before; n != 1 {
				t.Errorf("%d %s events after a reused key, want 1", n, tc.action)
			}
		})
	}
}

// signOffFDP completes the seed stage of a migration and signs it off; it returns the sign-off id.
func (a *testApp) signOffFDP(t *testing.T, migrationID string) string {
	t.Helper()
	for _, tk := range a.tasks(t, migrationID, "stage=final-data-production-and-cutover") {
		must(t, a.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	}
	var so struct {
		ID string `json:"id"`
	}
	must(t, a.post(t, "/v1/migrations/"+migrationID+"/signoffs", map[string]any{"stage": "final-data-production-and-cutover",
		"role": "practice_manager", "name": "Alex Morgan", "statement": "All done."}), http.StatusCreated).decode(t, &so)
	return so.ID
}

func TestIdempotencyKeysBelongToTheirToken(t *testing.T) {
	app := newTestApp(t)
	var tok struct {
		Token string `json:"token"`
	}
	must(t, app.post(t, "/v1/tokens", map[string]any{"name": "sync", "role": "editor"}), http.StatusCreated).decode(t, &tok)
	body := newMigration("C83001")
	var a, b migration
	must(t, app.do(t, req{method: http.MethodPost, path: "/v1/migrations", body: body, header: withKey("shared")}), http.StatusCreated).decode(t, &a)
	res := must(t, app.do(t, req{method: http.MethodPost, path: "/v1/migrations", body: body, token: tok.Token, header: withKey("shared")}), http.StatusCreated)
	res.decode(t, &b)
	if a.ID == b.ID || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("another token's key replayed the first response: %s %s", a.ID, b.ID)
	}
}

func TestFailedPostIsNotStored(t *testing.T) {
	app := newTestApp(t)
	bad := newMigration("A81001")
	bad["go_live_date"] = "2027-03-01" // before FDP: a 422
	res := app.do(t, req{method: http.MethodPost, path: "/v1/migrations", body: bad, header: withKey("k1")})
	if res.Status != 422 {
		t.Fatalf("bad dates: %d %s", res.Status, res.Body)
	}
	// It changed nothing, so a retry runs again (and fails again, not replayed)...
	res = app.do(t, req{method: http.MethodPost, path: "/v1/migrations", body: bad, header: withKey("k1")})
	if res.Status != 422 || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry of a failure: %d %v", res.Status, res.Header)
	}
	// ...and the corrected request may use the key.
	must(t, app.do(t, req{method: http.MethodPost, path: "/v1/migrations", body: newMigration("A81001"), header: withKey("k1")}), http.StatusCreated)
}

// Ten requests with one key at once create one migration; every one gets its response.
func TestConcurrentRequestsWithOneKeyCreateOne(t *testing.T) {
	app := newTestApp(t)
	body, _ := json.Marshal(newMigration("D84001"))
	results := make([]sent, 10)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = app.send(http.MethodPost, "/v1/migrations", body, withKey("ten"))
		}()
	}
	wg.Wait()
	ids, replayed := map[string]bool{}, 0
	for _, r := range results {
		res := must(t, r.check(t, withKey("ten")), http.StatusCreated)
		var m migration
		res.decode(t, &m)
		ids[m.ID] = true
		if res.Header.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}
	var list page[migration]
	must(t, app.get(t, "/v1/migrations"), http.StatusOK).decode(t, &list)
	if len(ids) != 1 || replayed != 9 || len(list.Items) != 1 || app.countEvents(t, "migration.created") != 1 {
		t.Fatalf("%d ids, %d replays, %d migrations", len(ids), replayed, len(list.Items))
	}
}

// A request that died holding its key: retries wait, then take the key over once its lease has
// run out. One that died after committing is never run again.
func TestIdempotencyKeyOfADeadRequest(t *testing.T) {
	clk := newClock(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	app := openTestApp(t, testDatabaseURL(t), appConfig{now: clk.now, idemWait: 50 * time.Millisecond})
	ctx := context.Background()
	who, err := app.store.Authenticate(ctx, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	hash := func(path string, body []byte) []byte { // the middleware's: method, path, body
		h := sha256.Sum256(append([]byte("POST "+path+"\n"), body...))
		return h[:]
	}

	// Died before committing anything.
	body, _ := json.Marshal(map[string]any{"name": "North CSU", "kind": "csu"})
	if c, _, err := app.store.ClaimIdempotencyKey(ctx, who.TokenID, "k-dead", hash("/v1/organisations", body), 30*time.Second); err != nil || c == nil {
		t.Fatalf("claim: %v %v", c, err)
	}
	post := func(key string, b []byte) response {
		return app.do(t, req{method: http.MethodPost, path: "/v1/organisations", body: b, header: withKey(key)})
	}
	if res := post("k-dead", body); res.Status != 409 || res.kind(t) != "idempotency-key-in-use" {
		t.Fatalf("while the lease runs: %d %s", res.Status, res.Body)
	}
	clk.advance(31 * time.Second)
	must(t, post("k-dead", body), http.StatusCreated)

	// Died after committing, before storing the response.
	body2, _ := json.Marshal(map[string]any{"name": "South CSU", "kind": "csu"})
	c, _, err := app.store.ClaimIdempotencyKey(ctx, who.TokenID, "k-lost", hash("/v1/organisations", body2), 30*time.Second)
	if err != nil || c == nil {
		t.Fatalf("claim: %v %v", c, err)
	}
	org, err := app.store.CreateOrganisation(store.WithIdempotencyClaim(ctx, c), who, "South CSU", "csu")
	if err != nil || !c.Committed() {
		t.Fatalf("create under the claim: %v, committed %v", err, c.Committed())
	}
	if res := post("k-lost", body2); res.Status != 409 || res.kind(t) != "idempotency-key-in-use" {
		t.Fatalf("while its lease runs: %d %s", res.Status, res.Body)
	}
	clk.advance(31 * time.Second)
	res := post("k-lost", body2)
	if res.Status != 409 || res.kind(t) != "idempotency-response-lost" || !strings.Contains(res.problem(t).Detail, org.ID.String()) {
		t.Fatalf("after the lease: %d %s", res.Status, res.Body)
	}

	// A request whose claim was taken over cannot commit: the work is done once.
	body3, _ := json.Marshal(map[string]any{"name": "East CSU", "kind": "csu"})
	slow, _, _ := app.store.ClaimIdempotencyKey(ctx, who.TokenID, "k-slow", hash("/v1/organisations", body3), 30*time.Second)
	clk.advance(31 * time.Second)
	must(t, post("k-slow", body3), http.StatusCreated)
	if _, err := app.store.CreateOrganisation(store.WithIdempotencyClaim(ctx, slow), who, "East CSU 2", "csu"); err == nil || !strings.Contains(err.Error(), "idempotency-key-in-use") {
		t.Fatalf("write under a lost claim: %v", err)
	}

	// Keys expire after a day: the same key then starts afresh.
	clk.advance(25 * time.Hour)
	body4, _ := json.Marshal(map[string]any{"name": "West CSU", "kind": "csu"})
	must(t, post("k-dead", body4), http.StatusCreated)
}
