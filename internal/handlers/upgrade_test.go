package handlers_test

import (
	_ "embed"
	"io/fs"
	"net/http"
	"os"
	"reflect"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/cutoverhq/cutover/internal/checklist"
)

// testTemplate is a later template version that exists only in the test binary; its header says
// how it differs from the built-in 2025-03-27.
//
//go:embed testdata/templates/2099-01-01.yaml
var testTemplate []byte

const (
	oldVer    = "2025-03-27"
	newVer    = "2099-01-01"
	handTitle = "Brief staff one by one on their cutover duties"
)

// twoVersions is the built-in templates plus the test-only later version, which is current.
func twoVersions(t *testing.T) *checklist.Library {
	t.Helper()
	// The built-in files as shipped, read from the source tree, plus the test-only version.
	fsys := fstest.MapFS{newVer + ".yaml": {Data: testTemplate}}
	builtin := os.DirFS("../checklist/templates")
	names, err := fs.Glob(builtin, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("built-in templates: %v %v", names, err)
	}
	for _, n := range names {
		data, err := fs.ReadFile(builtin, n)
		if err != nil {
			t.Fatal(err)
		}
		fsys[n] = &fstest.MapFile{Data: data}
	}
	l, err := checklist.NewLibrary(fsys)
	if err != nil {
		t.Fatalf("library with the test version: %v", err)
	}
	if l.Current().Version != newVer || !slices.Contains(l.Versions(), oldVer) {
		t.Fatalf("versions %v", l.Versions())
	}
	return l
}

// reopen restarts the service on the same database with other templates, as a new release of the
// binary with a newer guide would.
func (a *testApp) reopen(t *testing.T, l *checklist.Library) *testApp {
	t.Helper()
	a.store.Close()
	return openTestApp(t, a.dbURL, appConfig{templates: l})
}

type fieldChange struct {
	Field   string `json:"field"`
	From    any    `json:"from"`
	To      any    `json:"to"`
	Current any    `json:"current"`
	Outcome string `json:"outcome"`
}

type templateChange struct {
	Kind        string        `json:"kind"`
	Stage       string        `json:"stage"`
	Group       *string       `json:"group"`
	Key         *string       `json:"key"`
	Title       string        `json:"title"`
	Position    *int          `json:"position"`
	AfterKey    *string       `json:"after_key"`
	TaskID      *string       `json:"task_id"`
	Action      string        `json:"action"`
	Note        *string       `json:"note"`
	StageLocked bool          `json:"stage_locked"`
	DueDate     *string       `json:"due_date"`
	Fields      []fieldChange `json:"fields"`
}

type changeList struct {
	FromVersion  string           `json:"from_version"`
	ToVersion    string           `json:"to_version"`
	Outdated     bool             `json:"outdated"`
	LockedStages []string         `json:"locked_stages"`
	Items        []templateChange `json:"items"`
}

type upgradeResult struct {
	DryRun         bool             `json:"dry_run"`
	FromVersion    string           `json:"from_version"`
	ToVersion      string           `json:"to_version"`
	LockedStages   []string         `json:"locked_stages"`
	AcceptedStages []string         `json:"accepted_stages"`
	Migration      migration        `json:"migration"`
	Items          []templateChange `json:"items"`
}

// events reads a migration's whole history.
func (a *testApp) events(t *testing.T, migrationID string) []event {
	t.Helper()
	var out []event
	path := "/v1/migrations/" + migrationID + "/events?limit=200"
	for p := path; ; {
		var pg page[event]
		must(t, a.get(t, p), http.StatusOK).decode(t, &pg)
		out = append(out, pg.Items...)
		if pg.NextCursor == nil {
			return out
		}
		p = path + "&cursor=" + *pg.NextCursor
	}
}

func (a *testApp) upgrade(t *testing.T, migrationID, ifMatch string, body any) response {
	t.Helper()
	h := map[string]string{}
	if ifMatch != "" {
		h["If-Match"] = ifMatch
	}
	return a.do(t, req{method: http.MethodPost, path: "/v1/migrations/" + migrationID + "/template-upgrade", body: body, header: h})
}

