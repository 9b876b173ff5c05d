package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
)

// A stale If-Match is a 412 that changes nothing; a current If-None-Match is a 304; for every
// kind of single resource and every kind of conditional write.
func TestConditionalRequests(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	mig := "/v1/migrations/" + m.ID
	custom := must(t, app.post(t, mig+"/tasks", map[string]any{"stage": "go-live", "title": "Print the rota"}), http.StatusCreated)
	contact := must(t, app.post(t, mig+"/contacts", map[string]any{"role": "icb", "organisation": "ICB North"}), http.StatusCreated)
	so := app.signOffFDP(t, m.ID)
	soPath := mig + "/signoffs/" + so
	tk := app.tasks(t, m.ID, "stage=go-live")[0] // the signed-off stage's tasks are read-only
	hook := must(t, app.post(t, "/v1/webhooks", map[string]any{"url": "https://203.0.113.10/hooks", "events": []string{"*"}}), http.StatusCreated)

	for _, tc := range []struct {
		name   string
		path   string // the resource (GET)
		method string
		target string // where the conditional write goes
		body   any
		bump   func() // someone else changes the resource first
	}{
		{"migration PATCH", mig, http.MethodPatch, mig, map[string]any{"notes": "late"},
			func() { must(t, app.patch(t, mig, map[string]any{"notes": "first"}, ""), http.StatusOK) }},
		{"task PATCH", mig + "/tasks/" + tk.ID, http.MethodPatch, mig + "/tasks/" + tk.ID, map[string]any{"notes": "late"},
			func() { must(t, app.patch(t, tk.url(), map[string]any{"notes": "first"}, ""), http.StatusOK) }},
		{"custom task DELETE", custom.Header.Get("Location"), http.MethodDelete, custom.Header.Get("Location"), nil,
			func() {
				must(t, app.patch(t, custom.Header.Get("Location"), map[string]any{"notes": "first"}, ""), http.StatusOK)
			}},
		{"contact PATCH", contact.Header.Get("Location"), http.MethodPatch, contact.Header.Get("Location"), map[string]any{"notes": "late"},
			func() {
				must(t, app.patch(t, contact.Header.Get("Location"), map[string]any{"notes": "first"}, ""), http.StatusOK)
			}},
		{"contact DELETE", contact.Header.Get("Location"), http.MethodDelete, contact.Header.Get("Location"), nil,
			func() {
				must(t, app.patch(t, contact.Header.Get("Location"), map[string]any{"phone": "0113 496 0000"}, ""), http.StatusOK)
			}},
		{"sign-off revoke", soPath, http.MethodPost, soPath + "/revoke", map[string]any{"reason": "Retaken."}, nil},
		{"webhook PATCH", hook.Header.Get("Location"), http.MethodPatch, hook.Header.Get("Location"), map[string]any{"description": "late"},
			func() {
				must(t, app.patch(t, hook.Header.Get("Location"), map[string]any{"description": "first"}, ""), http.StatusOK)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := must(t, app.get(t, tc.path), http.StatusOK)
			tag := etagOf(cur)
			if tag == "" {
				t.Fatal("no ETag")
			}
			must(t, app.do(t, req{method: http.MethodGet, path: tc.path, header: map[string]string{"If-None-Match": tag}}), http.StatusNotModified)
			must(t, app.do(t, req{method: http.MethodGet, path: tc.path, header: map[string]string{"If-None-Match": `"999"`}}), http.StatusOK)

			stale := `"0"`
			if tc.bump != nil {
				stale = tag
				tc.bump()
			}
			before := must(t, app.get(t, tc.path), http.StatusOK)
			res := app.do(t, req{method: tc.method, path: tc.target, body: tc.body, header: map[string]string{"If-Match": stale}})
			if res.Status != http.StatusPreconditionFailed || res.kind(t) != "stale" {
				t.Fatalf("stale If-Match: %d %s", res.Status, res.Body)
			}
			after := must(t, app.get(t, tc.path), http.StatusOK)
			if !bytes.Equal(before.Body, after.Body) || etagOf(before) != etagOf(after) {
				t.Fatalf("a refused write changed the resource:\n%s\n%s", before.Body, after.Body)
			}
			// The current tag passes.
			res = app.do(t, req{method: tc.method, path: tc.target, body: tc.body, header: map[string]string{"If-Match": etagOf(after)}})
			if res.Status >= 300 {
				t.Fatalf("current If-Match: %d %s", res.Status, res.Body)
			}
		})
	}
}

// Signing off takes the migration's ETag: a stale one signs nothing off.
func TestSignoffWithStaleMigrationETag(t *testing.T) {
	app := newTestApp(t)
	body := newMigration("A81001")
	body["stages"] = []string{"final-data-production-and-cutover"}
	m := app.createMigration(t, body)
	for _, tk := range app.tasks(t, m.ID, "") {
		must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	}
	path := "/v1/migrations/" + m.ID + "/signoffs"
	sign := map[string]any{"stage": "final-data-production-and-cutover", "role": "practice_manager", "name": "Alex Morgan", "statement": "Done."}
	must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"notes": "moved"}, ""), http.StatusOK)
	res := app.do(t, req{method: http.MethodPost, path: path, body: sign, header: map[string]string{"If-Match": `"1"`}})
	if res.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale: %d %s", res.Status, res.Body)
	}
	var list page[struct{ ID string }]
	must(t, app.get(t, path), http.StatusOK).decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("%d sign-offs after a 412", len(list.Items))
	}
	must(t, app.do(t, req{method: http.MethodPost, path: path, body: sign, header: map[string]string{"If-Match": `"2"`}}), http.StatusCreated)
}

// Two servers on one database, racing with the same ETag: one 200, one 412, never two 200s.
func TestRacingWritersWithOneETag(t *testing.T) {
	app := newTestApp(t)
	other := openTestApp(t, app.dbURL, appConfig{}) // a second process's store and router on the same file
	m := app.createMigration(t, nil)
	tasks := app.tasks(t, m.ID, "stage=go-live")
	for round, tk := range tasks[:8] {
		results := make([]sent, 2)
		var wg sync.WaitGroup
		for i, a := range []*testApp{app, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body, _ := json.Marshal(map[string]any{"notes": "writer " + string(rune('A'+i))})
				results[i] = a.send(http.MethodPatch, tk.url(), body, map[string]string{"If-Match": `"1"`})
			}()
		}
		wg.Wait()
		codes := map[int]int{}
		for _, r := range results {
			codes[r.check(t, map[string]string{"If-Match": `"1"`}).Status]++
		}
		if codes[200] != 1 || codes[412] != 1 {
			t.Fatalf("round %d: statuses %v, want one 200 and one 412", round, codes)
		}
		var got task
		must(t, app.get(t, tk.url()), http.StatusOK).decode(t, &got)
		if got.Version != 2 {
			t.Fatalf("round %d: version %d after one successful write", round, got.Version)
		}
	}
}
