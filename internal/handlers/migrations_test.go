package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/cutoverhq/cutover/internal/checklist"
)

// The ten items of the official seed checklist, in its order.
var seedTasks = []struct{ key, group string }{
	{"agree-fdp-date", "Final data production tasks"},
	{"set-up-data-transfer", "Final data production tasks"},
	{"recheck-idp-patients", "Final data production tasks"},
	{"random-sample-reminder", "Final data production tasks"},
	{"archive-leavers", "Final data production tasks"},
	{"run-planned-cutover-activities", "Cutover period tasks"},
	{"coordinate-mesh-updates", "Cutover period tasks"},
	{"ensure-staff-availability", "Cutover period tasks"},
	{"brief-cutover-responsibilities", "Cutover period tasks"},
	{"log-cutover-interactions", "Cutover period tasks"},
}

func TestCreateMigrationInstantiatesTheChecklist(t *testing.T) {
	app := newTestApp(t)
	res := must(t, app.post(t, "/v1/migrations", newMigration("A81001")), http.StatusCreated)
	var m migration
	res.decode(t, &m)
	if loc := res.Header.Get("Location"); loc != "/v1/migrations/"+m.ID {
		t.Errorf("Location = %q", loc)
	}
	if etagOf(res) != `"1"` || m.Version != 1 || m.Status != "planned" || m.TemplateVersion != "2025-03-27" {
		t.Errorf("etag %s, migration %+v", etagOf(res), m)
	}

	fdp := app.tasks(t, m.ID, "stage=final-data-production-and-cutover")
	if len(fdp) != len(seedTasks) {
		t.Fatalf("FDP stage has %d tasks, want %d", len(fdp), len(seedTasks))
	}
	for i, want := range seedTasks {
		got := fdp[i]
		if got.Key == nil || *got.Key != want.key || got.Group != want.group || got.Position != i+1 || got.Status != "todo" {
			t.Errorf("task %d = %v %q pos %d %s, want %s in %q", i+1, deref(got.Key), got.Group, got.Position, got.Status, want.key, want.group)
		}
	}

	tpl := checklist.Builtin().Current()
	all := app.tasks(t, m.ID, "")
	var wantKeys, gotKeys []string
	for _, st := range tpl.Stages {
		for _, tk := range st.Tasks() {
			wantKeys = append(wantKeys, st.Key+"/"+tk.Key)
		}
	}
	for _, tk := range all {
		gotKeys = append(gotKeys, tk.Stage+"/"+deref(tk.Key))
	}
	if !slices.Equal(gotKeys, wantKeys) {
		t.Fatalf("checklist has %d tasks in another order than the template's %d", len(gotKeys), len(wantKeys))
	}
	if len(all) != 156 {
		t.Errorf("%d tasks, want the guide's 156", len(all))
	}
}

func TestCreateMigrationWithChosenStages(t *testing.T) {
	app := newTestApp(t)
	body := newMigration("A81002")
	body["stages"] = []string{"go-live", "final-data-production-and-cutover"}
	m := app.createMigration(t, body)
	if !slices.Equal(m.Stages, []string{"final-data-production-and-cutover", "go-live"}) {
		t.Fatalf("stages = %v, want the guide's order", m.Stages)
	}
	all := app.tasks(t, m.ID, "")
	for _, tk := range all {
		if tk.Stage != "final-data-production-and-cutover" && tk.Stage != "go-live" {
			t.Fatalf("task of stage %s", tk.Stage)
		}
	}
	if len(all) != 10+16 {
		t.Errorf("%d tasks, want 26", len(all))
	}

	body["stages"] = []string{"no-such-stage"}
	res := must(t, app.post(t, "/v1/migrations", body), http.StatusUnprocessableEntity)
	if f := res.fields(t); !slices.Equal(f, []string{"stages[0]"}) {
		t.Errorf("fields = %v", f)
	}
}

