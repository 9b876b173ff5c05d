package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/testdb"
	"github.com/getkin/kin-openapi/openapi3"
)

type org struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tokenCreated struct {
	ID             string  `json:"id"`
	OrganisationID string  `json:"organisation_id"`
	Role           string  `json:"role"`
	Token          string  `json:"token"`
	LastUsedAt     *string `json:"last_used_at"`
}

// newOrg creates an organisation and a token of each role for it, as the operator admin.
func (a *testApp) newOrg(t *testing.T, name string) (org, map[string]tokenCreated) {
	t.Helper()
	var o org
	must(t, a.post(t, "/v1/organisations", map[string]any{"name": name, "kind": "csu"}), http.StatusCreated).decode(t, &o)
	toks := map[string]tokenCreated{}
	for _, role := range []string{"viewer", "editor", "admin"} {
		var tc tokenCreated
		must(t, a.post(t, "/v1/tokens", map[string]any{"organisation_id": o.ID, "name": name + "-" + role, "role": role}), http.StatusCreated).decode(t, &tc)
		if !strings.HasPrefix(tc.Token, "cut_") || tc.OrganisationID != o.ID {
			t.Fatalf("token %+v", tc)
		}
		toks[role] = tc
	}
	return o, toks
}

// orgData is one organisation's resources, made through the API.
type orgData struct {
	org       org
	tokens    map[string]tokenCreated
	migration migration
	task      task
	contact   string
	signoff   string
	addition  string
	feed      string
	webhook   string
}

func (a *testApp) seedOrg(t *testing.T, name string) orgData {
	t.Helper()
	o, toks := a.newOrg(t, name)
	ed := toks["editor"].Token
	var m migration
	must(t, a.do(t, req{method: "POST", path: "/v1/migrations", body: newMigration("A81001"), token: ed}), http.StatusCreated).decode(t, &m)
	var tasks page[task]
	must(t, a.do(t, req{method: "GET", path: "/v1/migrations/" + m.ID + "/tasks?stage=go-live&limit=200", token: ed}), http.StatusOK).decode(t, &tasks)
	for _, tk := range tasks.Items {
		must(t, a.do(t, req{method: "PATCH", path: tk.url(), body: map[string]any{"status": "done"}, token: ed}), http.StatusOK)
	}
	var fdp page[task]
	must(t, a.do(t, req{method: "GET", path: "/v1/migrations/" + m.ID + "/tasks?stage=" + fdpStage + "&limit=1", token: ed}), http.StatusOK).decode(t, &fdp)
	var c, so struct{ ID string }
	must(t, a.do(t, req{method: "POST", path: "/v1/migrations/" + m.ID + "/contacts", body: map[string]any{"role": "icb", "organisation": "ICB"}, token: ed}), http.StatusCreated).decode(t, &c)
	must(t, a.do(t, req{method: "POST", path: "/v1/migrations/" + m.ID + "/signoffs", body: map[string]any{"stage": "go-live", "role": "icb", "name": "N", "statement": "S"}, token: ed}), http.StatusCreated).decode(t, &so)
	var add struct{ ID string }
	must(t, a.do(t, req{method: "POST", path: "/v1/organisations/" + o.ID + "/template-additions", token: toks["admin"].Token,
		body: map[string]any{"stage": fdpStage, "title": "Check the CSU's cutover runbook"}}), http.StatusCreated).decode(t, &add)
	var feed struct{ ID string }
	must(t, a.do(t, req{method: "POST", path: "/v1/migrations/" + m.ID + "/calendar-feeds", token: ed,
		body: map[string]any{"label": "PM calendar"}}), http.StatusCreated).decode(t, &feed)
	var hook struct{ ID string }
	must(t, a.do(t, req{method: "POST", path: "/v1/webhooks", token: toks["admin"].Token,
		body: map[string]any{"url": "https://203.0.113.10/hooks", "events": []string{"*"}}}), http.StatusCreated).decode(t, &hook)
	return orgData{org: o, tokens: toks, migration: m, task: fdp.Items[0], contact: c.ID, signoff: so.ID, addition: add.ID,
		feed: feed.ID, webhook: hook.ID}
}