func changeOf(t *testing.T, items []templateChange, kind, key string) templateChange {
	t.Helper()
	for _, c := range items {
		if c.Kind == kind && deref(c.Key) == key {
			return c
		}
	}
	t.Fatalf("no %s change of %q in %+v", kind, key, items)
	return templateChange{}
}

func taskByKey(t *testing.T, tasks []task, key string) task {
	t.Helper()
	for _, tk := range tasks {
		if deref(tk.Key) == key {
			return tk
		}
	}
	t.Fatalf("no task %s", key)
	return task{}
}

func TestTemplateUpgrade(t *testing.T) {
	old := newTestApp(t)
	m := old.createMigration(t, nil)
	if m.TemplateVersion != oldVer {
		t.Fatalf("created from %s", m.TemplateVersion)
	}
	// What people did before the new guide came out: a title in their own words, a completed task
	// with notes, a due date agreed by hand.
	must(t, old.patch(t, old.seedTask(t, m.ID, "brief-cutover-responsibilities").url(), map[string]any{"title": handTitle}, ""), http.StatusOK)
	must(t, old.patch(t, old.seedTask(t, m.ID, "recheck-idp-patients").url(),
		map[string]any{"status": "done", "notes": "All twenty test records checked again"}, ""), http.StatusOK)
	must(t, old.patch(t, old.seedTask(t, m.ID, "set-up-data-transfer").url(), map[string]any{"due_date": "2027-03-01"}, ""), http.StatusOK)

	app := old.reopen(t, twoVersions(t))
	var versions page[struct {
		Version string `json:"version"`
		Current bool   `json:"current"`
		Tasks   int    `json:"tasks"`
	}]
	must(t, app.get(t, "/v1/templates/versions"), http.StatusOK).decode(t, &versions)
	if v := versions.Items; len(v) != 2 || v[0].Version != oldVer || v[0].Current || v[1].Version != newVer || !v[1].Current || v[1].Tasks != v[0].Tasks {
		t.Errorf("versions %+v", v) // one task added, one removed
	}
	var got migration
	res := must(t, app.get(t, "/v1/migrations/"+m.ID), http.StatusOK)
	res.decode(t, &got)
	var outdated struct {
		TemplateOutdated bool `json:"template_outdated"`
	}
	res.decode(t, &outdated)
	if !outdated.TemplateOutdated || got.TemplateVersion != oldVer {
		t.Fatalf("migration on %s, outdated %v", got.TemplateVersion, outdated.TemplateOutdated)
	}

	var cl changeList
	must(t, app.get(t, "/v1/migrations/"+m.ID+"/template-changes"), http.StatusOK).decode(t, &cl)
	if cl.FromVersion != oldVer || cl.ToVersion != newVer || !cl.Outdated || len(cl.LockedStages) != 0 {
		t.Fatalf("changes %s -> %s, outdated %v, locked %v", cl.FromVersion, cl.ToVersion, cl.Outdated, cl.LockedStages)
	}
	fdp := app.tasks(t, m.ID, "stage="+fdpStage)
	mesh := taskByKey(t, fdp, "coordinate-mesh-updates")
	added := changeOf(t, cl.Items, "task_added", "confirm-smartcard-access")
	if added.Action != "create" || deref(added.AfterKey) != "coordinate-mesh-updates" || deref(added.Position) != mesh.Position ||
		deref(added.DueDate) != "2027-03-08" || added.TaskID != nil || deref(added.Group) != "Cutover period tasks" {
		t.Errorf("added: %+v", added)
	}
	for _, tc := range []struct {
		key    string
		action string
		fields []fieldChange
	}{
		{"ensure-staff-availability", "update", []fieldChange{{Field: "guidance", Outcome: "apply"}}},
		{"recheck-idp-patients", "update", []fieldChange{{Field: "guidance", Outcome: "apply"}}},
		{"brief-cutover-responsibilities", "none", []fieldChange{{Field: "title", From: "Brief each member of staff on their cutover duties",
			To: "Brief every member of staff on their cutover duties", Current: handTitle, Outcome: "kept_edited"}}},
		{"set-up-data-transfer", "update", []fieldChange{
			{Field: "timing", From: nil, To: "2 days before FDP", Current: nil, Outcome: "apply"},
			{Field: "due_rule", From: "fdp_date - 1d", To: "fdp_date - 2d", Current: "fdp_date - 1d", Outcome: "apply"},
			{Field: "due_date", From: "2027-03-01", To: "2027-03-08", Current: "2027-03-01", Outcome: "kept_manual"}}},
	} {
		c := changeOf(t, cl.Items, "task_changed", tc.key)
		fields := c.Fields
		if tc.fields[0].Field == "guidance" { // long texts: compare what matters
			fields = []fieldChange{{Field: c.Fields[0].Field, Outcome: c.Fields[0].Outcome}}
		}
		if c.Action != tc.action || !reflect.DeepEqual(fields, tc.fields) || c.TaskID == nil {
			t.Errorf("%s: action %s, fields %+v, want %s %+v", tc.key, c.Action, c.Fields, tc.action, tc.fields)
		}
	}
	removed := changeOf(t, cl.Items, "task_removed", "archive-leavers")
	if removed.Action != "not_applicable" || removed.TaskID == nil {
		t.Errorf("removed: %+v", removed)
	}
	stage := changeOf(t, cl.Items, "stage_changed", "")
	if stage.Stage != "go-live" || len(stage.Fields) != 1 || stage.Fields[0].Field != "signoff_roles" {
		t.Errorf("stage change: %+v", stage)
	}

	// A dry run answers the same and writes nothing.
	before := app.events(t, m.ID)
	var dry upgradeResult
	res = must(t, app.upgrade(t, m.ID, `"1"`, map[string]any{"dry_run": true}), http.StatusOK)
	res.decode(t, &dry)
	if !dry.DryRun || etagOf(res) != `"1"` || dry.Migration.Version != 1 || !reflect.DeepEqual(dry.Items, cl.Items) {
		t.Errorf("dry run: etag %s, %+v", etagOf(res), dry)
	}
	if after := app.events(t, m.ID); len(after) != len(before) {
		t.Fatalf("the dry run wrote %d events", len(after)-len(before))
	}
	if n := len(app.tasks(t, m.ID, "stage="+fdpStage)); n != len(fdp) {
		t.Fatalf("the dry run changed the checklist: %d tasks, was %d", n, len(fdp))
	}

	// A stale If-Match changes nothing.
	if res := app.upgrade(t, m.ID, `"7"`, nil); res.Status != http.StatusPreconditionFailed || res.kind(t) != "stale" {
		t.Fatalf("stale If-Match: %d %s", res.Status, res.Body)
	}

	var up upgradeResult
	res = must(t, app.upgrade(t, m.ID, `"1"`, map[string]any{}), http.StatusOK)
	res.decode(t, &up)
	if up.DryRun || etagOf(res) != `"2"` || up.Migration.TemplateVersion != newVer || up.FromVersion != oldVer {
		t.Fatalf("upgrade: etag %s, %+v", etagOf(res), up.Migration)
	}
	var upMig struct {
		Migration struct {
			TemplateOutdated bool `json:"template_outdated"`
		} `json:"migration"`
	}
	res.decode(t, &upMig)
	if upMig.Migration.TemplateOutdated {
		t.Error("still outdated after the upgrade")
	}

	fdp = app.tasks(t, m.ID, "stage="+fdpStage)
	i := slices.IndexFunc(fdp, func(tk task) bool { return deref(tk.Key) == "confirm-smartcard-access" })
	if i < 1 || deref(fdp[i-1].Key) != "coordinate-mesh-updates" {
		t.Fatalf("the new task is not right after the task it follows: index %d", i)
	}
	smart := fdp[i]
	if smart.Status != "todo" || deref(smart.DueDate) != "2027-03-08" || smart.DueDateSource != "derived" ||
		smart.Group != "Cutover period tasks" || smart.OwnerRole != "it_lead" || changeOf(t, up.Items, "task_added", "confirm-smartcard-access").TaskID == nil {
		t.Errorf("new task: %+v", smart)
	}
	recheck := taskByKey(t, fdp, "recheck-idp-patients")
	if recheck.Status != "done" || deref(recheck.Notes) != "All twenty test records checked again" || recheck.CompletedAt == nil {
		t.Errorf("completed task lost its work: %+v", recheck)
	}
	var full struct {
		Guidance string `json:"guidance"`
		Title    string `json:"title"`
		Timing   string `json:"timing"`
		DueRule  string `json:"due_rule"`
	}
	must(t, app.get(t, recheck.url()), http.StatusOK).decode(t, &full)
	if full.Guidance[:40] != "Check again the patient records tested a" {
		t.Errorf("recheck guidance not updated: %q", full.Guidance)
	}
	must(t, app.get(t, taskByKey(t, fdp, "ensure-staff-availability").url()), http.StatusOK).decode(t, &full)
	if want := "and name a deputy for the practice manager."; full.Guidance[len(full.Guidance)-len(want):] != want {
		t.Errorf("untouched guidance not updated: %q", full.Guidance)
	}
	if tk := taskByKey(t, fdp, "brief-cutover-responsibilities"); tk.Title != handTitle {
		t.Errorf("hand-edited title = %q", tk.Title)
	}
	leavers := taskByKey(t, fdp, "archive-leavers")
	if leavers.Status != "not_applicable" || deref(leavers.NotApplicableReason) != "Removed from the checklist template in version 2099-01-01." {
		t.Errorf("removed task: %s %v", leavers.Status, deref(leavers.NotApplicableReason))
	}
	transfer := taskByKey(t, fdp, "set-up-data-transfer")
	must(t, app.get(t, transfer.url()), http.StatusOK).decode(t, &full)
	if deref(transfer.DueDate) != "2027-03-01" || transfer.DueDateSource != "manual" || full.DueRule != "fdp_date - 2d" || full.Timing != "2 days before FDP" {
		t.Errorf("manual due date: %v %s, rule %q", transfer.DueDate, transfer.DueDateSource, full.DueRule)
	}

	// One event per change that wrote something, and one for the migration.
	after := app.events(t, m.ID)[len(before):]
	byResource := map[string]event{}
	for _, e := range after {
		byResource[e.Resource.ID] = e
	}
	wrote := 0
	for _, c := range up.Items {
		if c.TaskID == nil || c.Action == "none" {
			continue
		}
		wrote++
		e, ok := byResource[*c.TaskID]
		want := map[string]string{"create": "task.created", "update": "task.updated", "not_applicable": "task.updated"}[c.Action]
		if !ok || e.Action != want {
			t.Errorf("change %s %s: event %+v, want %s", c.Kind, deref(c.Key), e, want)
		}
	}
	if wrote != 5 || len(after) != wrote+1 {
		t.Errorf("%d changes wrote, %d events", wrote, len(after))
	}
	if e := byResource[m.ID]; e.Action != "migration.updated" || e.Changes["template_version"].From != oldVer || e.Changes["template_version"].To != newVer {
		t.Errorf("migration event %+v", e)
	}
	if e := byResource[recheck.ID]; len(e.Changes) != 1 || e.Changes["guidance"].To == nil {
		t.Errorf("completed task's event changes %v", e.Changes)
	}

	// Up to date now: nothing more to do, and doing it again writes nothing.
	must(t, app.get(t, "/v1/migrations/"+m.ID+"/template-changes"), http.StatusOK).decode(t, &cl)
	if cl.Outdated || len(cl.Items) != 0 || cl.FromVersion != newVer {
		t.Errorf("after the upgrade: %+v", cl)
	}
	res = must(t, app.upgrade(t, m.ID, "", nil), http.StatusOK)
	if etagOf(res) != `"2"` || len(app.events(t, m.ID)) != len(before)+len(after) {
		t.Errorf("a second upgrade wrote: etag %s", etagOf(res))
	}
}

