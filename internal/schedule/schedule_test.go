package schedule

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestKeyDateFields(t *testing.T) {
	want := []string{"order_date", "go_live_date", "extract_request_date", "kick_off_date",
		"technical_survey_date", "hardware_deployment_date", "training_start_date", "training_end_date",
		"idp_date", "data_checking_start_date", "data_signoff_date", "cutover_planning_meeting_date",
		"links_off_date", "fdp_date", "final_extract_date", "legacy_access_end_date", "migration_end_date"}
	if !reflect.DeepEqual(KeyDateFields, want) {
		t.Fatalf("KeyDateFields = %v\nwant %v", KeyDateFields, want)
	}
	for _, f := range want {
		if !IsKeyDateField(f) {
			t.Errorf("IsKeyDateField(%q) = false", f)
		}
	}
	for _, f := range []string{"", "fdp", "FDP_DATE", "final_extract_time"} {
		if IsKeyDateField(f) {
			t.Errorf("IsKeyDateField(%q) = true", f)
		}
	}
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rule
		str  string
	}{
		{"fdp_date", Rule{"fdp_date", 0}, "fdp_date"},
		{"fdp_date - 28d", Rule{"fdp_date", -28}, "fdp_date - 28d"},
		{"go_live_date + 90d", Rule{"go_live_date", 90}, "go_live_date + 90d"},
		{"fdp_date-2d", Rule{"fdp_date", -2}, "fdp_date - 2d"},
		{"  idp_date   +5d  ", Rule{"idp_date", 5}, "idp_date + 5d"},
		{"\tkick_off_date\t", Rule{"kick_off_date", 0}, "kick_off_date"},
		{"fdp_date - 0d", Rule{"fdp_date", 0}, "fdp_date"},
		{"go_live_date - 112d", Rule{"go_live_date", -112}, "go_live_date - 112d"},
		{"migration_end_date + 3650d", Rule{"migration_end_date", 3650}, "migration_end_date + 3650d"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRule(tc.in)
			if err != nil {
				t.Fatalf("ParseRule(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseRule(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if got.String() != tc.str {
				t.Fatalf("String() = %q, want %q", got.String(), tc.str)
			}
			if again, err := ParseRule(got.String()); err != nil || again != got {
				t.Fatalf("round trip of %q gave %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{"empty", "", "want <key date>"},
		{"blank", "   ", "want <key date>"},
		{"unknown anchor", "cutover_date - 1d", `"cutover_date" is not a key date field`},
		{"anchor in capitals", "FDP_DATE", "want <key date>"},
		{"phrase instead of rule", "at least 4 weeks before FDP", "want <key date>"},
		{"weeks", "fdp_date - 4w", "want <key date>"},
		{"no unit", "fdp_date - 28", "want <key date>"},
		{"no number", "fdp_date - d", "want <key date>"},
		{"no sign", "fdp_date 28d", "want <key date>"},
		{"double sign", "fdp_date - -28d", "want <key date>"},
		{"capital unit", "fdp_date - 28D", "want <key date>"},
		{"space before unit", "fdp_date - 28 d", "want <key date>"},
		{"two anchors", "fdp_date - go_live_date", "want <key date>"},
		{"window", "fdp_date .. go_live_date", "want <key date>"},
		{"rule prefix", "rule: fdp_date", "want <key date>"},
		{"none", "none", `"none" is not a key date field`},
		{"offset too big", "fdp_date + 3651d", "out of range"},
		{"offset overflows", "fdp_date + 99999999999999999999d", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRule(tc.in)
			if err == nil {
				t.Fatalf("ParseRule(%q) = %+v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseRule(%q) error %q, want it to mention %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestRuleZero(t *testing.T) {
	if !(Rule{}).IsZero() {
		t.Error("Rule{}.IsZero() = false")
	}
	if (Rule{Anchor: "fdp_date"}).IsZero() {
		t.Error("fdp_date rule IsZero() = true")
	}
	if s := (Rule{}).String(); s != "" {
		t.Errorf("Rule{}.String() = %q, want empty", s)
	}
	if d, ok := (Rule{}).Due(KeyDates{"fdp_date": date("2027-03-12")}); ok {
		t.Errorf("Rule{}.Due = %v, true; want no date", d)
	}
}

func TestRuleDue(t *testing.T) {
	dates := KeyDates{
		"fdp_date":     date("2027-03-12"),
		"go_live_date": date("2027-03-15"),
		// A clock time on a key date must not leak into due dates.
		"idp_date": time.Date(2027, 1, 10, 17, 30, 0, 0, time.FixedZone("BST", 3600)),
	}
	for _, tc := range []struct {
		rule   string
		want   string
		wantOK bool
	}{
		{"fdp_date", "2027-03-12", true},
		{"fdp_date - 28d", "2027-02-12", true},
		{"fdp_date - 1d", "2027-03-11", true},
		{"go_live_date + 90d", "2027-06-13", true},
		{"fdp_date - 30d", "2027-02-10", true}, // across the end of February
		{"idp_date + 5d", "2027-01-15", true},
		{"kick_off_date", "", false}, // not set yet: no due date
		{"legacy_access_end_date - 1d", "", false},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			r, err := ParseRule(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.Due(dates)
			if ok != tc.wantOK {
				t.Fatalf("Due ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if got.Format(time.DateOnly) != tc.want || got.Location() != time.UTC || got.Hour() != 0 {
				t.Fatalf("Due = %v, want %s 00:00 UTC", got, tc.want)
			}
		})
	}
}

// consistent is a full set of key dates that passes every check; each test case breaks it in one place.
func consistent() KeyDates {
	return KeyDates{
		"order_date":                    date("2026-11-02"),
		"extract_request_date":          date("2026-11-09"),
		"kick_off_date":                 date("2026-11-16"),
		"technical_survey_date":         date("2026-11-23"),
		"idp_date":                      date("2026-12-14"),
		"data_checking_start_date":      date("2026-12-15"),
		"data_signoff_date":             date("2027-01-18"),
		"cutover_planning_meeting_date": date("2027-02-12"),
		"training_start_date":           date("2027-02-22"),
		"training_end_date":             date("2027-03-05"),
		"hardware_deployment_date":      date("2027-03-08"),
		"links_off_date":                date("2027-03-10"),
		"final_extract_date":            date("2027-03-12"),
		"fdp_date":                      date("2027-03-12"),
		"go_live_date":                  date("2027-03-15"),
		"legacy_access_end_date":        date("2027-06-13"),
		"migration_end_date":            date("2027-06-14"),
	}
}

func TestCheckKeyDates(t *testing.T) {
	for _, tc := range []struct {
		name      string
		set       map[string]string // changes to consistent(); "" removes the date
		only      []string          // start from just these dates of consistent() instead
		at        KeyDates          // dates with a clock time, added last
		wantErrs  []Clash
		wantWarns []Clash
	}{
		{name: "consistent dates"},
		{name: "no dates at all", only: []string{}},
		{name: "single date", only: []string{"fdp_date"}},
		{
			name: "order on the kick off day",
			set:  map[string]string{"order_date": "2026-11-16"},
			wantErrs: []Clash{{[]string{"order_date", "kick_off_date"},
				"order_date (2026-11-16) must be before kick_off_date (2026-11-16)"}},
		},
		{name: "extract requested on IDP day", set: map[string]string{"extract_request_date": "2026-12-14"}},
		{
			name: "extract requested after IDP",
			set:  map[string]string{"extract_request_date": "2026-12-15"},
			wantErrs: []Clash{{[]string{"extract_request_date", "idp_date"},
				"extract_request_date (2026-12-15) must be on or before idp_date (2026-12-14)"}},
		},
		{
			name: "sign-off on IDP day",
			set:  map[string]string{"data_signoff_date": "2026-12-14"},
			wantErrs: []Clash{{[]string{"idp_date", "data_signoff_date"},
				"idp_date (2026-12-14) must be before data_signoff_date (2026-12-14)"}},
		},
		{name: "sign-off on FDP day", set: map[string]string{"data_signoff_date": "2027-03-12"}},
		{
			name: "sign-off after FDP",
			set:  map[string]string{"data_signoff_date": "2027-03-13"},
			wantErrs: []Clash{{[]string{"data_signoff_date", "fdp_date"},
				"data_signoff_date (2027-03-13) must be on or before fdp_date (2027-03-12)"}},
		},
		{
			name: "IDP after FDP",
			only: []string{"idp_date", "fdp_date"},
			set:  map[string]string{"idp_date": "2027-03-20"},
			wantErrs: []Clash{{[]string{"idp_date", "fdp_date"},
				"idp_date (2027-03-20) must be before fdp_date (2027-03-12)"}},
		},
		{
			name: "IDP on FDP day",
			only: []string{"idp_date", "fdp_date"},
			set:  map[string]string{"idp_date": "2027-03-12"},
			wantErrs: []Clash{{[]string{"idp_date", "fdp_date"},
				"idp_date (2027-03-12) must be before fdp_date (2027-03-12)"}},
		},
		{name: "checking starts on IDP day", set: map[string]string{"data_checking_start_date": "2026-12-14"}},
		{
			name: "checking starts before IDP",
			set:  map[string]string{"data_checking_start_date": "2026-12-13"},
			wantErrs: []Clash{{[]string{"data_checking_start_date", "idp_date"},
				"data_checking_start_date (2026-12-13) must be on or after idp_date (2026-12-14)"}},
		},
		{name: "one training day", set: map[string]string{"training_end_date": "2027-02-22"}},
		{
			name: "training ends before it starts",
			set:  map[string]string{"training_end_date": "2027-02-21"},
			wantErrs: []Clash{{[]string{"training_start_date", "training_end_date"},
				"training_start_date (2027-02-22) must be on or before training_end_date (2027-02-21)"}},
		},
		{
			name: "go live on FDP day",
			set:  map[string]string{"go_live_date": "2027-03-12"},
		},
		{
			name: "FDP after go live",
			only: []string{"fdp_date", "go_live_date"},
			set:  map[string]string{"fdp_date": "2027-03-12", "go_live_date": "2027-03-01"},
			wantErrs: []Clash{{[]string{"fdp_date", "go_live_date"},
				"fdp_date (2027-03-12) must be on or before go_live_date (2027-03-01)"}},
		},
		{name: "extract 2 days before FDP", set: map[string]string{"final_extract_date": "2027-03-10"}},
		{name: "extract 2 days after FDP", set: map[string]string{"final_extract_date": "2027-03-14"}},
		{
			name: "extract 3 days before FDP",
			set:  map[string]string{"final_extract_date": "2027-03-09"},
			wantErrs: []Clash{{[]string{"final_extract_date", "fdp_date"},
				"final_extract_date (2027-03-09) must be within 2 days of fdp_date (2027-03-12), but it is 3 days before"}},
		},
		{
			name: "extract 3 days after FDP",
			set:  map[string]string{"final_extract_date": "2027-03-15"},
			wantErrs: []Clash{{[]string{"final_extract_date", "fdp_date"},
				"final_extract_date (2027-03-15) must be within 2 days of fdp_date (2027-03-12), but it is 3 days after"}},
		},
		{
			name: "legacy access ends on go-live day",
			set:  map[string]string{"legacy_access_end_date": "2027-03-15"},
			wantErrs: []Clash{{[]string{"go_live_date", "legacy_access_end_date"},
				"go_live_date (2027-03-15) must be before legacy_access_end_date (2027-03-15)"}},
		},
		{name: "migration ends on go-live day", set: map[string]string{"migration_end_date": "2027-03-15"}},
		{
			name: "migration ends before go live",
			set:  map[string]string{"migration_end_date": "2027-03-14"},
			wantErrs: []Clash{{[]string{"migration_end_date", "go_live_date"},
				"migration_end_date (2027-03-14) must be on or after go_live_date (2027-03-15)"}},
		},
		{name: "planning meeting exactly 4 weeks before FDP", set: map[string]string{"cutover_planning_meeting_date": "2027-02-12"}},
		{
			name: "planning meeting 27 days before FDP",
			set:  map[string]string{"cutover_planning_meeting_date": "2027-02-13"},
			wantWarns: []Clash{{[]string{"cutover_planning_meeting_date", "fdp_date"},
				"cutover_planning_meeting_date (2027-02-13) should be at least 28 days (4 weeks) before fdp_date (2027-03-12), but it is 27 days before"}},
		},
		{
			name: "planning meeting after FDP",
			set:  map[string]string{"cutover_planning_meeting_date": "2027-03-13"},
			wantWarns: []Clash{{[]string{"cutover_planning_meeting_date", "fdp_date"},
				"cutover_planning_meeting_date (2027-03-13) should be at least 28 days (4 weeks) before fdp_date (2027-03-12), but it is 1 day after"}},
		},
		{
			name: "planning meeting on FDP day",
			set:  map[string]string{"cutover_planning_meeting_date": "2027-03-12"},
			wantWarns: []Clash{{[]string{"cutover_planning_meeting_date", "fdp_date"},
				"cutover_planning_meeting_date (2027-03-12) should be at least 28 days (4 weeks) before fdp_date (2027-03-12), but it is on the same day"}},
		},
		{
			name: "unset dates are not checked",
			// Without fdp_date every check against it is skipped, however wrong the other dates are.
			set: map[string]string{
				"fdp_date":                      "",
				"cutover_planning_meeting_date": "2027-03-20",
				"data_signoff_date":             "2027-04-01",
				"final_extract_date":            "2027-01-01",
				"migration_end_date":            "2027-03-01",
			},
			wantErrs: []Clash{{[]string{"migration_end_date", "go_live_date"},
				"migration_end_date (2027-03-01) must be on or after go_live_date (2027-03-15)"}},
		},
		{
			name: "a clock time does not matter",
			only: []string{},
			at: KeyDates{
				"fdp_date":     date("2027-03-12").Add(23 * time.Hour),
				"go_live_date": time.Date(2027, 3, 12, 0, 30, 0, 0, time.FixedZone("BST", 3600)),
			},
		},
		{
			name: "FDP moved past go live breaks several checks, in order",
			set:  map[string]string{"fdp_date": "2027-04-01"},
			wantErrs: []Clash{
				{[]string{"fdp_date", "go_live_date"}, "fdp_date (2027-04-01) must be on or before go_live_date (2027-03-15)"},
				{[]string{"final_extract_date", "fdp_date"},
					"final_extract_date (2027-03-12) must be within 2 days of fdp_date (2027-04-01), but it is 20 days before"},
			},
		},
		{
			name: "IDP moved late: errors and a warning together",
			set:  map[string]string{"idp_date": "2027-03-13", "cutover_planning_meeting_date": "2027-03-01"},
			wantErrs: []Clash{
				{[]string{"idp_date", "data_signoff_date"}, "idp_date (2027-03-13) must be before data_signoff_date (2027-01-18)"},
				{[]string{"idp_date", "fdp_date"}, "idp_date (2027-03-13) must be before fdp_date (2027-03-12)"},
				{[]string{"data_checking_start_date", "idp_date"},
					"data_checking_start_date (2026-12-15) must be on or after idp_date (2027-03-13)"},
			},
			wantWarns: []Clash{{[]string{"cutover_planning_meeting_date", "fdp_date"},
				"cutover_planning_meeting_date (2027-03-01) should be at least 28 days (4 weeks) before fdp_date (2027-03-12), but it is 11 days before"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := consistent()
			if tc.only != nil {
				d = KeyDates{}
				for _, f := range tc.only {
					d[f] = consistent()[f]
				}
			}
			for f, v := range tc.set {
				if v == "" {
					delete(d, f)
					continue
				}
				d[f] = date(v)
			}
			for f, v := range tc.at {
				d[f] = v
			}
			errs, warns := CheckKeyDates(d)
			if !reflect.DeepEqual(errs, tc.wantErrs) {
				t.Errorf("errors:\n got %q\nwant %q", errs, tc.wantErrs)
			}
			if !reflect.DeepEqual(warns, tc.wantWarns) {
				t.Errorf("warnings:\n got %q\nwant %q", warns, tc.wantWarns)
			}
		})
	}
}
