package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestUpdateTask(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	for _, tc := range []struct {
		name       string
		body       string
		stale      bool // someone else writes first, so our If-Match is out of date
		wantStatus int
		wantKind   string
		check      func(t *testing.T, got task)
	}{
		{"completes the task", `{"status":"done"}`, false, 200, "", func(t *testing.T, got task) {
			if got.CompletedAt == nil || deref(got.CompletedBy) != "admin" {
				t.Errorf("completed_at %v by %v", got.CompletedAt, got.CompletedBy)
			}
		}},
		{"sets notes and owner", `{"notes":"Supplier confirmed by email","owner_role":"it_lead"}`, false, 200, "", func(t *testing.T, got task) {
			if deref(got.Notes) != "Supplier confirmed by email" || got.OwnerRole != "it_lead" || got.Status != "todo" {
				t.Errorf("got %+v", got)
			}
		}},
		{"sets a manual due date", `{"due_date":"2027-01-05"}`, false, 200, "", func(t *testing.T, got task) {
			if deref(got.DueDate) != "2027-01-05" || got.DueDateSource != "manual" {
				t.Errorf("due %v %s", got.DueDate, got.DueDateSource)
			}
		}},
		{"not applicable needs a reason", `{"status":"not_applicable"}`, false, 422, "missing-reason", nil},
		{"not applicable with a reason", `{"status":"not_applicable","not_applicable_reason":"Not a dispensing practice"}`, false, 200, "", nil},
		{"reason without not applicable", `{"not_applicable_reason":"why"}`, false, 422, "invalid-reason", nil},
		{"stale If-Match", `{"status":"done"}`, true, 412, "stale", nil},
		{"NHS number in notes", `{"notes":"ring about 943 476 5919"}`, false, 422, "patient-identifier", nil},
		{"unknown field", `{"colour":"red"}`, false, 400, "invalid-request", nil},
		{"bad status", `{"status":"finished"}`, false, 400, "invalid-request", nil},
		{"bad date", `{"due_date":"05/01/2027"}`, false, 400, "invalid-request", nil},
		{"empty patch", `{}`, false, 400, "invalid-request", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := app.seedTask(t, m.ID, "ensure-staff-availability")
			etag := fmt.Sprintf(`"%d"`, tk.Version)
			if tc.stale {
				must(t, app.patch(t, tk.url(), map[string]any{"notes": "moved to Friday"}, etag), http.StatusOK)
			}
			res := app.patch(t, tk.url(), tc.body, etag)
			if res.Status != tc.wantStatus || res.kind(t) != tc.wantKind {
				t.Fatalf("got %d %q, want %d %q\n%s", res.Status, res.kind(t), tc.wantStatus, tc.wantKind, res.Body)
			}
			if tc.check != nil {
				var got task
				res.decode(t, &got)
				tc.check(t, got)
			}
			// Put it back for the next row.
			app.patch(t, tk.url(), map[string]any{"status": "todo", "notes": nil, "owner_role": "practice_manager", "due_date": nil}, "")
		})
	}
}

func TestTaskCompletionIsClearedWhenReopened(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "archive-leavers")
	var got task
	must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK).decode(t, &got)
	if got.CompletedAt == nil {
		t.Fatal("completed_at not set")
	}
	// application/merge-patch+json is accepted as well as application/json.
	res := app.do(t, req{method: http.MethodPatch, path: tk.url(), body: `{"status":"in_progress"}`,
		header: map[string]string{"Content-Type": "application/merge-patch+json"}})
	must(t, res, http.StatusOK).decode(t, &got)
	if got.CompletedAt != nil || got.CompletedBy != nil || got.Status != "in_progress" {
		t.Fatalf("after reopening: %+v", got)
	}
}

func TestTaskFilters(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "coordinate-mesh-updates")
	must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)

	done := app.tasks(t, m.ID, "status=done")
	if len(done) != 1 || done[0].ID != tk.ID {
		t.Fatalf("status=done gave %d tasks", len(done))
	}
	for _, got := range app.tasks(t, m.ID, "owner_role=it_lead&stage=final-data-production-and-cutover") {
		if got.OwnerRole != "it_lead" || got.Stage != "final-data-production-and-cutover" {
			t.Fatalf("filter let through %+v", got)
		}
	}
	if n := len(app.tasks(t, m.ID, "stage=go-live")); n != 16 {
		t.Errorf("go-live has %d tasks", n)
	}
}

func TestCustomTasks(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	base := "/v1/migrations/" + m.ID + "/tasks"
	res := must(t, app.post(t, base, map[string]any{"stage": "final-data-production-and-cutover", "title": "Photograph the server room labels",
		"owner_role": "it_lead", "due_date": "2027-03-09"}), http.StatusCreated)
	var tk task
	res.decode(t, &tk)
	if tk.Key != nil || tk.Group != "Local tasks" || tk.Position != 11 || tk.DueDateSource != "manual" || res.Header.Get("Location") != tk.url() {
		t.Fatalf("custom task %+v at %s", tk, res.Header.Get("Location"))
	}
	stage := app.tasks(t, m.ID, "stage=final-data-production-and-cutover")
	if stage[len(stage)-1].ID != tk.ID {
		t.Fatal("custom task is not last in its stage")
	}
	for _, bad := range []struct {
		body map[string]any
		kind string
	}{
		{map[string]any{"stage": "no-such-stage", "title": "x"}, "unknown-stage"},
		{map[string]any{"stage": "go-live", "title": "NHS 9434765919 check"}, "patient-identifier"},
		{map[string]any{"stage": "go-live"}, "invalid-request"},
	} {
		if k := app.post(t, base, bad.body).kind(t); k != bad.kind {
			t.Errorf("%v: kind %q, want %q", bad.body, k, bad.kind)
		}
	}
	// Custom tasks can be deleted; template tasks cannot.
	if k := app.delete(t, app.seedTask(t, m.ID, "archive-leavers").url()).kind(t); k != "template-task" {
		t.Errorf("deleting a template task: %q", k)
	}
	must(t, app.delete(t, tk.url()), http.StatusNoContent)
	must(t, app.get(t, tk.url()), http.StatusNotFound)
}

// Fifty concurrent updates over real HTTP: every one succeeds, none meets "database is locked".
func TestConcurrentTaskUpdates(t *testing.T) {
	app := newTestApp(t)
	srv := httptest.NewServer(app.e)
	defer srv.Close()
	m := app.createMigration(t, nil)
	tasks := app.tasks(t, m.ID, "")
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := tasks[i%len(tasks)]
			body := strings.NewReader(fmt.Sprintf(`{"notes":"update %d","status":"in_progress"}`, i))
			r, _ := http.NewRequest(http.MethodPatch, srv.URL+tk.url(), body)
			r.Header.Set("Authorization", "Bearer "+adminToken)
			r.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				errs <- fmt.Sprintf("task %d: status %d", i, res.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if strings.Contains(app.logs.String(), "locked") {
		t.Error("the log mentions a locked database")
	}
	if got := app.tasks(t, m.ID, "status=in_progress"); len(got) != 50 {
		t.Errorf("%d tasks in progress, want 50", len(got))
	}
}
