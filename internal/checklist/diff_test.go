package checklist

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func task(key, title string) Task {
	return Task{Key: key, Title: title, Guidance: title + " guidance", OwnerRole: "project_manager", PatientData: "no"}
}

func TestCompare(t *testing.T) {
	older := &Template{Version: "2030-01-01", Stages: []Stage{
		{Key: "alpha", Title: "Alpha", SignoffRoles: []string{"project_manager"}, Groups: []Group{
			{Key: "g1", Title: "G1", Tasks: []Task{task("a1", "A1"), task("a2", "A2")}},
			{Key: "g2", Title: "G2", Tasks: []Task{task("a3", "A3"), task("a5", "A5")}},
		}},
		{Key: "beta", Title: "Beta", SignoffRoles: []string{"icb"}, Groups: []Group{
			{Key: "g", Title: "G", Tasks: []Task{task("b1", "B1")}},
		}},
		{Key: "same", Title: "Same", SignoffRoles: []string{"icb"}, Groups: []Group{
			{Key: "g", Title: "G", Tasks: []Task{task("s1", "S1")}},
		}},
	}}
	a2 := task("a2", "A2 renamed")
	a2.Guidance = "New guidance"
	a2.Timing, a2.Due, a2.PatientData = "the day before FDP", "fdp_date - 1d", "warn"
	newer := &Template{Version: "2031-01-01", Stages: []Stage{
		{Key: "gamma", Title: "Gamma", SignoffRoles: []string{"icb"}, Groups: []Group{
			{Key: "g", Title: "G", Tasks: []Task{task("c1", "C1")}},
		}},
		{Key: "alpha", Title: "Alpha stage", SignoffRoles: []string{"project_manager", "icb"}, Groups: []Group{
			{Key: "g1", Title: "G1", Tasks: []Task{task("a1", "A1"), task("a4", "A4"), a2}},
			{Key: "g2", Title: "Second group", Tasks: []Task{task("a5", "A5")}},
		}},
		{Key: "same", Title: "Same", SignoffRoles: []string{"icb"}, Groups: []Group{
			{Key: "g", Title: "G", Tasks: []Task{task("s1", "S1")}},
		}},
	}}

	d := Compare(older, newer, nil)
	type row struct {
		stage    string
		added    bool
		removed  bool
		position int
		fields   []FieldChange
		tasks    []string // kind key group position after
	}
	var got []row
	for _, s := range d.Stages {
		r := row{stage: s.Key, added: s.Added, removed: s.Removed, position: s.Position, fields: s.Fields}
		for _, tk := range s.Tasks {
			r.tasks = append(r.tasks, fmt.Sprintf("%s %s %s %d %s", tk.Kind, tk.Key, tk.Group, tk.Position, tk.After))
		}
		got = append(got, r)
	}
	want := []row{
		{stage: "gamma", added: true, position: 1, tasks: []string{"added c1 G 1 "}},
		{stage: "alpha", position: 2,
			fields: []FieldChange{{"title", "Alpha", "Alpha stage"}, {"signoff_roles", []string{"project_manager"}, []string{"project_manager", "icb"}}},
			tasks:  []string{"added a4 G1 2 a1", "changed a2 G1 3 ", "changed a5 Second group 4 ", "removed a3 G2 3 "}},
		{stage: "beta", removed: true, tasks: []string{"removed b1 G 1 "}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Compare:\n got %+v\nwant %+v", got, want)
	}

	alpha, _ := d.Stage("alpha")
	wantA2 := []FieldChange{
		{"title", "A2", "A2 renamed"},
		{"guidance", "A2 guidance", "New guidance"},
		{"timing", nil, "the day before FDP"},
		{"due_rule", nil, "fdp_date - 1d"},
		{"gdpr_warning", false, true},
	}
	if !reflect.DeepEqual(alpha.Tasks[1].Fields, wantA2) {
		t.Errorf("a2 fields = %+v, want %+v", alpha.Tasks[1].Fields, wantA2)
	}
	if f := alpha.Tasks[2].Fields; !reflect.DeepEqual(f, []FieldChange{{"group", "G2", "Second group"}}) {
		t.Errorf("a5 fields = %+v", f)
	}

	// Narrowed to the stages a migration covers.
	if n := Compare(older, newer, []string{"same", "beta"}); len(n.Stages) != 1 || n.Stages[0].Key != "beta" {
		t.Errorf("narrowed diff = %+v", n.Stages)
	}
	if self := Compare(newer, newer, nil); !self.Empty() {
		t.Errorf("a version differs from itself: %+v", self.Stages)
	}
}

func TestChangesSince(t *testing.T) {
	l, err := NewLibrary(fstest.MapFS{
		"2030-01-01.yaml": {Data: []byte(validDoc)},
		"2031-06-30.yaml": {Data: []byte(strings.Replace(strings.Replace(validDoc, "2030-01-01", "2031-06-30", 1), "Do it.", "Do it now.", 1))},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := l.ChangesSince("2030-01-01")
	if !ok || d.From != "2030-01-01" || d.To != "2031-06-30" || len(d.Stages) != 1 || len(d.Stages[0].Tasks) != 1 {
		t.Fatalf("ChangesSince = %+v, %v", d, ok)
	}
	if again, _ := l.ChangesSince("2030-01-01"); again != d {
		t.Error("the comparison was made twice")
	}
	if cur, _ := l.ChangesSince("2031-06-30"); !cur.Empty() {
		t.Errorf("current vs current: %+v", cur)
	}
	if _, ok := l.ChangesSince("1999-01-01"); ok {
		t.Error("an unknown version compared")
	}
}
