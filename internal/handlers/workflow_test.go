package handlers_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestMovingKeyDatesMovesDerivedDueDates(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	sample := app.seedTask(t, m.ID, "random-sample-reminder")
	mesh := app.seedTask(t, m.ID, "coordinate-mesh-updates")
	agree := app.seedTask(t, m.ID, "agree-fdp-date")
	if deref(sample.DueDate) != "2027-03-12" || deref(mesh.DueDate) != "2027-03-09" || deref(agree.DueDate) != "2027-02-10" {
		t.Fatalf("derived dates: sample %v, mesh %v, agree %v", deref(sample.DueDate), deref(mesh.DueDate), deref(agree.DueDate))
	}
	// Someone fixes the MESH task's date by hand: it must not move with FDP.
	must(t, app.patch(t, mesh.url(), map[string]any{"due_date": "2027-03-01"}, ""), http.StatusOK)

	must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"go_live_date": "2027-03-15", "fdp_date": "2027-03-13", "final_extract_date": "2027-03-13"}, ""), http.StatusOK)
	for _, tc := range []struct {
		key, due, source string
	}{
		{"random-sample-reminder", "2027-03-15", "derived"}, // at go live
		{"agree-fdp-date", "2027-02-13", "derived"},         // FDP - 28 days
		{"coordinate-mesh-updates", "2027-03-01", "manual"}, // set by hand: stays
		{"archive-leavers", "2027-03-12", "derived"},        // FDP - 1 day
	} {
		got := app.seedTask(t, m.ID, tc.key)
		if deref(got.DueDate) != tc.due || got.DueDateSource != tc.source {
			t.Errorf("%s: due %s (%s), want %s (%s)", tc.key, deref(got.DueDate), got.DueDateSource, tc.due, tc.source)
		}
	}
	// Clearing the manual date makes it derived again, from today's key dates.
	var got task
	must(t, app.patch(t, mesh.url(), map[string]any{"due_date": nil}, ""), http.StatusOK).decode(t, &got)
	if deref(got.DueDate) != "2027-03-12" || got.DueDateSource != "derived" {
		t.Errorf("after clearing: due %s (%s)", deref(got.DueDate), got.DueDateSource)
	}
	// Removing go live leaves its tasks without a due date.
	must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"go_live_date": nil}, ""), http.StatusOK)
	if got := app.seedTask(t, m.ID, "random-sample-reminder"); got.DueDate != nil {
		t.Errorf("without go live the sample check is due %v", *got.DueDate)
	}
	// The moves are in the audit trail, in the same change.
	var evs page[event]
	must(t, app.get(t, "/v1/migrations/"+m.ID+"/events?action=task.updated&limit=200"), http.StatusOK).decode(t, &evs)
	moved := 0
	for _, e := range evs.Items {
		if e.Resource.ID == sample.ID {
			if c, ok := e.Changes["due_date"]; ok && c.From == "2027-03-12" && c.To == "2027-03-15" {
				moved++
			}
		}
	}
	if moved != 1 {
		t.Errorf("%d task.updated events record the sample task's move", moved)
	}
}

