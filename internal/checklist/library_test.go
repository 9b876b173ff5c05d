package checklist

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// validDoc is the smallest template that uses every field; the error cases below break it in one place.
const validDoc = `version: "2030-01-01"
title: Test guide
source_url: https://example.org/guide
stages:
  - key: only-stage
    title: Only stage
    summary: A stage for tests.
    notices: [Log off first.]
    duration: 1 day
    roles: [project_manager]
    signoff_roles: [practice_manager]
    key_dates: [fdp_date]
    tables:
      - key: T-1
        title: Table
        columns: [Name]
        contact_role: new_supplier
        key_date: fdp_date
    groups:
      - key: first-group
        title: First group
        topics:
          - title: a topic
            gdpr_warning: true
        tasks:
          - key: first-task
            title: First task
            guidance: Do it.
            owner_role: practice_staff
            topic: a topic
            timing: "the week before FDP"
            due: fdp_date - 1d
            starts: fdp_date - 7d
            timing_basis: implied
            patient_data: warn
            sources: [SEED]
            fills: [T-1]
            reminders:
              - {offset_days: -1, time: "09:00"}
          - key: second-task
            title: Second task
            owner_role: project_manager
            patient_data: "no"
`

const secondStage = `  - key: only-stage
    title: Again
    signoff_roles: [practice_manager]
    groups:
      - key: g
        title: G
        tasks:
          - {key: t, title: T, owner_role: icb, patient_data: "no"}
`

