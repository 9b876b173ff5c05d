package checklist

import (
	"reflect"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/schedule"
)

const seedStage = "final-data-production-and-cutover"

func TestBuiltinLoads(t *testing.T) {
	l := Builtin()
	if got := l.Versions(); !reflect.DeepEqual(got, []string{"2025-03-27"}) {
		t.Fatalf("Versions() = %v, want [2025-03-27]", got)
	}
	cur := l.Current()
	if cur.Version != "2025-03-27" || cur.Title != "NHS England clinical system migration guide" ||
		cur.SourceURL != "https://digital.nhs.uk/migrationguide" {
		t.Fatalf("Current() = %q %q %q", cur.Version, cur.Title, cur.SourceURL)
	}
	if v, ok := l.Version("2025-03-27"); !ok || v != cur {
		t.Fatalf("Version(2025-03-27) = %p, %v; want the current template", v, ok)
	}
	if _, ok := l.Version("2020-03-25"); ok {
		t.Fatal("Version(2020-03-25) found a template that was never shipped")
	}
	if Builtin() != l {
		t.Fatal("Builtin() parsed the templates twice")
	}
}

func TestBuiltinStages(t *testing.T) {
	// Stage keys and task counts per group are those of migration-guide.md section 9.
	type group struct {
		title string
		tasks int
	}
	want := []struct {
		key    string
		groups []group
	}{
		{"buying-a-new-system-and-preparing-for-migration", []group{{"Procurement tasks", 8}, {"Preparing for migration", 4}}},
		{"kick-off-meeting", []group{{"Meeting priorities", 11}, {"Planning and scheduling", 5}, {"Early preparation topics", 7}}},
		{"pre-migration-tasks", []group{{"Communication tasks", 11}, {"Data preparation tasks", 9}, {"Technical survey tasks", 8}, {"Training tasks", 7}}},
		{"initial-data-production", []group{{"Initial data production tasks", 4}, {"Data checking tasks", 10}}},
		{"planning-for-cutover", []group{{"Cutover planning meeting", 2}, {"Preparation tasks", 9}, {"Cutover activity plans", 17}}},
		{seedStage, []group{{"Final data production tasks", 5}, {"Cutover period tasks", 5}}},
		{"go-live", []group{{"Go-live readiness tasks", 6}, {"Go live tasks", 10}}},
		{"post-go-live", []group{{"Data re-entry tasks", 7}, {"Services and access tasks", 4}, {"Closing the migration", 7}}},
	}
	tmpl := Builtin().Current()
	var keys []string
	for _, s := range want {
		keys = append(keys, s.key)
	}
	if got := tmpl.StageKeys(); !reflect.DeepEqual(got, keys) {
		t.Fatalf("StageKeys() =\n%v\nwant\n%v", got, keys)
	}
	total := 0
	for _, ws := range want {
		t.Run(ws.key, func(t *testing.T) {
			s, ok := tmpl.Stage(ws.key)
			if !ok {
				t.Fatalf("Stage(%q) not found", ws.key)
			}
			var got []group
			for _, g := range s.Groups {
				got = append(got, group{g.Title, len(g.Tasks)})
			}
			if !reflect.DeepEqual(got, ws.groups) {
				t.Errorf("groups = %v, want %v", got, ws.groups)
			}
			n := 0
			for _, g := range ws.groups {
				n += g.tasks
			}
			if len(s.Tasks()) != n {
				t.Errorf("Tasks() has %d tasks, want %d", len(s.Tasks()), n)
			}
			total += len(s.Tasks())
			if s.Summary == "" || len(s.Roles) == 0 || len(s.SignoffRoles) == 0 {
				t.Errorf("stage lacks a summary, roles or sign-off roles: %q %v %v", s.Summary, s.Roles, s.SignoffRoles)
			}
		})
	}
	if total != 156 {
		t.Errorf("%d tasks in all, want 156", total)
	}
	if _, ok := tmpl.Stage("cutover"); ok {
		t.Error(`Stage("cutover") found a stage that does not exist`)
	}
}

