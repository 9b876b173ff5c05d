package schedule

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	// The zone database is compiled in: a minimal container image has none, and a reminder an hour
	// out for half the year is worse than none.
	_ "time/tzdata"
)

// London is the zone the guide's dates are read in: a date-only due date means that day in England,
// and a reminder's clock time is what the clocks in the practice show, summer time included.
var London = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("schedule: time zone Europe/London: " + err.Error())
	}
	return loc
}()

// DefaultReminderTime is the clock time of a relative reminder that does not name one: the start of
// a practice's working day.
const DefaultReminderTime = "09:00"

// MaxReminderOffset bounds a relative reminder's distance from its due date, in days either way.
const MaxReminderOffset = 365

var clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

// ParseClock reads a clock time "HH:MM" (00:00 to 23:59) into hours and minutes.
func ParseClock(s string) (hour, minute int, err error) {
	m := clockPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("clock time %q: want HH:MM, 00:00 to 23:59", s)
	}
	hour, _ = strconv.Atoi(m[1])
	minute, _ = strconv.Atoi(m[2])
	return hour, minute, nil
}

// ReminderAt is the instant, in UTC, of a reminder offsetDays calendar days from due (a calendar date:
// only its year, month and day count) at clock time "HH:MM" in London.
//
// Clock changes make two times of the year special, and both are decided here rather than left to
// chance: on the last Sunday of March the clocks go from 01:00 to 02:00, so 01:00 to 01:59 never
// happen; a reminder set for then fires at the same distance after 01:00 GMT (01:30 fires at 01:30Z,
// which the clocks show as 02:30). On the last Sunday of October 01:00 to 01:59 happen twice; a
// reminder fires at the first of them (in summer time), so it is never later than it says.
func ReminderAt(due time.Time, offsetDays int, clock string) (time.Time, error) {
	h, m, err := ParseClock(clock)
	if err != nil {
		return time.Time{}, err
	}
	y, mo, d := due.Date()
	// The wall clock reading wanted, written as if it were UTC; each candidate offset maps it to an
	// instant, which is right when London shows that reading at that instant.
	wall := time.Date(y, mo, d+offsetDays, h, m, 0, 0, time.UTC)
	_, before := wall.Add(-12 * time.Hour).In(London).Zone()
	_, after := wall.Add(12 * time.Hour).In(London).Zone()
	var found []time.Time
	for _, off := range []int{before, after} {
		at := wall.Add(-time.Duration(off) * time.Second)
		if sameWall(at.In(London), wall) {
			found = append(found, at)
		}
	}
	switch len(found) {
	case 0: // in the spring gap: read with the offset in force before it
		return wall.Add(-time.Duration(before) * time.Second), nil
	case 2:
		if found[1].Before(found[0]) {
			return found[1], nil
		}
	}
	return found[0], nil
}

func sameWall(local, wall time.Time) bool {
	y, mo, d := local.Date()
	return y == wall.Year() && mo == wall.Month() && d == wall.Day() && local.Hour() == wall.Hour() && local.Minute() == wall.Minute()
}
