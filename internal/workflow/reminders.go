package workflow

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
)

// ReminderInput is a reminder as a request gives it: At alone, or OffsetDays with an optional Time
// (09:00 when absent).
type ReminderInput struct {
	At         *time.Time
	OffsetDays *int
	Time       *string
}

// Reminders checks a request's reminders and turns them into settings without ids (ReplaceReminders
// and NewTask.Build give them theirs). field names the list in errors, such as "reminders".
func Reminders(field string, in []ReminderInput) ([]cutover.Reminder, error) {
	if len(in) > cutover.MaxReminders {
		return nil, cutover.Invalid("invalid-reminder", "Too many reminders", cutover.FieldError{Field: field,
			Message: fmt.Sprintf("a task takes at most %d reminders, not %d", cutover.MaxReminders, len(in))})
	}
	out := make([]cutover.Reminder, 0, len(in))
	var bad []cutover.FieldError
	for i, r := range in {
		name := fmt.Sprintf("%s[%d]", field, i)
		fail := func(msg string) { bad = append(bad, cutover.FieldError{Field: name, Message: msg}) }
		switch {
		case r.At != nil && (r.OffsetDays != nil || r.Time != nil):
			fail("give either at (an instant) or offset_days with time (relative to the due date), not both")
		case r.At != nil:
			// Microseconds: what PostgreSQL keeps, so the audit trail and the row agree.
			at := r.At.UTC().Truncate(time.Microsecond)
			out = append(out, cutover.Reminder{At: &at})
		case r.OffsetDays == nil:
			fail("give at (an instant), or offset_days (days from the due date, negative before it) with an optional time")
		case *r.OffsetDays < -schedule.MaxReminderOffset || *r.OffsetDays > schedule.MaxReminderOffset:
			fail(fmt.Sprintf("offset_days must be between -%d and %d", schedule.MaxReminderOffset, schedule.MaxReminderOffset))
		default:
			clock := schedule.DefaultReminderTime
			if r.Time != nil {
				clock = *r.Time
			}
			if _, _, err := schedule.ParseClock(clock); err != nil {
				fail("time must be HH:MM, 00:00 to 23:59, London time")
				continue
			}
			n := *r.OffsetDays
			out = append(out, cutover.Reminder{OffsetDays: &n, Time: clock})
		}
	}
	if bad != nil {
		return nil, cutover.Invalid("invalid-reminder", "Invalid reminders", bad...)
	}
	return out, nil
}

// ReplaceReminders gives the task the reminders next, in that order. A reminder set the same way as
// one the task already has keeps that one's identity, so sending the list back with one more added
// does not make the others go off again.
func ReplaceReminders(t *cutover.Task, next []cutover.Reminder) {
	used := make([]bool, len(t.Reminders))
	out := make([]cutover.Reminder, len(next))
	for i := range next {
		out[i] = next[i]
		out[i].ID = cutover.NewID()
		for j := range t.Reminders {
			if !used[j] && t.Reminders[j].SameSetting(&next[i]) {
				used[j] = true
				out[i].ID = t.Reminders[j].ID
				break
			}
		}
	}
	t.Reminders = out
	ScheduleReminders(t)
}

// ScheduleReminders works out when each of the task's reminders goes off from its due date, read as
// that day in London. It runs wherever a due date is set or moved, so that a reminder always
// follows its task. It writes a new list rather than into the old one: a copy of the task taken
// before the change (to compare with, to audit) shares the old list.
func ScheduleReminders(t *cutover.Task) {
	if len(t.Reminders) == 0 {
		return
	}
	t.Reminders = slices.Clone(t.Reminders)
	for i := range t.Reminders {
		r := &t.Reminders[i]
		switch {
		case !r.Relative():
			if r.At != nil {
				at := r.At.UTC()
				r.FireAt = &at
			}
		case t.DueDate == nil:
			r.FireAt = nil
		default:
			at, err := schedule.ReminderAt(*t.DueDate, *r.OffsetDays, r.Time)
			if err != nil {
				r.FireAt = nil // only a hand-edited row lands here: the inputs are checked
				continue
			}
			r.FireAt = &at
		}
	}
}

// templateReminders are a template task's default reminders, as new reminders of a task.
func templateReminders(tt *checklist.Task) []cutover.Reminder {
	if len(tt.Reminders) == 0 {
		return nil
	}
	out := make([]cutover.Reminder, len(tt.Reminders))
	for i, r := range tt.Reminders {
		n := r.OffsetDays
		clock := r.Time
		if clock == "" {
			clock = schedule.DefaultReminderTime
		}
		out[i] = cutover.Reminder{ID: cutover.NewID(), OffsetDays: &n, Time: clock}
	}
	return out
}
