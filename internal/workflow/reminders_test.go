package workflow

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

func day(s string) cutover.Date {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReminders(t *testing.T) {
	at := instant("2027-03-10T09:00:00+01:00")
	for _, tc := range []struct {
		name    string
		in      []ReminderInput
		want    []string // the settings, as the audit trail writes them
		fields  []string // the fields a refusal names
		message string   // part of the first message
	}{
		{"relative with a time", []ReminderInput{{OffsetDays: ptr(-2), Time: ptr("17:30")}}, []string{"-2d 17:30"}, nil, ""},
		{"relative defaults to 09:00", []ReminderInput{{OffsetDays: ptr(0)}}, []string{"0d 09:00"}, nil, ""},
		{"after the due date", []ReminderInput{{OffsetDays: ptr(1)}}, []string{"+1d 09:00"}, nil, ""},
		{"absolute, kept in UTC", []ReminderInput{{At: &at}}, []string{"at 2027-03-10T08:00:00Z"}, nil, ""},
		{"none", nil, []string{}, nil, ""},
		{"both forms", []ReminderInput{{OffsetDays: ptr(0)}, {At: &at, OffsetDays: ptr(1)}}, nil, []string{"reminders[1]"}, "not both"},
		{"at with a time", []ReminderInput{{At: &at, Time: ptr("09:00")}}, nil, []string{"reminders[0]"}, "not both"},
		{"time alone", []ReminderInput{{Time: ptr("09:00")}}, nil, []string{"reminders[0]"}, "offset_days"},
		{"empty", []ReminderInput{{}}, nil, []string{"reminders[0]"}, "give at"},
		{"offset out of range", []ReminderInput{{OffsetDays: ptr(366)}}, nil, []string{"reminders[0]"}, "between -365 and 365"},
		{"bad clock", []ReminderInput{{OffsetDays: ptr(0), Time: ptr("24:00")}}, nil, []string{"reminders[0]"}, "HH:MM"},
		{"every bad one named", []ReminderInput{{}, {OffsetDays: ptr(0)}, {Time: ptr("9")}}, nil, []string{"reminders[0]", "reminders[2]"}, ""},
		{"too many", slices.Repeat([]ReminderInput{{OffsetDays: ptr(0)}}, 11), nil, []string{"reminders"}, "at most 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Reminders("reminders", tc.in)
			if tc.fields != nil {
				var v *cutover.ValidationError
				if !errors.As(err, &v) || v.Status != 422 || v.Kind != "invalid-reminder" {
					t.Fatalf("want a 422 invalid-reminder, got %#v", err)
				}
				var fields []string
				for _, f := range v.Fields {
					fields = append(fields, f.Field)
				}
				if !slices.Equal(fields, tc.fields) || !strings.Contains(v.Fields[0].Message, tc.message) {
					t.Fatalf("fields %v (%s), want %v (%q)", fields, v.Fields[0].Message, tc.fields, tc.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			task := cutover.Task{Reminders: got}
			if s := task.Fields()["reminders"]; !slices.Equal(s.([]string), tc.want) {
				t.Fatalf("reminders %v, want %v", s, tc.want)
			}
		})
	}
}

func TestRemindersFollowTheDueDate(t *testing.T) {
	rs, err := Reminders("reminders", []ReminderInput{
		{OffsetDays: ptr(0)}, {OffsetDays: ptr(-1), Time: ptr("16:00")}, {At: ptr(instant("2027-01-01T12:00:00Z"))}})
	if err != nil {
		t.Fatal(err)
	}
	rule := "go_live_date"
	task := cutover.Task{DueRule: &rule, DueDateSource: cutover.DueDerived}
	ReplaceReminders(&task, rs)
	fireAt := func() []string {
		var out []string
		for _, r := range task.Reminders {
			if r.FireAt == nil {
				out = append(out, "-")
			} else {
				out = append(out, r.FireAt.Format(time.RFC3339))
			}
		}
		return out
	}
	// No due date yet: only the absolute reminder has a time.
	if got := fireAt(); !slices.Equal(got, []string{"-", "-", "2027-01-01T12:00:00Z"}) {
		t.Fatalf("without a due date: %v", got)
	}
	before := task
	tasks := []cutover.Task{task}
	if changed := Rederive(tasks, map[string]cutover.Date{"go_live_date": day("2027-03-12")}); len(changed) != 1 {
		t.Fatalf("rederive changed %v", changed)
	}
	task = tasks[0]
	if got := fireAt(); !slices.Equal(got, []string{"2027-03-12T09:00:00Z", "2027-03-11T16:00:00Z", "2027-01-01T12:00:00Z"}) {
		t.Fatalf("go live in winter: %v", got)
	}
	// The copy taken before the change still has the old times: the store compares the two.
	if before.Reminders[0].FireAt != nil {
		t.Fatal("scheduling wrote into the list of the task before the change")
	}
	// Go live moves into summer time: 09:00 London is 08:00Z.
	tasks = []cutover.Task{task}
	Rederive(tasks, map[string]cutover.Date{"go_live_date": day("2027-04-02")})
	task = tasks[0]
	if got := fireAt(); !slices.Equal(got, []string{"2027-04-02T08:00:00Z", "2027-04-01T15:00:00Z", "2027-01-01T12:00:00Z"}) {
		t.Fatalf("go live in summer: %v", got)
	}
	// A date set by hand moves them too; clearing it hands them back to the rule.
	patch := TaskPatch{DueDate: Set(day("2027-03-29"))}
	if err := patch.Apply(&task, TaskContext{Dates: map[string]cutover.Date{"go_live_date": day("2027-04-02")}}); err != nil {
		t.Fatal(err)
	}
	if got := fireAt(); got[0] != "2027-03-29T08:00:00Z" || got[1] != "2027-03-28T15:00:00Z" {
		t.Fatalf("manual date across the spring change: %v", got)
	}
	if err := (TaskPatch{DueDate: Null[cutover.Date]()}).Apply(&task, TaskContext{Dates: map[string]cutover.Date{}}); err != nil {
		t.Fatal(err)
	}
	if got := fireAt(); !slices.Equal(got, []string{"-", "-", "2027-01-01T12:00:00Z"}) {
		t.Fatalf("due date cleared: %v", got)
	}
}

func TestReplaceRemindersKeepsIdentity(t *testing.T) {
	task := cutover.Task{DueDate: ptr(day("2027-03-12"))}
	first, _ := Reminders("reminders", []ReminderInput{{OffsetDays: ptr(0)}, {OffsetDays: ptr(-2)}})
	ReplaceReminders(&task, first)
	ids := []string{task.Reminders[0].ID.String(), task.Reminders[1].ID.String()}
	// The list sent back reordered, with one more and one setting changed.
	next, _ := Reminders("reminders", []ReminderInput{{OffsetDays: ptr(-2)}, {OffsetDays: ptr(-7)}, {OffsetDays: ptr(0), Time: ptr("10:00")}})
	ReplaceReminders(&task, next)
	got := task.Reminders
	if got[0].ID.String() != ids[1] {
		t.Errorf("the -2d reminder lost its id")
	}
	for _, r := range got[1:] {
		if slices.Contains(ids, r.ID.String()) {
			t.Errorf("a new setting %s took an old id", r.String())
		}
	}
	ReplaceReminders(&task, nil)
	if len(task.Reminders) != 0 {
		t.Errorf("an empty list leaves %d reminders", len(task.Reminders))
	}
}

func TestTemplateRemindersOnNewTasks(t *testing.T) {
	withReminder := tt("check", "Check")
	withReminder.Due = "go_live_date"
	withReminder.Reminders = []checklist.Reminder{{OffsetDays: 0, Time: "09:00"}, {OffsetDays: -1, Time: "12:00"}}
	tpl := &checklist.Template{Version: "2030-01-01", Stages: []checklist.Stage{stage("one", withReminder, tt("plain", "Plain"))}}
	m, tasks, err := NewMigration(tpl, MigrationInput{ODSCode: "A81001",
		Dates: map[string]cutover.Date{"go_live_date": day("2027-06-01")}}, cutover.Caller{}, now)
	if err != nil {
		t.Fatal(err)
	}
	check := find(tasks, "check")
	if len(check.Reminders) != 2 || check.Reminders[0].FireAt == nil ||
		!check.Reminders[0].FireAt.Equal(instant("2027-06-01T08:00:00Z")) || !check.Reminders[1].FireAt.Equal(instant("2027-05-31T11:00:00Z")) {
		t.Fatalf("template reminders %+v", check.Reminders)
	}
	if p := find(tasks, "plain"); len(p.Reminders) != 0 {
		t.Fatalf("a task without template reminders has %d", len(p.Reminders))
	}
	// Two migrations never share a reminder.
	_, again, _ := NewMigration(tpl, MigrationInput{ODSCode: "A81001", Dates: m.Dates}, cutover.Caller{}, now)
	if find(again, "check").Reminders[0].ID == check.Reminders[0].ID {
		t.Fatal("reminder ids are reused across migrations")
	}
}