func TestKeyDateConsistency(t *testing.T) {
	app := newTestApp(t)
	for _, tc := range []struct {
		name   string
		dates  map[string]any
		fields []string
	}{
		{"fdp after go live", map[string]any{"fdp_date": "2027-03-20", "final_extract_date": "2027-03-20", "go_live_date": "2027-03-12"}, []string{"fdp_date", "go_live_date"}},
		{"extract far from fdp", map[string]any{"fdp_date": "2027-03-10", "final_extract_date": "2027-02-01", "go_live_date": "2027-03-12"}, []string{"final_extract_date", "fdp_date"}},
		{"idp after fdp", map[string]any{"fdp_date": "2027-03-10", "final_extract_date": "2027-03-10", "idp_date": "2027-03-11"}, []string{"idp_date", "fdp_date"}},
		{"training ends before it starts", map[string]any{"training_start_date": "2027-02-10", "training_end_date": "2027-02-01"}, []string{"training_start_date", "training_end_date"}},
		{"every clash named", map[string]any{"fdp_date": "2027-03-20", "final_extract_date": "2027-01-01", "go_live_date": "2027-03-12"},
			[]string{"fdp_date", "go_live_date", "final_extract_date", "fdp_date"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := newMigration("A81001")
			delete(body, "fdp_date")
			delete(body, "final_extract_date")
			delete(body, "go_live_date")
			for k, v := range tc.dates {
				body[k] = v
			}
			res := must(t, app.post(t, "/v1/migrations", body), http.StatusUnprocessableEntity)
			if res.kind(t) != "inconsistent-dates" || !slices.Equal(res.fields(t), tc.fields) {
				t.Fatalf("%s %v, want inconsistent-dates %v", res.kind(t), res.fields(t), tc.fields)
			}
		})
	}
	// The same rules hold for PATCH, against the dates as patched.
	m := app.createMigration(t, nil)
	res := must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"go_live_date": "2027-03-01"}, ""), http.StatusUnprocessableEntity)
	if !slices.Equal(res.fields(t), []string{"fdp_date", "go_live_date"}) {
		t.Errorf("patch clash fields %v", res.fields(t))
	}
}

type stageProgress struct {
	Key          string   `json:"key"`
	SignoffRoles []string `json:"signoff_roles"`
	MissingRoles []string `json:"missing_roles"`
	SignedOff    bool     `json:"signed_off"`
	Locked       bool     `json:"locked"`
	Tasks        struct {
		Total         int `json:"total"`
		Done          int `json:"done"`
		NotApplicable int `json:"not_applicable"`
		Open          int `json:"open"`
		Overdue       int `json:"overdue"`
	} `json:"tasks"`
	Signoffs []signoff `json:"signoffs"`
}

type signoff struct {
	ID            string  `json:"id"`
	Stage         string  `json:"stage"`
	Role          string  `json:"role"`
	RevokedAt     *string `json:"revoked_at"`
	RevokedReason *string `json:"revoked_reason"`
	SignedBy      string  `json:"signed_by"`
	Version       int     `json:"version"`
}

