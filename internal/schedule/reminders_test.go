package schedule

import (
	"testing"
	"time"
)

func TestReminderAt(t *testing.T) {
	// 2027: summer time from Sunday 28 March 01:00 GMT to Sunday 31 October 01:00 GMT.
	// 2026: from Sunday 29 March to Sunday 25 October.
	for _, tc := range []struct {
		name   string
		due    string
		offset int
		clock  string
		want   string
	}{
		{"winter: 09:00 is 09:00Z", "2027-03-12", 0, "09:00", "2027-03-12T09:00:00Z"},
		{"the Saturday before the spring change", "2027-03-27", 0, "09:00", "2027-03-27T09:00:00Z"},
		{"the day the clocks go forward, after the change", "2027-03-28", 0, "09:00", "2027-03-28T08:00:00Z"},
		{"the day the clocks go forward, before the change", "2027-03-28", 0, "00:30", "2027-03-28T00:30:00Z"},
		{"the hour that never happens fires an hour on", "2027-03-28", 0, "01:30", "2027-03-28T01:30:00Z"},
		{"02:00 on the spring change is 01:00Z", "2027-03-28", 0, "02:00", "2027-03-28T01:00:00Z"},
		{"summer: 09:00 is 08:00Z", "2027-07-01", 0, "09:00", "2027-07-01T08:00:00Z"},
		{"the Saturday before the autumn change", "2027-10-30", 0, "09:00", "2027-10-30T08:00:00Z"},
		{"the hour that happens twice fires the first time", "2027-10-31", 0, "01:30", "2027-10-31T00:30:00Z"},
		{"the day the clocks go back, before the change", "2027-10-31", 0, "00:59", "2027-10-30T23:59:00Z"},
		{"the day the clocks go back, after the change", "2027-10-31", 0, "09:00", "2027-10-31T09:00:00Z"},
		{"an offset back across the spring change", "2027-03-29", -2, "09:00", "2027-03-27T09:00:00Z"},
		{"an offset forward across the spring change", "2027-03-27", 2, "09:00", "2027-03-29T08:00:00Z"},
		{"an offset back across the autumn change", "2027-11-01", -3, "17:30", "2027-10-29T16:30:00Z"},
		{"an offset across a month and year end", "2027-01-02", -5, "09:00", "2026-12-28T09:00:00Z"},
		{"2026 spring change", "2026-03-29", 0, "09:00", "2026-03-29T08:00:00Z"},
		{"2026 autumn change", "2026-10-25", 0, "09:00", "2026-10-25T09:00:00Z"},
		{"midnight in summer is the evening before in UTC", "2027-06-15", 0, "00:00", "2027-06-14T23:00:00Z"},
		{"the last minute of a winter day", "2027-12-31", 0, "23:59", "2027-12-31T23:59:00Z"},
		{"a year ahead in a leap year", "2027-03-01", 365, "09:00", "2028-02-29T09:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReminderAt(date(tc.due), tc.offset, tc.clock)
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format(time.RFC3339); s != tc.want || got.Location() != time.UTC {
				t.Errorf("ReminderAt(%s, %d, %s) = %s (%s), want %s", tc.due, tc.offset, tc.clock, s, got.Location(), tc.want)
			}
		})
	}
}

func TestReminderAtReadsOnlyTheDate(t *testing.T) {
	// A due date that arrives with a time or a zone is still that calendar day.
	due := time.Date(2027, 7, 1, 23, 0, 0, 0, time.FixedZone("x", -5*3600))
	got, err := ReminderAt(due, 0, "09:00")
	if err != nil || !got.Equal(time.Date(2027, 7, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		in     string
		h, m   int
		wantOK bool
	}{
		{"09:00", 9, 0, true},
		{"00:00", 0, 0, true},
		{"23:59", 23, 59, true},
		{"24:00", 0, 0, false},
		{"9:00", 0, 0, false},
		{"09:60", 0, 0, false},
		{"09:00:00", 0, 0, false},
		{"", 0, 0, false},
		{" 09:00", 0, 0, false},
	} {
		h, m, err := ParseClock(tc.in)
		if (err == nil) != tc.wantOK || (tc.wantOK && (h != tc.h || m != tc.m)) {
			t.Errorf("ParseClock(%q) = %d, %d, %v", tc.in, h, m, err)
		}
	}
}
