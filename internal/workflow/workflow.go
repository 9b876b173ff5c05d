// Package workflow holds the rules of a migration's life: building its checklist from a template,
// deriving due dates from key dates, what a task or migration change may do, status moves and the
// sign-off gate. It is plain Go on cutover's types: no HTTP, no database, no generated API.
package workflow

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
)

// Field is one field of a JSON merge patch: absent (Present false), null (Present, Value nil) or a
// value.
type Field[T any] struct {
	Present bool
	Value   *T
}

// Set is a present, non-null patch field.
func Set[T any](v T) Field[T] { return Field[T]{Present: true, Value: &v} }

// Null is a present patch field that clears the value.
func Null[T any]() Field[T] { return Field[T]{Present: true} }

// CustomGroup is the group of custom tasks added without one.
const CustomGroup = "Local tasks"

// legacyAccessRule is the guide's default end of old-system access. When the migration has its
// own legacy_access_end_date (an agreed extension, say), tasks on this rule follow that date.
var legacyAccessRule = schedule.Rule{Anchor: "go_live_date", OffsetDays: 90}

// DueDate derives a due date from a rule and the key dates; nil when the rule is empty or its
// anchor date is not set.
func DueDate(rule *string, dates map[string]cutover.Date) *cutover.Date {
	if rule == nil || *rule == "" {
		return nil
	}
	r, err := schedule.ParseRule(*rule)
	if err != nil {
		return nil // the templates are validated at start, so only a hand-edited row lands here
	}
	if r == legacyAccessRule {
		if d, ok := dates["legacy_access_end_date"]; ok {
			return &d
		}
	}
	d, ok := r.Due(dates)
	if !ok {
		return nil
	}
	return &d
}

// Rederive recomputes the due date of every task whose date is derived and returns the indexes of
// those that changed. A date someone typed is a decision, not a calculation: manual dates stay.
func Rederive(tasks []cutover.Task, dates map[string]cutover.Date) []int {
	var changed []int
	for i := range tasks {
		t := &tasks[i]
		if t.DueDateSource == cutover.DueManual {
			continue
		}
		d := DueDate(t.DueRule, dates)
		if !sameDate(d, t.DueDate) {
			t.DueDate = d
			ScheduleReminders(t) // reminders follow the due date
			changed = append(changed, i)
		}
	}
	return changed
}

func sameDate(a, b *cutover.Date) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// CheckDates refuses a set of key dates that contradicts itself, naming every clashing field.
func CheckDates(dates map[string]cutover.Date) error {
	clashes, _ := schedule.CheckKeyDates(dates)
	if len(clashes) == 0 {
		return nil
	}
	var fields []cutover.FieldError
	for _, c := range clashes {
		for _, f := range c.Fields {
			fields = append(fields, cutover.FieldError{Field: f, Message: c.Message})
		}
	}
	return cutover.Invalid("inconsistent-dates", "The key dates contradict each other", fields...)
}

// NewTasks builds the checklist of a new migration: every task of each named stage of the
// template, in order, with due dates derived from the migration's key dates.
func NewTasks(tpl *checklist.Template, m *cutover.Migration, now time.Time) []cutover.Task {
	var tasks []cutover.Task
	for pos, st := range tpl.Stages {
		if !slices.Contains(m.Stages, st.Key) {
			continue
		}
		n := 0
		for _, g := range st.Groups {
			for i := range g.Tasks {
				tt := &g.Tasks[i]
				n++
				t := cutover.Task{
					ID:            cutover.NewID(),
					OrgID:         m.OrgID,
					MigrationID:   m.ID,
					Stage:         st.Key,
					StagePosition: pos + 1,
					Group:         g.Title,
					Key:           ptr(tt.Key),
					Title:         tt.Title,
					Guidance:      tt.Guidance,
					Position:      n,
					OwnerRole:     tt.OwnerRole,
					Status:        cutover.TaskTodo,
					Timing:        nonEmpty(tt.Timing),
					DueRule:       nonEmpty(tt.Due),
					DueDateSource: cutover.DueDerived,
					GDPRWarning:   tt.GDPRWarning(),
					Reminders:     templateReminders(tt),
					Version:       1,
					CreatedAt:     now,
					UpdatedAt:     now,
				}
				t.DueDate = DueDate(t.DueRule, m.Dates)
				ScheduleReminders(&t)
				tasks = append(tasks, t)
			}
		}
	}
	return tasks
}

// StagePosition is the 1-based place of a stage in the template; 0 when the template has no such
// stage.
func StagePosition(tpl *checklist.Template, key string) int {
	for i, s := range tpl.Stages {
		if s.Key == key {
			return i + 1
		}
	}
	return 0
}

// CheckStages refuses stage keys the template does not have and puts the rest in the guide's
// order; nil selects every stage.
func CheckStages(tpl *checklist.Template, keys []string) ([]string, error) {
	if keys == nil {
		return tpl.StageKeys(), nil
	}
	var bad []cutover.FieldError
	for i, k := range keys {
		if _, ok := tpl.Stage(k); !ok {
			bad = append(bad, cutover.FieldError{Field: fmt.Sprintf("stages[%d]", i),
				Message: fmt.Sprintf("%q is not a stage of checklist template %s; see GET /v1/templates", k, tpl.Version)})
		}
	}
	if bad != nil {
		return nil, cutover.Invalid("unknown-stage", "Unknown stage", bad...)
	}
	var ordered []string
	for _, k := range tpl.StageKeys() {
		if slices.Contains(keys, k) {
			ordered = append(ordered, k)
		}
	}
	return ordered, nil
}

func ptr[T any](v T) *T { return &v }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