func (a *testApp) stage(t *testing.T, migrationID, key string) stageProgress {
	t.Helper()
	var pg page[stageProgress]
	must(t, a.get(t, "/v1/migrations/"+migrationID+"/stages"), http.StatusOK).decode(t, &pg)
	for _, s := range pg.Items {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no stage %s", key)
	return stageProgress{}
}

const fdpStage = "final-data-production-and-cutover"

func TestSignoffGate(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	base := "/v1/migrations/" + m.ID + "/signoffs"
	pm := map[string]any{"stage": fdpStage, "role": "practice_manager", "name": "Alex Morgan", "statement": "All FDP and cutover tasks are complete."}

	// Open tasks: 409 listing them.
	res := must(t, app.post(t, base, pm), http.StatusConflict)
	p := res.problem(t)
	if res.kind(t) != "gate-shut" || len(p.OpenTasks) != 10 {
		t.Fatalf("gate: %s with %d open tasks", res.kind(t), len(p.OpenTasks))
	}

	fdp := app.tasks(t, m.ID, "stage="+fdpStage)
	for i, tk := range fdp {
		body := map[string]any{"status": "done"}
		if i == 0 {
			body = map[string]any{"status": "not_applicable", "not_applicable_reason": "Date fixed by the ICB before the project began"}
		}
		must(t, app.patch(t, tk.url(), body, ""), http.StatusOK)
	}
	if st := app.stage(t, m.ID, fdpStage); st.Tasks.Done != 9 || st.Tasks.NotApplicable != 1 || st.Tasks.Open != 0 || st.SignedOff {
		t.Fatalf("progress before sign-off: %+v", st)
	}

	var so signoff
	res = must(t, app.post(t, base, pm), http.StatusCreated)
	res.decode(t, &so)
	if so.SignedBy != "admin" || so.RevokedAt != nil || res.Header.Get("Location") != base+"/"+so.ID {
		t.Fatalf("sign-off %+v", so)
	}
	st := app.stage(t, m.ID, fdpStage)
	if !st.Locked || st.SignedOff || !slices.Equal(st.MissingRoles, []string{"project_manager"}) || len(st.Signoffs) != 1 {
		t.Fatalf("after one sign-off: %+v", st)
	}
	// The same role cannot sign twice while its sign-off is live.
	if k := app.post(t, base, pm).kind(t); k != "already-signed" {
		t.Errorf("second practice manager sign-off: %s", k)
	}
	// While signed off, the stage's tasks are read-only, and no custom task can join it.
	if k := app.patch(t, fdp[3].url(), map[string]any{"notes": "late note"}, "").kind(t); k != "stage-locked" {
		t.Errorf("editing a locked task: %s", k)
	}
	if k := app.post(t, "/v1/migrations/"+m.ID+"/tasks", map[string]any{"stage": fdpStage, "title": "One more thing"}).kind(t); k != "stage-locked" {
		t.Errorf("adding to a locked stage: %s", k)
	}
	// Other stages stay editable.
	must(t, app.patch(t, app.tasks(t, m.ID, "stage=go-live")[0].url(), map[string]any{"notes": "fine"}, ""), http.StatusOK)

	must(t, app.post(t, base, map[string]any{"stage": fdpStage, "role": "project_manager", "name": "Jo Smith", "statement": "Agreed."}), http.StatusCreated)
	if st := app.stage(t, m.ID, fdpStage); !st.SignedOff || len(st.MissingRoles) != 0 {
		t.Fatalf("after both required sign-offs: %+v", st)
	}

	// Sign-offs are never edited or deleted.
	for _, method := range []string{http.MethodPatch, http.MethodDelete, http.MethodPut} {
		res := app.do(t, req{method: method, path: base + "/" + so.ID, body: `{}`})
		if res.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s on a sign-off: %d", method, res.Status)
		}
	}

	// Revoke both; edits work again; the revoked sign-offs are still listed.
	var list page[signoff]
	must(t, app.get(t, base), http.StatusOK).decode(t, &list)
	for _, s := range list.Items {
		var r signoff
		must(t, app.do(t, req{method: http.MethodPost, path: base + "/" + s.ID + "/revoke", body: map[string]any{"reason": "The final extract has to be taken again."},
			header: map[string]string{"If-Match": fmt.Sprintf(`"%d"`, s.Version)}}), http.StatusOK).decode(t, &r)
		if r.RevokedAt == nil || deref(r.RevokedReason) != "The final extract has to be taken again." {
			t.Fatalf("revoked %+v", r)
		}
	}
	if k := app.post(t, base+"/"+so.ID+"/revoke", map[string]any{"reason": "again"}).kind(t); k != "already-revoked" {
		t.Errorf("revoking twice: %s", k)
	}
	must(t, app.patch(t, fdp[3].url(), map[string]any{"notes": "late note"}, ""), http.StatusOK)
	list = page[signoff]{}
	must(t, app.get(t, base+"?stage="+fdpStage), http.StatusOK).decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].RevokedAt == nil {
		t.Fatalf("revoked sign-offs listed: %+v", list.Items)
	}
	if st := app.stage(t, m.ID, fdpStage); st.Locked || st.SignedOff {
		t.Errorf("after revoking: %+v", st)
	}
	// A migration with a live sign-off cannot be deleted.
	must(t, app.post(t, base, pm), http.StatusCreated)
	if k := app.delete(t, "/v1/migrations/"+m.ID).kind(t); k != "signed-off" {
		t.Errorf("deleting a signed-off migration: %s", k)
	}
}

func TestTenCompletionsGiveTenEvents(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	for _, tk := range app.tasks(t, m.ID, "stage="+fdpStage) {
		must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	}
	var evs page[event]
	must(t, app.get(t, "/v1/migrations/"+m.ID+"/events?action=task.updated"), http.StatusOK).decode(t, &evs)
	if len(evs.Items) != 10 {
		t.Fatalf("%d task.updated events", len(evs.Items))
	}
	for _, e := range evs.Items {
		c := e.Changes["status"]
		if c.From != "todo" || c.To != "done" || e.Actor != "admin" || deref(e.MigrationID) != m.ID {
			t.Errorf("event %+v", e)
		}
	}
}