func TestTemplateUpgradeOfSignedOffStage(t *testing.T) {
	old := newTestApp(t)
	body := newMigration("A81002")
	body["stages"] = []string{fdpStage}
	m := old.createMigration(t, body)
	for _, tk := range old.tasks(t, m.ID, "") {
		must(t, old.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	}
	must(t, old.post(t, "/v1/migrations/"+m.ID+"/signoffs", map[string]any{"stage": fdpStage, "role": "project_manager",
		"name": "Alex Morgan", "statement": "All final data production and cutover tasks are complete."}), http.StatusCreated)

	app := old.reopen(t, twoVersions(t))
	var cl changeList
	must(t, app.get(t, "/v1/migrations/"+m.ID+"/template-changes"), http.StatusOK).decode(t, &cl)
	if !slices.Equal(cl.LockedStages, []string{fdpStage}) || !changeOf(t, cl.Items, "task_added", "confirm-smartcard-access").StageLocked {
		t.Fatalf("locked stages %v", cl.LockedStages)
	}
	if c := changeOf(t, cl.Items, "task_removed", "archive-leavers"); c.Action != "none" {
		t.Errorf("a done task the template dropped: %s, want none", c.Action)
	}
	before := len(app.events(t, m.ID))

	for _, tc := range []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantKind   string
	}{
		{"refused without acceptance", map[string]any{}, 409, "stage-signed-off"},
		{"a dry run is refused the same", map[string]any{"dry_run": true}, 409, "stage-signed-off"},
		{"accepting another stage is not enough", map[string]any{"accept_signed_off_stages": []string{"go-live"}}, 409, "stage-signed-off"},
		{"accepting an unknown stage", map[string]any{"accept_signed_off_stages": []string{"no-such-stage"}}, 422, "unknown-stage"},
		{"a dry run with acceptance", map[string]any{"dry_run": true, "accept_signed_off_stages": []string{fdpStage}}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.upgrade(t, m.ID, `"1"`, tc.body)
			if res.Status != tc.wantStatus || res.kind(t) != tc.wantKind {
				t.Fatalf("got %d %q, want %d %q: %s", res.Status, res.kind(t), tc.wantStatus, tc.wantKind, res.Body)
			}
			if tc.wantStatus == 409 {
				if p := res.problem(t); !slices.Equal(p.Missing, []string{fdpStage}) {
					t.Errorf("missing %v", p.Missing)
				}
			}
			if n := len(app.events(t, m.ID)); n != before {
				t.Errorf("%d events written", n-before)
			}
		})
	}

	var up upgradeResult
	must(t, app.upgrade(t, m.ID, `"1"`, map[string]any{"accept_signed_off_stages": []string{fdpStage}}), http.StatusOK).decode(t, &up)
	if !slices.Equal(up.AcceptedStages, []string{fdpStage}) || up.Migration.TemplateVersion != newVer {
		t.Fatalf("accepted upgrade: %+v", up)
	}
	smart := taskByKey(t, app.tasks(t, m.ID, ""), "confirm-smartcard-access")
	if smart.Status != "todo" {
		t.Errorf("new task in the signed-off stage: %+v", smart)
	}
	evs := app.events(t, m.ID)
	last := evs[len(evs)-1]
	for _, e := range evs[before:] {
		if e.Action == "migration.updated" {
			last = e
		}
	}
	if acc := last.Changes["accepted_signed_off_stages"].To; !reflect.DeepEqual(acc, []any{fdpStage}) {
		t.Errorf("the acceptance is not on the record: %+v", last)
	}
}