// Organisation B's admin walks every operation of the spec with organisation A's ids: every
// operation on an A resource is a 404, exactly as if it did not exist, and no answer holds any
// of A's ids. A route added later without scoping fails here; a route with a new kind of path
// parameter fails until the walk knows it.
func TestNothingLeaksBetweenOrganisations(t *testing.T) {
	app := newTestApp(t)
	a := app.seedOrg(t, "Org A")
	b := app.seedOrg(t, "Org B")
	aIDs := []string{a.org.ID, a.migration.ID, a.task.ID, a.contact, a.signoff, a.addition, a.feed, a.webhook, a.tokens["viewer"].ID, a.tokens["editor"].ID, a.tokens["admin"].ID}
	params := map[string]string{
		"migration_id":    a.migration.ID,
		"task_id":         a.task.ID,
		"contact_id":      a.contact,
		"signoff_id":      a.signoff,
		"organisation_id": a.org.ID,
		"token_id":        a.tokens["viewer"].ID,
		"addition_id":     a.addition,
		"feed_id":         a.feed,
		"webhook_id":      a.webhook,
		"stage_key":       fdpStage, // templates are shared, not organisation data
	}
	shared := map[string]bool{"stage_key": true}
	doc, err := openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	walked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.HasPrefix(path, "/v1/") {
				continue
			}
			url, scoped := path, false
			for _, name := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				v, ok := params[name[1]]
				if !ok {
					t.Fatalf("%s %s: path parameter %s is unknown to this test; give it a resource of organisation A", method, path, name[1])
				}
				url = strings.ReplaceAll(url, name[0], v)
				scoped = scoped || !shared[name[1]]
			}
			if method == http.MethodGet && (path == "/v1/events" || strings.HasSuffix(path, "/events")) {
				url += "?migration_id=" + a.migration.ID
			}
			if strings.HasPrefix(path, "/v1/calendar-feeds/") {
				// The feed authenticates by its own key: organisation B guesses one.
				url += "?key=cal_" + strings.Repeat("B", 43)
			}
			var body any
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content {
					body = exampleOf(mt)
					break
				}
			}
			walked++
			t.Run(method+" "+path, func(t *testing.T) {
				r := req{method: method, path: url, body: body, token: b.tokens["admin"].Token}
				res := app.do(t, r)
				if scoped && res.Status != http.StatusNotFound {
					t.Errorf("organisation B got %d for organisation A's resource: %s", res.Status, res.Body)
				}
				// A problem's instance echoes the request's own path: nothing B did not send.
				body := res.Body
				var doc map[string]any
				if json.Unmarshal(body, &doc) == nil {
					delete(doc, "instance")
					body, _ = json.Marshal(doc)
				}
				for _, id := range aIDs {
					if bytes.Contains(body, []byte(id)) {
						t.Errorf("answer holds organisation A's id %s: %s", id, res.Body)
					}
				}
			})
		}
	}
	// B's unfiltered feed and lists hold nothing of A's either.
	for _, p := range []string{"/v1/events", "/v1/migrations", "/v1/tokens", "/v1/organisations", "/v1/webhooks"} {
		res := must(t, app.do(t, req{method: "GET", path: p + "?limit=200", token: b.tokens["admin"].Token}), http.StatusOK)
		for _, id := range aIDs {
			if bytes.Contains(res.Body, []byte(id)) {
				t.Errorf("%s for organisation B holds organisation A's id %s", p, id)
			}
		}
	}
	if walked < 30 {
		t.Fatalf("walked only %d operations", walked)
	}
	// A still sees its own.
	must(t, app.do(t, req{method: "GET", path: "/v1/migrations/" + a.migration.ID, token: a.tokens["viewer"].Token}), http.StatusOK)
}

func exampleOf(mt *openapi3.MediaType) any {
	if mt.Example != nil {
		return mt.Example
	}
	for _, ex := range mt.Examples {
		return ex.Value.Value
	}
	return map[string]any{}
}

