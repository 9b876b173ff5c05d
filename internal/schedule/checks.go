package schedule

import (
	"fmt"
	"time"
)

// Clash is a pair of key dates that do not fit together. Fields names every date involved, so that an API
// error can point at each of them; Message says what is wrong in words a practice manager can act on.
type Clash struct {
	Fields  []string
	Message string
}

// check is one rule between two key dates. gap is the number of days from a to b (positive when b is
// later); fits says whether that gap is acceptable.
type check struct {
	a, b   string
	phrase string // how a must relate to b, for the message
	fits   func(gap int) bool
	sayGap bool // the message also says how far apart the dates are, when that is not obvious
}

func before(gap int) bool     { return gap > 0 }
func onOrBefore(gap int) bool { return gap >= 0 }
func onOrAfter(gap int) bool  { return gap <= 0 }

// errorChecks are the guide's consistency checks (migration guide section 5) plus the obvious ones, in
// the order they are reported.
var errorChecks = []check{
	{"order_date", "kick_off_date", "must be before", before, false},
	{"extract_request_date", "idp_date", "must be on or before", onOrBefore, false},
	{"idp_date", "data_signoff_date", "must be before", before, false},
	{"data_signoff_date", "fdp_date", "must be on or before", onOrBefore, false},
	{"idp_date", "fdp_date", "must be before", before, false},
	{"data_checking_start_date", "idp_date", "must be on or after", onOrAfter, false},
	{"training_start_date", "training_end_date", "must be on or before", onOrBefore, false},
	{"fdp_date", "go_live_date", "must be on or before", onOrBefore, false},
	// The guide describes one event, taken on the FDP day or just before, but the seed checklist lets
	// each supplier record its own date; a couple of days either way is normal, more is a mistake.
	{"final_extract_date", "fdp_date", "must be within 2 days of", func(gap int) bool { return gap >= -2 && gap <= 2 }, true},
	{"go_live_date", "legacy_access_end_date", "must be before", before, false},
	{"migration_end_date", "go_live_date", "must be on or after", onOrAfter, false},
}

// warningChecks are advice rather than contradictions: a late planning meeting is risky, not impossible.
var warningChecks = []check{
	{"cutover_planning_meeting_date", "fdp_date", "should be at least 28 days (4 weeks) before",
		func(gap int) bool { return gap >= 28 }, true},
}

// CheckKeyDates finds key dates that contradict each other. Errors make the set unusable (the API answers
// 422); warnings are worth telling the user but do not block a save. A check runs only when all its dates
// are set, and the result is in a fixed order so the same dates always give the same answer.
func CheckKeyDates(d KeyDates) (errs []Clash, warnings []Clash) {
	return run(errorChecks, d), run(warningChecks, d)
}

func run(checks []check, d KeyDates) []Clash {
	var clashes []Clash
	for _, c := range checks {
		a, b, ok := both(d, c.a, c.b)
		if !ok || c.fits(daysBetween(a, b)) {
			continue
		}
		msg := fmt.Sprintf("%s (%s) %s %s (%s)", c.a, ymd(a), c.phrase, c.b, ymd(b))
		if c.sayGap {
			msg += ", but it is " + distance(a, b)
		}
		clashes = append(clashes, Clash{Fields: []string{c.a, c.b}, Message: msg})
	}
	return clashes
}

func both(d KeyDates, a, b string) (time.Time, time.Time, bool) {
	ta, okA := d[a]
	tb, okB := d[b]
	return day(ta), day(tb), okA && okB
}

// daysBetween counts calendar days from a to b: positive when b is later.
func daysBetween(a, b time.Time) int {
	return int(day(b).Sub(day(a)).Hours() / 24)
}

// distance says where a falls relative to b in words: "5 days before", "1 day after", "on the same day".
func distance(a, b time.Time) string {
	n := daysBetween(a, b)
	where := "before"
	if n < 0 {
		n, where = -n, "after"
	}
	switch n {
	case 0:
		return "on the same day"
	case 1:
		return "1 day " + where
	}
	return fmt.Sprintf("%d days %s", n, where)
}

func ymd(t time.Time) string {
	return t.Format(time.DateOnly)
}
