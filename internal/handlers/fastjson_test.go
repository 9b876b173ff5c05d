package handlers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// fastJSONTasks are tasks with every field set and unset, and strings that need escaping.
func fastJSONTasks() []cutover.Task {
	str := func(s string) *string { return &s }
	at := time.Date(2027, 3, 10, 9, 30, 0, 123456000, time.UTC)
	whole := time.Date(2027, 3, 10, 9, 30, 0, 0, time.UTC)
	due := time.Date(2027, 3, 12, 0, 0, 0, 0, time.UTC)
	two, minus := 2, -3
	full := cutover.Task{
		ID: uuid.MustParse("0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01"), OrgID: uuid.New(),
		MigrationID: uuid.MustParse("0190d2a4-0000-7c3e-9b1e-2f4d5a6b7cff"), Stage: "final-data-production-and-cutover",
		StagePosition: 5, Group: "Cutover period tasks", Key: str("agree-fdp-date"), Title: `Agree "FDP" <date> & time`,
		Guidance: "Line one\nline two\ttabbed \u2028 sep \u2029 para \x01 ctl \\ back é ü 🙂 \xff bad", Position: 12,
		OwnerRole: "project_manager", Status: cutover.TaskDone, NotApplicableReason: str("n/a"),
		Notes: str("</script><script>alert(1)</script>"), Timing: str("1 to 2 days before FDP"),
		DueRule: str("fdp_date - 2d"), DueDate: &due, DueDateSource: cutover.DueManual, GDPRWarning: true, Local: true,
		CompletedAt: &at, CompletedBy: str("admin token"), Version: 7, CreatedAt: whole, UpdatedAt: at,
		Reminders: []cutover.Reminder{
			{ID: uuid.New(), OffsetDays: &minus, Time: "09:00", FireAt: &whole},
			{ID: uuid.New(), At: &at, FireAt: &at},
			{ID: uuid.New(), OffsetDays: &two, Time: "17:30"},
		},
	}
	bare := cutover.Task{ID: uuid.New(), MigrationID: uuid.New(), Stage: "go-live", Title: "", Status: cutover.TaskTodo,
		DueDateSource: cutover.DueDerived, CreatedAt: at, UpdatedAt: at}
	empty := full
	empty.Key, empty.Reminders, empty.Notes, empty.Guidance = nil, []cutover.Reminder{}, str(""), ""
	return []cutover.Task{full, bare, empty}
}

// TestTaskJSON checks that the hand-written task encoder writes exactly what encoding/json
// writes for the API type, so the two cannot drift apart.
func TestTaskJSON(t *testing.T) {
	warnings := &[]api.Warning{{Field: "notes", Message: "looks like an NHS number <kept>"}}
	for i, task := range fastJSONTasks() {
		for _, ws := range []*[]api.Warning{nil, warnings} {
			want := taskToAPI(&task)
			want.Warnings = ws
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(want); err != nil {
				t.Fatal(err)
			}
			got := newTaskJSON(&task, ws, 200)
			if !bytes.Equal(got.body.b, buf.Bytes()) {
				t.Errorf("task %d (warnings %v):\n got %s\nwant %s", i, ws != nil, got.body.b, buf.Bytes())
			}
		}
	}
}