func TestRolesAreEnforced(t *testing.T) {
	app := newTestApp(t)
	a := app.seedOrg(t, "Org A")
	mig := "/v1/migrations/" + a.migration.ID
	for _, tc := range []struct {
		role, method, path string
		body               any
		status             int
	}{
		{"viewer", "GET", mig, nil, 200},
		{"viewer", "GET", mig + "/tasks", nil, 200},
		{"viewer", "PATCH", a.task.url(), map[string]any{"notes": "x"}, 403},
		{"viewer", "POST", "/v1/migrations", newMigration("A81002"), 403},
		{"viewer", "POST", mig + "/contacts", map[string]any{"role": "icb", "organisation": "ICB"}, 403},
		{"viewer", "DELETE", mig, nil, 403},
		{"editor", "PATCH", a.task.url(), map[string]any{"notes": "x"}, 200},
		{"editor", "POST", "/v1/tokens", map[string]any{"name": "mine", "role": "viewer"}, 403},
		{"editor", "GET", "/v1/tokens", nil, 403},
		{"editor", "POST", "/v1/webhooks", map[string]any{"url": "https://203.0.113.10/hooks", "events": []string{"*"}}, 403},
		{"editor", "GET", "/v1/webhooks", nil, 403},
		{"admin", "POST", "/v1/webhooks", map[string]any{"url": "https://203.0.113.10/hooks", "events": []string{"*"}}, 201},
		{"editor", "POST", "/v1/organisations", map[string]any{"name": "Other", "kind": "icb"}, 403},
		{"admin", "POST", "/v1/tokens", map[string]any{"name": "mine", "role": "viewer"}, 201},
		{"admin", "GET", "/v1/tokens", nil, 200},
		// Only the operator's admins create organisations.
		{"admin", "POST", "/v1/organisations", map[string]any{"name": "Other", "kind": "icb"}, 403},
		{"admin", "DELETE", "/v1/organisations/" + a.org.ID, nil, 403},
		// Mass assignment: a body cannot choose the organisation.
		{"admin", "POST", "/v1/tokens", map[string]any{"name": "x", "role": "admin", "organisation_id": app.operatorOrg(t)}, 403},
		{"editor", "POST", "/v1/migrations", withField(newMigration("A81003"), "organisation_id", app.operatorOrg(t)), 400},
		{"editor", "PATCH", mig, map[string]any{"organisation_id": app.operatorOrg(t)}, 400},
	} {
		t.Run(fmt.Sprintf("%s %s %s", tc.role, tc.method, tc.path), func(t *testing.T) {
			res := app.do(t, req{method: tc.method, path: tc.path, body: tc.body, token: a.tokens[tc.role].Token})
			if res.Status != tc.status {
				t.Fatalf("got %d, want %d: %s", res.Status, tc.status, res.Body)
			}
		})
	}
	// The migration an editor creates belongs to its organisation.
	var m struct {
		OrganisationID string `json:"organisation_id"`
	}
	must(t, app.do(t, req{method: "GET", path: mig, token: a.tokens["viewer"].Token}), http.StatusOK).decode(t, &m)
	if m.OrganisationID != a.org.ID {
		t.Errorf("migration belongs to %s, want %s", m.OrganisationID, a.org.ID)
	}
	// Organisation B's admin sees only its own organisation; the operator sees all.
	var list page[org]
	must(t, app.do(t, req{method: "GET", path: "/v1/organisations", token: a.tokens["admin"].Token}), http.StatusOK).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != a.org.ID {
		t.Errorf("an organisation admin sees %d organisations", len(list.Items))
	}
	list = page[org]{}
	must(t, app.get(t, "/v1/organisations"), http.StatusOK).decode(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("the operator sees %d organisations", len(list.Items))
	}
}

func (a *testApp) operatorOrg(t *testing.T) string {
	var list page[org]
	must(t, a.get(t, "/v1/organisations"), http.StatusOK).decode(t, &list)
	return list.Items[0].ID
}