func TestMigrationReadUpdateDelete(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	path := "/v1/migrations/" + m.ID

	got := must(t, app.get(t, path), http.StatusOK)
	if etagOf(got) != `"1"` {
		t.Fatalf("etag %q", etagOf(got))
	}
	must(t, app.do(t, req{method: http.MethodGet, path: path, header: map[string]string{"If-None-Match": `"1"`}}), http.StatusNotModified)

	var up migration
	must(t, app.patch(t, path, map[string]any{"practice": map[string]any{"name": "Densham Surgery"}, "notes": "Kick off booked"}, `"1"`), http.StatusOK).decode(t, &up)
	if up.Practice.Name != "Densham Surgery" || up.Practice.ODSCode != "A81001" || deref(up.Notes) != "Kick off booked" || up.Version != 2 {
		t.Fatalf("after patch: %+v", up)
	}
	// null clears; absent leaves alone.
	must(t, app.patch(t, path, map[string]any{"notes": nil}, ""), http.StatusOK).decode(t, &up)
	if up.Notes != nil || up.Practice.Name != "Densham Surgery" {
		t.Fatalf("after clearing notes: %+v", up)
	}
	// A stale If-Match changes nothing.
	if k := app.patch(t, path, map[string]any{"notes": "late"}, `"1"`).kind(t); k != "stale" {
		t.Fatalf("stale If-Match: %q", k)
	}
	must(t, app.get(t, path), http.StatusOK).decode(t, &up)
	if up.Notes != nil || up.Version != 3 {
		t.Fatalf("stale write changed the migration: %+v", up)
	}

	must(t, app.delete(t, path), http.StatusNoContent)
	must(t, app.get(t, path), http.StatusNotFound)
	must(t, app.get(t, path+"/tasks"), http.StatusNotFound)
	// The history outlives the migration.
	var evs page[event]
	must(t, app.get(t, path+"/events?action=migration.deleted"), http.StatusOK).decode(t, &evs)
	if last := evs.Items[len(evs.Items)-1]; last.Action != "migration.deleted" {
		t.Errorf("last event %s", last.Action)
	}
}

func TestListMigrationsFiltersAndPages(t *testing.T) {
	app := newTestApp(t)
	var ids []string
	for i, ods := range []string{"A81001", "A81002", "B82001", "B82002", "C83001"} {
		body := newMigration(ods)
		if i%2 == 1 {
			body["new_system"] = map[string]any{"supplier": "Other Supplier", "product": "P"}
		}
		ids = append(ids, app.createMigration(t, body).ID)
	}
	var pg page[migration]
	res := must(t, app.get(t, "/v1/migrations?limit=2"), http.StatusOK)
	res.decode(t, &pg)
	if len(pg.Items) != 2 || pg.NextCursor == nil || res.Header.Get("Link") == "" {
		t.Fatalf("first page: %d items, cursor %v, link %q", len(pg.Items), pg.NextCursor, res.Header.Get("Link"))
	}
	var seen []string
	for _, m := range pg.Items {
		seen = append(seen, m.ID)
	}
	for pg.NextCursor != nil {
		next := *pg.NextCursor
		pg = page[migration]{}
		must(t, app.get(t, "/v1/migrations?limit=2&cursor="+next), http.StatusOK).decode(t, &pg)
		for _, m := range pg.Items {
			seen = append(seen, m.ID)
		}
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("pages gave %v, want %v", seen, ids)
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"ods_code=B82001", ids[2:3]},
		{"supplier=other%20supplier", []string{ids[1], ids[3]}},
		{"supplier=Supplier%20A", ids},
		{"status=planned", ids},
		{"status=live", nil},
		{"fdp_from=2027-03-10&fdp_to=2027-03-10", ids},
		{"fdp_from=2027-03-11", nil},
	} {
		var pg page[migration]
		must(t, app.get(t, "/v1/migrations?"+tc.query), http.StatusOK).decode(t, &pg)
		var got []string
		for _, m := range pg.Items {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestRestartKeepsData(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "agree-fdp-date")
	must(t, app.patch(t, tk.url(), map[string]any{"status": "done", "notes": "Agreed 10 March"}, ""), http.StatusOK)
	if err := app.store.Close(); err != nil {
		t.Fatal(err)
	}
	again := openTestApp(t, app.dbURL, appConfig{})
	var got task
	must(t, again.get(t, tk.url()), http.StatusOK).decode(t, &got)
	if got.Status != "done" || deref(got.Notes) != "Agreed 10 March" {
		t.Fatalf("after restart: %+v", got)
	}
	if n := len(again.tasks(t, m.ID, "")); n != 156 {
		t.Fatalf("after restart: %d tasks", n)
	}
	_ = context.Background
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
