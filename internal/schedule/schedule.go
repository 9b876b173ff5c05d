// Package schedule holds the date rules of a migration: the key date fields of the NHS England migration
// guide, the due-date rules checklist templates are written in, and the consistency checks between key
// dates. It is plain Go on the standard library: it must not import net/http, echo, gorm, the generated
// api package or the store.
package schedule

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// KeyDateFields are the key dates of a migration, in the order the guide meets them (section 5 of the
// migration guide). Rules and key date maps use these names and no others.
var KeyDateFields = []string{
	"order_date",
	"go_live_date",
	"extract_request_date",
	"kick_off_date",
	"technical_survey_date",
	"hardware_deployment_date",
	"training_start_date",
	"training_end_date",
	"idp_date",
	"data_checking_start_date",
	"data_signoff_date",
	"cutover_planning_meeting_date",
	"links_off_date",
	"fdp_date",
	"final_extract_date",
	"legacy_access_end_date",
	"migration_end_date",
}

// IsKeyDateField reports whether name is one of KeyDateFields.
func IsKeyDateField(name string) bool {
	return slices.Contains(KeyDateFields, name)
}

// KeyDates are the key dates of one migration by field name, each a calendar date at 00:00 UTC.
// An absent field is a date nobody has set yet.
type KeyDates map[string]time.Time

// Rule derives a due date from a key date: the anchor date moved by OffsetDays calendar days.
// The zero Rule means "no rule".
type Rule struct {
	Anchor     string
	OffsetDays int
}

// The guide writes rules as "fdp_date", "fdp_date - 28d" or "go_live_date + 90d"; spaces around the sign
// are optional so that hand-edited templates do not fail on layout.
var rulePattern = regexp.MustCompile(`^\s*([a-z_]+)\s*(?:([+-])\s*([0-9]+)d)?\s*$`)

// ParseRule reads a rule in the guide's form: a key date field, optionally followed by "+ Nd" or "- Nd".
func ParseRule(s string) (Rule, error) {
	m := rulePattern.FindStringSubmatch(s)
	if m == nil {
		return Rule{}, fmt.Errorf("rule %q: want <key date>, <key date> - <N>d or <key date> + <N>d", s)
	}
	if !IsKeyDateField(m[1]) {
		return Rule{}, fmt.Errorf("rule %q: %q is not a key date field", s, m[1])
	}
	r := Rule{Anchor: m[1]}
	if m[3] != "" {
		n, err := strconv.Atoi(m[3])
		// Ten years either way is already far beyond any migration; bigger numbers are typos.
		if err != nil || n > 3650 {
			return Rule{}, fmt.Errorf("rule %q: offset %s days is out of range", s, m[3])
		}
		if m[2] == "-" {
			n = -n
		}
		r.OffsetDays = n
	}
	return r, nil
}

// String gives the rule back in the guide's canonical form, such as "fdp_date - 28d" or "go_live_date".
func (r Rule) String() string {
	switch {
	case r.Anchor == "":
		return ""
	case r.OffsetDays < 0:
		return fmt.Sprintf("%s - %dd", r.Anchor, -r.OffsetDays)
	case r.OffsetDays > 0:
		return fmt.Sprintf("%s + %dd", r.Anchor, r.OffsetDays)
	}
	return r.Anchor
}

// IsZero reports whether r is the zero Rule, which derives no date.
func (r Rule) IsZero() bool {
	return r == Rule{}
}

// Due is the date the rule gives for d; false when the anchor date is not set (yet), so the task simply
// has no due date until it is.
func (r Rule) Due(d KeyDates) (time.Time, bool) {
	anchor, ok := d[r.Anchor]
	if r.Anchor == "" || !ok {
		return time.Time{}, false
	}
	return day(anchor).AddDate(0, 0, r.OffsetDays), true
}

// day drops any time of day, so that a date sent with a clock time still compares as a calendar date.
func day(t time.Time) time.Time {
	y, m, dd := t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}