func TestMigrationStatusMoves(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	path := "/v1/migrations/" + m.ID
	move := func(status string) response { return app.patch(t, path, map[string]any{"status": status}, "") }

	must(t, move("in_progress"), http.StatusOK)
	res := must(t, move("live"), http.StatusConflict)
	if res.kind(t) != "status-move" || !slices.Contains(res.problem(t).Missing, "signoff:"+fdpStage) || !slices.Contains(res.problem(t).Missing, "signoff:planning-for-cutover") {
		t.Fatalf("live too early: %s %v", res.kind(t), res.problem(t).Missing)
	}
	signOff := func(stage string) {
		for _, tk := range app.tasks(t, m.ID, "stage="+stage) {
			must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
		}
		for _, role := range []string{"project_manager", "practice_manager"} {
			must(t, app.post(t, path+"/signoffs", map[string]any{"stage": stage, "role": role, "name": "N", "statement": "Done."}), http.StatusCreated)
		}
	}
	signOff("planning-for-cutover")
	must(t, move("cutover"), http.StatusOK)
	if k := move("live").kind(t); k != "status-move" {
		t.Fatalf("live before the FDP stage is signed off: %s", k)
	}
	signOff(fdpStage)
	must(t, move("live"), http.StatusOK)
	// Back one step is allowed (a postponed go live); closed needs go live and post go live signed off.
	if k := move("closed").kind(t); k != "status-move" {
		t.Errorf("closing early: %s", k)
	}
	must(t, move("cancelled"), http.StatusOK)
	if k := move("planned").kind(t); k != "status-final" {
		t.Errorf("leaving cancelled: %s", k)
	}
}