func withField(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func TestTokenLifecycle(t *testing.T) {
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	app := newTestApp(t, withClock(func() time.Time { return clock }))
	o, _ := app.newOrg(t, "Org A")
	var tc tokenCreated
	must(t, app.post(t, "/v1/tokens", map[string]any{"organisation_id": o.ID, "name": "short", "role": "viewer",
		"expires_at": clock.Add(time.Hour).Format(time.RFC3339)}), http.StatusCreated).decode(t, &tc)
	use := func() response {
		return app.do(t, req{method: "GET", path: "/v1/migrations", token: tc.Token})
	}
	must(t, use(), http.StatusOK)
	// The value is shown once: reading the token never shows it (or its hash) again.
	res := must(t, app.get(t, "/v1/tokens/"+tc.ID), http.StatusOK)
	var fields map[string]any
	res.decode(t, &fields)
	if _, ok := fields["token"]; ok || bytes.Contains(res.Body, []byte(tc.Token)) || fields["hash"] != nil {
		t.Fatalf("token read shows its value: %s", res.Body)
	}
	if k := app.post(t, "/v1/tokens", map[string]any{"name": "past", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}).kind(t); k != "invalid-expiry" {
		t.Errorf("expiry in the past: %s", k)
	}

	clock = clock.Add(2 * time.Hour)
	if res := use(); res.Status != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("expired token: %d", res.Status)
	}

	var live tokenCreated
	must(t, app.post(t, "/v1/tokens", map[string]any{"organisation_id": o.ID, "name": "revoke-me", "role": "editor"}), http.StatusCreated).decode(t, &live)
	must(t, app.do(t, req{method: "GET", path: "/v1/migrations", token: live.Token}), http.StatusOK)
	must(t, app.delete(t, "/v1/tokens/"+live.ID), http.StatusNoContent)
	must(t, app.do(t, req{method: "GET", path: "/v1/migrations", token: live.Token}), http.StatusUnauthorized)
	must(t, app.get(t, "/v1/tokens/"+live.ID), http.StatusNotFound)

	// last_used_at is recorded (off the request path, so wait for it).
	deadline := time.Now().Add(3 * time.Second)
	for {
		var got tokenCreated
		must(t, app.get(t, "/v1/tokens/"+tc.ID), http.StatusOK).decode(t, &got)
		if got.LastUsedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("last_used_at never set")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Only hashes are stored: no token value appears anywhere in the database files.
func TestTokenValuesAreNotStored(t *testing.T) {
	app := newTestApp(t)
	_, toks := app.newOrg(t, "Org A")
	values := []string{adminToken}
	for _, tc := range toks {
		values = append(values, tc.Token)
	}
	// Every byte the database holds: the SQLite files (WAL included), or every PostgreSQL row.
	held := testdb.Contents(t, app.dbURL)
	if len(held) == 0 {
		t.Fatal("read nothing from the database")
	}
	for _, v := range values {
		if bytes.Contains(held, []byte(v)) || bytes.Contains(held, []byte(strings.TrimPrefix(v, "cut_"))) {
			t.Errorf("the database holds a token value")
		}
	}
}

func TestRateLimit(t *testing.T) {
	app := newTestApp(t, withRateLimit(handlers.RateLimit{Rate: 1, Burst: 5}))
	var limited response
	for range 10 {
		res := app.get(t, "/v1/migrations")
		if res.Status == http.StatusTooManyRequests {
			limited = res
			break
		}
		must(t, res, http.StatusOK)
	}
	if limited.Status != http.StatusTooManyRequests || limited.kind(t) != "rate-limited" || limited.Header.Get("Retry-After") == "" {
		t.Fatalf("burst past the limit: %d %q", limited.Status, limited.Header.Get("Retry-After"))
	}
	// Guessing tokens is limited per client address too.
	var guessed response
	for range 30 {
		guessed = app.do(t, req{method: "GET", path: "/v1/migrations", token: "cut_guess-0000000000000000000000000000"})
		if guessed.Status == http.StatusTooManyRequests {
			break
		}
	}
	if guessed.Status != http.StatusTooManyRequests {
		t.Fatalf("30 bad tokens in a row: last %d", guessed.Status)
	}
}

func TestBrowserHeaders(t *testing.T) {
	app := newTestApp(t, withCORS("https://ui.csu.example"))
	res := app.do(t, req{method: "OPTIONS", path: "/v1/migrations", token: "-", header: map[string]string{
		"Origin": "https://ui.csu.example", "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization,if-match"}})
	if res.Status != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "https://ui.csu.example" ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "if-match") {
		t.Fatalf("preflight: %d %v", res.Status, res.Header)
	}
	res = app.do(t, req{method: "GET", path: "/v1/migrations", header: map[string]string{"Origin": "https://ui.csu.example"}})
	expose := res.Header.Get("Access-Control-Expose-Headers")
	for _, h := range []string{"ETag", "Link", "Location"} {
		if !strings.Contains(expose, h) {
			t.Errorf("%s not exposed: %q", h, expose)
		}
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("security headers: %v", res.Header)
	}
	other := app.do(t, req{method: "GET", path: "/v1/migrations", header: map[string]string{"Origin": "https://evil.example"}})
	if other.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("an unknown origin is allowed")
	}
	// Without configured origins, no CORS at all.
	plain := newTestApp(t)
	if h := plain.do(t, req{method: "GET", path: "/v1/migrations", header: map[string]string{"Origin": "https://ui.csu.example"}}).Header.Get("Access-Control-Allow-Origin"); h != "" {
		t.Errorf("CORS without configuration: %q", h)
	}
}

var _ = slices.Contains[[]string]
