package handlers_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// TestWrittenIsRead checks that what a write answers is exactly what a later read answers, field
// by field. It is the test that catches what one database keeps and another rounds or reshapes:
// timestamp precision and time zones, booleans, JSON columns, null against empty.
func TestWrittenIsRead(t *testing.T) {
	app := newTestApp(t)
	body := newMigration("A81001")
	body["stages"] = []string{"final-data-production-and-cutover"}
	body["notes"] = "Kick-off booked"
	created := must(t, app.post(t, "/v1/migrations", body), http.StatusCreated)
	var m migration
	created.decode(t, &m)
	mPath := created.Header.Get("Location")
	sameAsRead(t, app, created, mPath)

	tasks := app.tasks(t, m.ID, "")
	for i, tk := range tasks {
		res := must(t, app.patch(t, tk.url(), map[string]any{"status": "done", "notes": "Done on the day"}, ""), http.StatusOK)
		if i == 0 {
			sameAsRead(t, app, res, tk.url())
		}
	}
	res := must(t, app.patch(t, mPath, map[string]any{"status": "in_progress", "go_live_confirmed": true}, ""), http.StatusOK)
	sameAsRead(t, app, res, mPath)

	res = must(t, app.post(t, mPath+"/contacts", map[string]any{"role": "new_supplier", "organisation": "Supplier B",
		"name": "Sam Patel", "email": "sam.patel@supplier-b.example"}), http.StatusCreated)
	sameAsRead(t, app, res, res.Header.Get("Location"))

	res = must(t, app.post(t, mPath+"/signoffs", map[string]any{"stage": "final-data-production-and-cutover",
		"role": "practice_manager", "name": "Alex Morgan", "statement": "All tasks complete."}), http.StatusCreated)
	soPath := res.Header.Get("Location")
	sameAsRead(t, app, res, soPath)
	res = must(t, app.post(t, soPath+"/revoke", map[string]any{"reason": "Signed by mistake"}), http.StatusOK)
	sameAsRead(t, app, res, soPath)

	res = must(t, app.post(t, "/v1/organisations", map[string]any{"name": "North East CSU", "kind": "csu"}), http.StatusCreated)
	sameAsRead(t, app, res, res.Header.Get("Location"))
	var org struct {
		ID string `json:"id"`
	}
	res.decode(t, &org)
	expires := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339Nano)
	res = must(t, app.post(t, "/v1/tokens", map[string]any{"organisation_id": org.ID, "name": "csu-sync", "role": "editor",
		"expires_at": expires}), http.StatusCreated)
	sameAsRead(t, app, res, res.Header.Get("Location"))

	// Events carry the changes as JSON; the feed and a migration's history read the same rows.
	var feed, history struct {
		Items []map[string]any `json:"items"`
	}
	must(t, app.get(t, "/v1/events?limit=200&migration_id="+m.ID), http.StatusOK).decode(t, &feed)
	must(t, app.get(t, mPath+"/events?limit=200"), http.StatusOK).decode(t, &history)
	if len(feed.Items) == 0 || !reflect.DeepEqual(feed.Items, history.Items) {
		t.Fatalf("the feed and the history disagree:\n%v\n%v", feed.Items, history.Items)
	}
}

// sameAsRead compares a write's answer with a GET of path, on the fields both carry (a token's
// value is in its create answer only).
func sameAsRead(t *testing.T, app *testApp, written response, path string) {
	t.Helper()
	read := must(t, app.get(t, path), http.StatusOK)
	var w, r map[string]any
	if err := json.Unmarshal(written.Body, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(read.Body, &r); err != nil {
		t.Fatal(err)
	}
	for k, v := range w {
		if got, ok := r[k]; ok && !reflect.DeepEqual(v, got) {
			t.Errorf("%s: %s was written as %v but reads as %v", path, k, v, got)
		}
	}
	if etagOf(read) != "" && etagOf(written) != etagOf(read) {
		t.Errorf("%s: ETag %s written, %s read", path, etagOf(written), etagOf(read))
	}
}