func TestNewLibrary(t *testing.T) {
	fsys := fstest.MapFS{
		"2030-01-01.yaml":       {Data: []byte(validDoc)},
		"2031-06-30.yaml":       {Data: []byte(strings.Replace(validDoc, "2030-01-01", "2031-06-30", 1))},
		"2029-12-31.yaml":       {Data: []byte(strings.Replace(validDoc, "2030-01-01", "2029-12-31", 1))},
		"README.md":             {Data: []byte("not a template")},
		"drafts/2040-01-01.yml": {Data: []byte("not read: only *.yaml at the root")},
	}
	l, err := NewLibrary(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Versions(), []string{"2029-12-31", "2030-01-01", "2031-06-30"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Versions() = %v, want %v", got, want)
	}
	if v := l.Current().Version; v != "2031-06-30" {
		t.Fatalf("Current() is %s, want the newest, 2031-06-30", v)
	}
	tmpl, ok := l.Version("2030-01-01")
	if !ok {
		t.Fatal("Version(2030-01-01) not found")
	}
	s, _ := tmpl.Stage("only-stage")
	want := Task{
		Key: "first-task", Title: "First task", Guidance: "Do it.", OwnerRole: "practice_staff", Topic: "a topic",
		Timing: "the week before FDP", Due: "fdp_date - 1d", Starts: "fdp_date - 7d", TimingBasis: "implied",
		PatientData: "warn", Sources: []string{"SEED"}, Fills: []string{"T-1"},
		Reminders: []Reminder{{OffsetDays: -1, Time: "09:00"}},
	}
	if got := s.Tasks()[0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("first task =\n%+v\nwant\n%+v", got, want)
	}
	if !s.Groups[0].Topics[0].GDPRWarning || s.Tasks()[1].PatientData != "no" {
		t.Fatalf("topic warning or quoted patient_data lost: %+v %+v", s.Groups[0].Topics, s.Tasks()[1])
	}
	l.Versions()[0] = "changed"
	if l.Versions()[0] != "2029-12-31" {
		t.Fatal("changing the result of Versions() changed the library")
	}
}

func TestNewLibraryErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string   // file name; "" means 2030-01-01.yaml
		old  string   // replaced in validDoc by new
		new  string   //
		doc  string   // the whole document instead of validDoc
		want []string // every one must appear in the error
	}{
		{name: "version not the file name", file: "2030-01-02.yaml",
			want: []string{"2030-01-02.yaml", `version "2030-01-01" does not match the file name "2030-01-02.yaml"`}},
		{name: "version not YYYY-MM-DD", file: "2030-1-1.yaml", old: `"2030-01-01"`, new: `"2030-1-1"`,
			want: []string{`version "2030-1-1" is not a YYYY-MM-DD date`}},
		{name: "version not a date", file: "2030-02-30.yaml", old: `"2030-01-01"`, new: `"2030-02-30"`,
			want: []string{`version "2030-02-30" is not a YYYY-MM-DD date`}},
		{name: "no title", old: "title: Test guide\n", new: "", want: []string{"title is empty"}},
		{name: "no stages", doc: "version: \"2030-01-01\"\ntitle: T\nstages: []\n", want: []string{"no stages"}},
		{name: "misspelt field", old: "    summary:", new: "    sumary:", want: []string{"decode template", "sumary"}}, //nolint:misspell // the typo is the test
		{name: "misspelt task field", old: "owner_role: practice_staff", new: "owner: practice_staff",
			want: []string{"decode template", "owner"}},
		{name: "wrong type", old: "offset_days: -1", new: "offset_days: soon", want: []string{"decode template", "soon"}},
		{name: "not YAML", doc: "version: [\n", want: []string{"decode template 2030-01-01.yaml"}},
		{name: "empty file", doc: " ", want: []string{"decode template 2030-01-01.yaml"}},
		{name: "two documents", doc: validDoc + "---\nversion: x\n", want: []string{"one YAML document"}},
		{name: "stage key not kebab-case", old: "key: only-stage", new: "key: Only_Stage",
			want: []string{`stage 1: key "Only_Stage" is not kebab-case`}},
		{name: "stage key empty", old: "  - key: only-stage\n", new: "  - key: \"\"\n",
			want: []string{`stage 1: key "" is not kebab-case`}},
		{name: "stage key twice", doc: validDoc + secondStage, want: []string{`stage "only-stage": key is used twice`}},
		{name: "stage title empty", old: "title: Only stage", new: "title: \"\"", want: []string{`stage "only-stage": title is empty`}},
		{name: "unknown role", old: "roles: [project_manager]", new: "roles: [project_manager, boss]",
			want: []string{`stage "only-stage": roles: "boss" is not a role`}},
		{name: "no signoff roles", old: "signoff_roles: [practice_manager]", new: "signoff_roles: []",
			want: []string{`stage "only-stage": signoff_roles is empty`}},
		{name: "unknown signoff role", old: "signoff_roles: [practice_manager]", new: "signoff_roles: [ceo]",
			want: []string{`signoff_roles: "ceo" is not a role`}},
		{name: "unknown key date", old: "key_dates: [fdp_date]", new: "key_dates: [fdp_day]",
			want: []string{`stage "only-stage": key_dates: "fdp_day" is not a key date field`}},
		{name: "bad table key", old: "key: T-1", new: "key: t1", want: []string{`table "t1": key is not like FDP-1`}},
		{name: "table without columns", old: "columns: [Name]", new: "columns: []", want: []string{`table "T-1": no columns`}},
		{name: "unknown contact role", old: "contact_role: new_supplier", new: "contact_role: supplier",
			want: []string{`table "T-1": contact_role "supplier" is not one of`}},
		{name: "unknown table key date", old: "key_date: fdp_date", new: "key_date: fdp",
			want: []string{`table "T-1": key_date "fdp" is not a key date field`}},
		{name: "group key not kebab-case", old: "key: first-group", new: "key: First group",
			want: []string{`group "First group": key is not kebab-case`}},
		{name: "group title empty", old: "title: First group", new: "title: \"\"",
			want: []string{`group "first-group": title is empty`}},
		{name: "group without tasks", doc: strings.Replace(validDoc+secondStage, "          - {key: t, title: T, owner_role: icb, patient_data: \"no\"}\n", "", 1),
			want: []string{`group "g": no tasks`}},
		{name: "task key twice", old: "key: second-task", new: "key: first-task",
			want: []string{`stage "only-stage": group "first-group": task "first-task": key is used twice in the stage`}},
		{name: "task key not kebab-case", old: "key: second-task", new: "key: second_task",
			want: []string{`task "second_task": key is not kebab-case`}},
		{name: "task title empty", old: "title: Second task", new: "title: \"\"", want: []string{`task "second-task": title is empty`}},
		{name: "unknown owner role", old: "owner_role: project_manager", new: "owner_role: doctor",
			want: []string{`task "second-task": owner_role "doctor" is not a role`}},
		{name: "no owner role", old: "    owner_role: project_manager\n", new: "\n",
			want: []string{`task "second-task": owner_role "" is not a role`}},
		{name: "unknown topic", old: "topic: a topic", new: "topic: another topic",
			want: []string{`task "first-task": topic "another topic" is not a topic of its group`}},
		{name: "bad due rule", old: "due: fdp_date - 1d", new: "due: fdp_date - 1w",
			want: []string{`task "first-task": due: rule "fdp_date - 1w"`}},
		{name: "due on an unknown date", old: "due: fdp_date - 1d", new: "due: cutover_date",
			want: []string{`task "first-task": due: rule "cutover_date": "cutover_date" is not a key date field`}},
		{name: "bad starts rule", old: "starts: fdp_date - 7d", new: "starts: a week before",
			want: []string{`task "first-task": starts: rule "a week before"`}},
		{name: "starts without due", old: "            due: fdp_date - 1d\n", new: "",
			want: []string{`task "first-task": starts without due`}},
		{name: "due without timing basis", old: "            timing_basis: implied\n", new: "",
			want: []string{`task "first-task": due is set but timing_basis is not`}},
		{name: "timing basis without due", old: "    patient_data: \"no\"", new: "    patient_data: \"no\"\n            timing_basis: guide",
			want: []string{`task "second-task": timing_basis "guide" is set without a due rule`}},
		{name: "unknown timing basis", old: "timing_basis: implied", new: "timing_basis: guessed",
			want: []string{`task "first-task": timing_basis "guessed" is not one of guide, implied, assumed`}},
		{name: "unknown patient data", old: "patient_data: warn", new: "patient_data: maybe",
			want: []string{`task "first-task": patient_data "maybe" is not one of no, warn, yes`}},
		{name: "no patient data", old: "    patient_data: \"no\"\n", new: "\n",
			want: []string{`task "second-task": patient_data "" is not one of no, warn, yes`}},
		{name: "unknown source", old: "sources: [SEED]", new: "sources: [SEED, WIKI]",
			want: []string{`task "first-task": sources: "WIKI" is not one of`}},
		{name: "fills an unknown table", old: "fills: [T-1]", new: "fills: [T-9]",
			want: []string{`task "first-task": fills: "T-9" is not a table of the stage`}},
		{name: "reminder time without minutes", old: `time: "09:00"`, new: `time: "9am"`,
			want: []string{`task "first-task": reminder time "9am" is not HH:MM`}},
		{name: "reminder time out of range", old: `time: "09:00"`, new: `time: "25:00"`,
			want: []string{`reminder time "25:00" is not HH:MM`}},
		{name: "reminder time one-digit hour", old: `time: "09:00"`, new: `time: "9:00"`,
			want: []string{`reminder time "9:00" is not HH:MM`}},
		{name: "every fault is reported", old: "owner_role: project_manager", new: "owner_role: doctor\n            topic: nope",
			want: []string{`owner_role "doctor"`, `topic "nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.doc
			if doc == "" {
				doc = validDoc
				if tc.old != "" {
					if !strings.Contains(doc, tc.old) {
						t.Fatalf("test is broken: %q is not in the document", tc.old)
					}
					doc = strings.Replace(doc, tc.old, tc.new, 1)
				}
			}
			file := tc.file
			if file == "" {
				file = "2030-01-01.yaml"
			}
			_, err := NewLibrary(fstest.MapFS{file: {Data: []byte(doc)}})
			if err == nil {
				t.Fatalf("NewLibrary accepted:\n%s", doc)
			}
			for _, w := range append(tc.want, file) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestNewLibraryNoTemplates(t *testing.T) {
	_, err := NewLibrary(fstest.MapFS{"notes.txt": {Data: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), "no *.yaml files") {
		t.Fatalf("NewLibrary of no templates: %v", err)
	}
}