// TestTaskListJSON checks a page of tasks against encoding/json of api.TaskList.
func TestTaskListJSON(t *testing.T) {
	tasks := fastJSONTasks()
	for _, next := range []string{"", "eyJrIjoidGFza3MifQ"} {
		items := make([]api.Task, len(tasks))
		for i := range tasks {
			items[i] = taskToAPI(&tasks[i])
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(api.TaskList{Items: items, NextCursor: nullableString(next)}); err != nil {
			t.Fatal(err)
		}
		got := newTaskListJSON(tasks, next, nil)
		if !bytes.Equal(got.body.b, buf.Bytes()) {
			t.Errorf("next %q:\n got %s\nwant %s", next, got.body.b, buf.Bytes())
		}
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(api.TaskList{Items: []api.Task{}, NextCursor: nullableString("")})
	if got := newTaskListJSON(nil, "", nil); !bytes.Equal(got.body.b, buf.Bytes()) {
		t.Errorf("empty page:\n got %s\nwant %s", got.body.b, buf.Bytes())
	}
}

// BenchmarkTaskPageJSON encodes a page of 50 tasks: the hand-written encoder, and encoding/json
// of the API types it replaced.
func BenchmarkTaskPageJSON(b *testing.B) {
	ts := fastJSONTasks()
	page := make([]cutover.Task, 50)
	for i := range page {
		page[i] = ts[i%len(ts)]
	}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			r := newTaskListJSON(page, "next", nil)
			putJSONBuf(r.body)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			items := make([]api.Task, len(page))
			for i := range page {
				items[i] = taskToAPI(&page[i])
			}
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(api.TaskList{Items: items, NextCursor: nullableString("next")}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEventListJSON checks that a page of events written with their stored changes as they are
// is what encoding/json writes for the API types from the decoded changes (as the handlers did):
// the same bytes, and for text that was not valid UTF-8 when stored, the same JSON value (stored,
// U+FFFD is the escape \ufffd; decoded and encoded again, the character itself).
func TestEventListJSON(t *testing.T) {
	valid := fastJSONTasks()[0]
	valid.Guidance = strings.ToValidUTF8(valid.Guidance, "\uFFFD")
	invalid := fastJSONTasks()[0]
	compare(t, []map[string]cutover.Change{
		{},
		{"notes": {From: nil, To: "Ring </script> & \"check\"\n\u2028 é \uFFFD"}, "position": {From: 3, To: 12},
			"done": {From: false, To: true}, "reminders": {From: []string{}, To: []string{"-2d 09:00", "at 2027-03-10T09:00:00Z"}}},
		cutover.Created(valid.Fields()),
	}, bytes.Equal)
	compare(t, []map[string]cutover.Change{cutover.Created(invalid.Fields())}, sameJSON)
}

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func compare(t *testing.T, changeSets []map[string]cutover.Change, equal func(a, b []byte) bool) {
	t.Helper()
	mid := uuid.New()
	var evs []cutover.Event
	for i, c := range changeSets {
		raw, err := json.Marshal(c) // what the store keeps
		if err != nil {
			t.Fatal(err)
		}
		e := cutover.Event{ID: uuid.New(), Seq: int64(100 + i), At: time.Date(2027, 3, 10, 9, 0, i, 123000, time.UTC),
			Actor: "admin <token>", Action: "task.updated", ResourceType: "task", ResourceID: uuid.New(), RawChanges: raw}
		if i%2 == 0 {
			e.MigrationID = &mid
		}
		evs = append(evs, e)
	}
	decoded := make([]api.Event, len(evs))
	for i := range evs {
		e := evs[i]
		if err := json.Unmarshal(e.RawChanges, &e.Changes); err != nil {
			t.Fatal(err)
		}
		e.RawChanges = nil
		decoded[i] = eventToAPI(&e)
	}
	for _, next := range []string{"", "eyJrIjoiZmVlZCJ9"} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(api.EventList{Items: decoded, NextCursor: nullableString(next)}); err != nil {
			t.Fatal(err)
		}
		got, err := newEventListJSON(evs, next, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !equal(got.body.b, want.Bytes()) {
			t.Errorf("history, next %q:\n got %s\nwant %s", next, got.body.b, want.Bytes())
		}
		want.Reset()
		if err := json.NewEncoder(&want).Encode(api.EventFeedPage{Items: decoded, NextCursor: next}); err != nil {
			t.Fatal(err)
		}
		if got, err = newEventListJSON(evs, next, true, nil); err != nil {
			t.Fatal(err)
		}
		if !equal(got.body.b, want.Bytes()) {
			t.Errorf("feed, next %q:\n got %s\nwant %s", next, got.body.b, want.Bytes())
		}
	}
}

// TestMigrationListJSON checks the hand-written page of migrations against encoding/json of
// api.MigrationList: every key date set and unset, optional fields present and absent, text that
// needs escaping, and a migration on an older template (template_outdated true).
func TestMigrationListJSON(t *testing.T) {
	s := &Server{templates: checklist.Builtin()}
	str := func(s string) *string { return &s }
	at := time.Date(2027, 3, 10, 9, 30, 0, 123456000, time.UTC)
	full := cutover.Migration{
		ID: uuid.New(), OrgID: uuid.New(), ODSCode: "A81001", PracticeName: `The "Surgery" <Health> & Care é`,
		CurrentSupplier: "Supplier A", CurrentProduct: "One\u2028", NewSupplier: "Supplier B", NewProduct: "Two",
		Status: cutover.MigrationStatus("in_progress"), Notes: str("</script>"), Dates: map[string]cutover.Date{},
		GoLiveConfirmed: true, FinalExtractTime: str("18:30"), Stages: []string{"initiation", "go-live"},
		TemplateVersion: s.templates.Current().Version, Version: 9, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
	}
	var a api.Migration
	for k := range responseDates(&a) {
		full.Dates[k] = time.Date(2027, 1, 2+len(full.Dates), 0, 0, 0, 0, time.UTC)
	}
	bare := cutover.Migration{ID: uuid.New(), OrgID: uuid.New(), Status: cutover.MigrationStatus("planning"),
		TemplateVersion: "2001-01-01", CreatedAt: at, UpdatedAt: at}
	some := full
	some.Dates = map[string]cutover.Date{"fdp_date": at, "go_live_date": at.AddDate(0, 0, 2), "training_start_date": at}
	some.Notes, some.FinalExtractTime, some.Stages = nil, nil, []string{}
	ms := []cutover.Migration{full, bare, some}
	for _, page := range [][]cutover.Migration{ms, nil} {
		for _, next := range []string{"", "eyJrIjoibWlncmF0aW9ucyJ9"} {
			items := make([]api.Migration, len(page))
			for i := range page {
				items[i] = s.migrationToAPI(&page[i])
			}
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(api.MigrationList{Items: items, NextCursor: nullableString(next)}); err != nil {
				t.Fatal(err)
			}
			got := s.newMigrationListJSON(page, next, nil)
			if !bytes.Equal(got.body.b, buf.Bytes()) {
				t.Errorf("%d migrations, next %q:\n got %s\nwant %s", len(page), next, got.body.b, buf.Bytes())
			}
		}
	}
	if !strings.Contains(string(s.newMigrationListJSON(ms, "", nil).body.b), `"template_outdated":true`) {
		t.Error("no migration on an older template: the test does not cover template_outdated")
	}
}