func TestOverdueAndDueFilters(t *testing.T) {
	clock := time.Date(2027, 3, 11, 10, 0, 0, 0, time.UTC) // FDP was yesterday
	app := newTestApp(t, withClock(func() time.Time { return clock }))
	m := app.createMigration(t, nil)
	overdue := app.tasks(t, m.ID, "stage="+fdpStage+"&overdue=true")
	// Due on or before 10 March: agree-fdp-date (10 Feb), set-up-data-transfer, archive-leavers,
	// coordinate-mesh-updates, ensure-staff-availability, brief-cutover-responsibilities (9 March).
	if len(overdue) != 6 {
		t.Fatalf("%d overdue tasks, want 6", len(overdue))
	}
	must(t, app.patch(t, overdue[0].url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	if n := len(app.tasks(t, m.ID, "stage="+fdpStage+"&overdue=true")); n != 5 {
		t.Errorf("after completing one: %d overdue", n)
	}
	if n := len(app.tasks(t, m.ID, "stage="+fdpStage+"&overdue=false")); n != 5 {
		t.Errorf("not overdue: %d", n)
	}
	if n := len(app.tasks(t, m.ID, "stage="+fdpStage+"&due_before=2027-03-09&due_after=2027-03-09")); n != 5 {
		t.Errorf("due on 9 March: %d", n)
	}
	if st := app.stage(t, m.ID, fdpStage); st.Tasks.Overdue != 5 {
		t.Errorf("stage overdue count %d", st.Tasks.Overdue)
	}
}

// Replaying a task's events from its creation gives its current state, whatever sequence of
// changes produced it.
func TestEventReplayEqualsStoredTask(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	// The go-live stage, and the one task that starts with reminders of its own.
	tasks := append(app.tasks(t, m.ID, "stage=go-live"), app.seedTask(t, m.ID, "random-sample-reminder"))
	reminder := func() any {
		switch rng.IntN(3) {
		case 0:
			return map[string]any{"offset_days": rng.IntN(11) - 5}
		case 1:
			return map[string]any{"offset_days": rng.IntN(11) - 5, "time": fmt.Sprintf("%02d:%02d", rng.IntN(24), 15*rng.IntN(4))}
		}
		return map[string]any{"at": fmt.Sprintf("2027-03-%02dT%02d:30:00+01:00", 1+rng.IntN(28), rng.IntN(24))}
	}
	patches := []func() map[string]any{
		func() map[string]any { return map[string]any{"status": "done"} },
		func() map[string]any { return map[string]any{"status": "in_progress"} },
		func() map[string]any { return map[string]any{"status": "todo"} },
		func() map[string]any {
			return map[string]any{"status": "not_applicable", "not_applicable_reason": fmt.Sprintf("reason %d", rng.IntN(100))}
		},
		func() map[string]any { return map[string]any{"notes": fmt.Sprintf("note %d", rng.IntN(100))} },
		func() map[string]any { return map[string]any{"notes": nil} },
		func() map[string]any { return map[string]any{"due_date": fmt.Sprintf("2027-03-%02d", 1+rng.IntN(28))} },
		func() map[string]any { return map[string]any{"due_date": nil} },
		func() map[string]any {
			return map[string]any{"owner_role": []string{"it_lead", "practice_staff", "trainer"}[rng.IntN(3)]}
		},
		func() map[string]any {
			return map[string]any{"title": fmt.Sprintf("Renamed %d", rng.IntN(100)), "guidance": "Updated guidance."}
		},
		func() map[string]any {
			rs := make([]any, rng.IntN(4))
			for i := range rs {
				rs[i] = reminder()
			}
			return map[string]any{"reminders": rs}
		},
		func() map[string]any { return map[string]any{"reminders": nil} },
	}
	for range 200 {
		tk := tasks[rng.IntN(len(tasks))]
		// Some combinations are refused (a reason without not_applicable): that is part of the test.
		app.patch(t, tk.url(), patches[rng.IntN(len(patches))](), "")
	}
	var evs []event
	cursor := ""
	for {
		var pg page[event]
		p := "/v1/migrations/" + m.ID + "/events?limit=200"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		must(t, app.get(t, p), http.StatusOK).decode(t, &pg)
		evs = append(evs, pg.Items...)
		if pg.NextCursor == nil {
			break
		}
		cursor = *pg.NextCursor
	}
	for _, tk := range tasks {
		state := map[string]any{}
		for _, e := range evs {
			// task.reminder and task.overdue record moments, not changes to the task.
			if e.Resource.ID != tk.ID || (e.Action != "task.created" && e.Action != "task.updated") {
				continue
			}
			for k, c := range e.Changes {
				if c.To == nil {
					delete(state, k)
				} else {
					state[k] = c.To
				}
			}
		}
		var stored map[string]any
		must(t, app.get(t, tk.url()), http.StatusOK).decode(t, &stored)
		for _, k := range []string{"id", "migration_id", "version", "created_at", "updated_at"} {
			delete(stored, k)
		}
		// The trail records reminders as their settings; the representation adds ids and times.
		stored["reminders"] = reminderSettings(t, stored["reminders"])
		for k, v := range stored {
			if v == nil {
				delete(stored, k)
			}
		}
		if !reflect.DeepEqual(state, stored) {
			t.Fatalf("task %s: replay %v\nstored %v", tk.ID, state, stored)
		}
	}
}

// reminderSettings turns a task's reminders, as the API shows them, into the settings the audit
// trail records: "-2d 09:00", "0d 09:00", "+1d 17:30", "at 2027-03-10T09:00:00Z".
func reminderSettings(t *testing.T, v any) []any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("reminders is %T, not a list", v)
	}
	out := make([]any, len(list))
	for i, x := range list {
		r := x.(map[string]any)
		if at, ok := r["at"].(string); ok {
			out[i] = "at " + at
			continue
		}
		n := int(r["offset_days"].(float64))
		sign := ""
		if n > 0 {
			sign = "+"
		}
		out[i] = fmt.Sprintf("%s%dd %s", sign, n, r["time"])
	}
	return out
}
