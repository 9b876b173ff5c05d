package cutover

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// MaxReminders is how many reminders one task may carry.
const MaxReminders = 10

// Reminder is a moment someone should be reminded of a task: either an instant (At), or a clock
// time in London (Time, "HH:MM") a number of days from the task's due date (OffsetDays). FireAt is
// when it goes off, worked out from the due date for a relative reminder; nil while a relative
// reminder's task has no due date. Whether it has gone off is the scheduler's business, not part
// of the task: firing never changes the task.
type Reminder struct {
	ID         uuid.UUID
	At         *time.Time // absolute
	OffsetDays *int       // relative, with Time
	Time       string
	FireAt     *time.Time
}

// Relative reports whether the reminder follows the task's due date.
func (r *Reminder) Relative() bool { return r.OffsetDays != nil }

// SameSetting reports whether two reminders are set the same way, whatever their ids.
func (r *Reminder) SameSetting(o *Reminder) bool {
	switch {
	case r.Relative() != o.Relative():
		return false
	case r.Relative():
		return *r.OffsetDays == *o.OffsetDays && r.Time == o.Time
	}
	return r.At != nil && o.At != nil && r.At.Equal(*o.At)
}

// String is the reminder's setting in the audit trail: "-2d 09:00" (two days before the due date,
// at 09:00 London time), "0d 09:00" (on the day), "+1d 17:30", or "at 2027-03-10T09:00:00Z".
func (r *Reminder) String() string {
	if r.Relative() {
		n := *r.OffsetDays
		if n > 0 {
			return fmt.Sprintf("+%dd %s", n, r.Time)
		}
		return fmt.Sprintf("%dd %s", n, r.Time)
	}
	if r.At == nil {
		return "at ?"
	}
	return "at " + r.At.UTC().Format(time.RFC3339Nano)
}

// reminderStrings is a task's reminders as the audit trail records them: always a list, so that
// clearing them is a change to an empty list.
func reminderStrings(rs []Reminder) []string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = rs[i].String()
	}
	return out
}