func TestSeedStage(t *testing.T) {
	s, _ := Builtin().Current().Stage(seedStage)
	type task struct{ group, key, topic string }
	want := []task{
		{"Final data production tasks", "agree-fdp-date", "agree on final data production date"},
		{"Final data production tasks", "set-up-data-transfer", "data transfer setup"},
		{"Final data production tasks", "recheck-idp-patients", "recheck data for final data production"},
		{"Final data production tasks", "random-sample-reminder", "recheck data for final data production"},
		{"Final data production tasks", "archive-leavers", "recheck data for final data production"},
		{"Cutover period tasks", "run-planned-cutover-activities", "carry out pre planned cutover activities"},
		{"Cutover period tasks", "coordinate-mesh-updates", "co-ordinate message exchange for social care and health (MESH) updates"},
		{"Cutover period tasks", "ensure-staff-availability", "ensure staff availability"},
		{"Cutover period tasks", "brief-cutover-responsibilities", "ensure staff availability"},
		{"Cutover period tasks", "log-cutover-interactions", "manual data entry"},
	}
	var got []task
	warned := map[string]bool{}
	for _, g := range s.Groups {
		for _, tp := range g.Topics {
			warned[tp.Title] = tp.GDPRWarning
		}
		for _, tk := range g.Tasks {
			got = append(got, task{g.Title, tk.Key, tk.Topic})
			// Tasks under a topic the seed prints its GDPR warning on must carry the warning too.
			if warned[tk.Topic] && !tk.GDPRWarning() {
				t.Errorf("task %s is under a GDPR-warned topic but has no warning", tk.Key)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seed tasks =\n%v\nwant\n%v", got, want)
	}
	wantWarned := map[string]bool{
		"agree on final data production date":                                    false,
		"data transfer setup":                                                    false,
		"recheck data for final data production":                                 true,
		"carry out pre planned cutover activities":                               false,
		"co-ordinate message exchange for social care and health (MESH) updates": false,
		"ensure staff availability":                                              false,
		"manual data entry":                                                      true,
	}
	if !reflect.DeepEqual(warned, wantWarned) {
		t.Errorf("topics and their GDPR warnings = %v, want %v", warned, wantWarned)
	}

	tasks := map[string]Task{}
	for _, tk := range s.Tasks() {
		tasks[tk.Key] = tk
	}
	sample := tasks["random-sample-reminder"]
	if sample.Due != "go_live_date" || sample.TimingBasis != "guide" ||
		!reflect.DeepEqual(sample.Reminders, []Reminder{{OffsetDays: 0, Time: "09:00"}}) {
		t.Errorf("random-sample-reminder: due %q (%s), reminders %v; want go_live_date (guide), 09:00 on the day",
			sample.Due, sample.TimingBasis, sample.Reminders)
	}
	if log := tasks["log-cutover-interactions"]; log.Starts != "fdp_date" || log.Due != "go_live_date" {
		t.Errorf("log-cutover-interactions runs %q .. %q, want the cutover period fdp_date .. go_live_date", log.Starts, log.Due)
	}

	wantTables := []Table{
		{"FDP-1", "New supplier", []string{"New supplier name", "Contact details", "Final data production date"}, "new_supplier", "fdp_date"},
		{"FDP-2", "Current supplier", []string{"Current supplier name", "Contact details", "Final data extract date"}, "current_supplier", "final_extract_date"},
	}
	if !reflect.DeepEqual(s.Tables, wantTables) {
		t.Errorf("tables = %+v\nwant %+v", s.Tables, wantTables)
	}
	if f := tasks["agree-fdp-date"].Fills; !reflect.DeepEqual(f, []string{"FDP-1"}) {
		t.Errorf("agree-fdp-date fills %v, want [FDP-1]", f)
	}
	if f := tasks["set-up-data-transfer"].Fills; !reflect.DeepEqual(f, []string{"FDP-2"}) {
		t.Errorf("set-up-data-transfer fills %v, want [FDP-2]", f)
	}
	wantRoles := []string{"project_manager", "practice_manager", "practice_staff", "icb", "delivery_partner",
		"it_lead", "current_supplier", "new_supplier", "third_party_supplier"}
	if !reflect.DeepEqual(s.Roles, wantRoles) {
		t.Errorf("roles = %v, want the seed's %v", s.Roles, wantRoles)
	}
	if !reflect.DeepEqual(s.SignoffRoles, []string{"project_manager", "practice_manager"}) {
		t.Errorf("signoff_roles = %v", s.SignoffRoles)
	}
	if !reflect.DeepEqual(s.KeyDates, []string{"fdp_date", "final_extract_date"}) {
		t.Errorf("key_dates = %v", s.KeyDates)
	}
	if len(s.Notices) != 2 {
		t.Errorf("notices = %q, want the log-off and no-access warnings", s.Notices)
	}
}

// Every rule in the builtin templates must give a date once all key dates are known, and every task must
// name a role, so that migrations created from them can always be planned.
func TestBuiltinRulesDerive(t *testing.T) {
	all := schedule.KeyDates{}
	for _, f := range schedule.KeyDateFields {
		all[f] = time.Date(2027, 3, 12, 0, 0, 0, 0, time.UTC)
	}
	tmpl := Builtin().Current()
	timed := 0
	for _, s := range tmpl.Stages {
		for _, tk := range s.Tasks() {
			for _, rule := range []string{tk.Due, tk.Starts} {
				if rule == "" {
					continue
				}
				r, err := schedule.ParseRule(rule)
				if err != nil {
					t.Errorf("%s/%s: %v", s.Key, tk.Key, err)
					continue
				}
				if _, ok := r.Due(all); !ok {
					t.Errorf("%s/%s: %q gives no date", s.Key, tk.Key, rule)
				}
			}
			if tk.Due != "" {
				timed++
			}
			if tk.Guidance == "" || len(tk.Sources) == 0 {
				t.Errorf("%s/%s has no guidance or no sources", s.Key, tk.Key)
			}
		}
	}
	// 40 tasks of the guide have "rule: none" (section 8); the other 116 have a rule or a window.
	if timed != 116 {
		t.Errorf("%d tasks have a due rule, want 116", timed)
	}
}

func TestGDPRWarning(t *testing.T) {
	for _, tc := range []struct {
		patientData string
		want        bool
	}{
		{"no", false},
		{"warn", true},
		{"yes", true},
		{"", false},
	} {
		tk := Task{PatientData: tc.patientData}
		if got := tk.GDPRWarning(); got != tc.want {
			t.Errorf("patient_data %q: GDPRWarning() = %v, want %v", tc.patientData, got, tc.want)
		}
	}
}

func TestRoles(t *testing.T) {
	wantKeys := []string{"project_manager", "practice_manager", "practice_staff", "lead_gp", "clinical_staff",
		"icb", "delivery_partner", "it_lead", "trainer", "nhse_information_governance", "current_supplier",
		"new_supplier", "third_party_supplier", "pathology_lab", "linked_service", "pcse"}
	roles := Roles()
	var keys []string
	for _, r := range roles {
		keys = append(keys, r.Key)
		if r.Name == "" {
			t.Errorf("role %s has no name", r.Key)
		}
		if !IsRole(r.Key) {
			t.Errorf("IsRole(%q) = false", r.Key)
		}
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("role keys = %v\nwant %v", keys, wantKeys)
	}
	for _, k := range []string{"", "gp", "Project_manager", "third_party", "other"} {
		if IsRole(k) {
			t.Errorf("IsRole(%q) = true", k)
		}
	}
	roles[0].Key = "changed"
	if Roles()[0].Key != "project_manager" {
		t.Error("changing the result of Roles() changed the roles")
	}
}
