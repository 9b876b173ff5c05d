package workflow

import (
	"slices"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

func tt(key, title string) checklist.Task {
	return checklist.Task{Key: key, Title: title, Guidance: title + ".", OwnerRole: "project_manager", PatientData: "no"}
}

func stage(key string, tasks ...checklist.Task) checklist.Stage {
	return checklist.Stage{Key: key, Title: key, SignoffRoles: []string{"project_manager"},
		Groups: []checklist.Group{{Key: "g", Title: "G", Tasks: tasks}}}
}

var (
	now   = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	older = &checklist.Template{Version: "2030-01-01", Stages: []checklist.Stage{
		stage("one", tt("a", "A"), tt("b", "B")),
		stage("two", tt("c", "C"), tt("d", "D")),
		stage("gone", tt("e", "E"), tt("f", "F")),
	}}
	// newer moves stage two before one, adds a task in front of stage one and a new stage, drops
	// stage gone and changes b's owner and c's title.
	newer = func() *checklist.Template {
		b := tt("b", "B")
		b.OwnerRole = "icb"
		c := tt("c", "C2")
		return &checklist.Template{Version: "2031-01-01", Stages: []checklist.Stage{
			stage("two", c, tt("d", "D")),
			stage("one", tt("z", "Z"), tt("a", "A"), b),
			stage("fresh", tt("n", "N")),
		}}
	}()
)

func migrationOn(tpl *checklist.Template, stages []string) (cutover.Migration, []cutover.Task) {
	m, tasks, err := NewMigration(tpl, MigrationInput{ODSCode: "A81001", Stages: stages,
		Dates: map[string]cutover.Date{"fdp_date": time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC)}}, cutover.Caller{}, now)
	if err != nil {
		panic(err)
	}
	return m, tasks
}

func find(tasks []cutover.Task, key string) *cutover.Task {
	for i := range tasks {
		if tasks[i].Key != nil && *tasks[i].Key == key {
			return &tasks[i]
		}
	}
	return nil
}

func TestPlanUpgrade(t *testing.T) {
	m, tasks := migrationOn(older, nil)
	find(tasks, "b").OwnerRole = "it_lead" // edited by hand
	find(tasks, "f").Status = cutover.TaskDone
	live := []cutover.Signoff{{Stage: "two", Role: "project_manager"}}

	u := PlanUpgrade(UpgradeContext{From: older, To: newer, Migration: m, Tasks: tasks, Live: live, Now: now})
	if !slices.Equal(u.Migration.Stages, []string{"two", "one", "fresh"}) || u.Migration.TemplateVersion != "2031-01-01" {
		t.Fatalf("migration once upgraded: %v %s", u.Migration.Stages, u.Migration.TemplateVersion)
	}
	if want := map[string]int{"two": 1, "one": 2}; len(u.StagePositions) != 2 || u.StagePositions["two"] != 1 || u.StagePositions["one"] != 2 {
		t.Errorf("stage positions %v, want %v", u.StagePositions, want)
	}
	type got struct {
		kind   ChangeKind
		stage  string
		key    string
		action UpgradeAction
	}
	var changes []got
	for _, c := range u.Changes {
		changes = append(changes, got{c.Kind, c.Stage, c.Key, c.Action})
	}
	want := []got{
		{ChangeTaskChanged, "two", "c", ActionUpdate},
		{ChangeTaskAdded, "one", "z", ActionCreate},
		{ChangeTaskChanged, "one", "b", ActionNone}, // kept: edited by hand
		{ChangeStageAdded, "fresh", "", ActionCreate},
		{ChangeTaskAdded, "fresh", "n", ActionCreate},
		{ChangeStageRemoved, "gone", "", ActionUpdate},
		{ChangeTaskRemoved, "gone", "e", ActionNotApplicable},
		{ChangeTaskRemoved, "gone", "f", ActionNone}, // done: stays done
	}
	if !slices.Equal(changes, want) {
		t.Fatalf("changes\n got %v\nwant %v", changes, want)
	}
	if b := u.Changes[2]; b.Fields[0].Outcome != OutcomeKeptEdited || b.Fields[0].Current != "it_lead" {
		t.Errorf("hand-edited owner: %+v", b.Fields)
	}
	// z comes first in its stage: it goes in front of a, which had position 1.
	if z := u.Changes[1]; z.Position != 0 || z.After != "" {
		t.Errorf("task in front: position %d after %q", z.Position, z.After)
	}
	if n := u.Create[1]; n.Stage != "fresh" || n.Position != 1 || n.StagePosition != 3 {
		t.Errorf("new stage's task: %+v", n)
	}
	if !slices.Equal(u.Locked, []string{"two"}) || !slices.Equal(u.Blocked, []string{"two"}) || u.Err() == nil {
		t.Errorf("locked %v blocked %v", u.Locked, u.Blocked)
	}
	for _, up := range u.Update {
		if up.After.Stage == "two" && up.After.StagePosition != 1 {
			t.Errorf("an updated task keeps its old stage position: %+v", up.After)
		}
	}

	accepted := PlanUpgrade(UpgradeContext{From: older, To: newer, Migration: m, Tasks: tasks, Live: live, Accept: []string{"two"}, Now: now})
	if accepted.Err() != nil || !slices.Equal(accepted.Accepted, []string{"two"}) {
		t.Errorf("accepted: %v, %v", accepted.Err(), accepted.Accepted)
	}

	// A migration that chose its stages keeps its choice.
	chosen, ctasks := migrationOn(older, []string{"one"})
	cu := PlanUpgrade(UpgradeContext{From: older, To: newer, Migration: chosen, Tasks: ctasks, Now: now})
	if !slices.Equal(cu.Migration.Stages, []string{"one"}) || len(cu.Create) != 1 {
		t.Errorf("chosen stages: %v, %d created", cu.Migration.Stages, len(cu.Create))
	}

	d := checklist.Compare(older, newer, nil)
	if !TemplateOutdated(&d, older, &m) || !TemplateOutdated(&d, older, &chosen) {
		t.Error("not outdated")
	}
	same := checklist.Compare(older, older, nil)
	if TemplateOutdated(&same, older, &m) {
		t.Error("outdated against itself")
	}
	if up := PlanUpgrade(UpgradeContext{From: newer, To: newer, Migration: m, Tasks: tasks, Now: now}); up.Writes() || len(up.Changes) > 0 {
		t.Error("an upgrade to the same version writes")
	}
}

func TestWithLocalTasks(t *testing.T) {
	m, tasks := migrationOn(older, []string{"one", "two"})
	pos := 7
	adds := []cutover.TemplateAddition{
		{Stage: "one", Group: "G", Title: "after a", AfterKey: ptr("a"), DueRule: ptr("fdp_date - 2d")},
		{Stage: "one", Group: "Ours", Title: "own group"},
		{Stage: "two", Group: "G", Title: "end of group"},
		{Stage: "two", Group: "G", Title: "by number", Position: &pos},
		{Stage: "gone", Group: "G", Title: "stage not covered"},
		{Stage: "nowhere", Group: "G", Title: "stage not in the template"},
	}
	out := WithLocalTasks(older, &m, tasks, adds, now)
	local := out[len(tasks):]
	type got struct {
		stage, title string
		position     int
	}
	var gs []got
	for _, l := range local {
		if !l.Local || l.Key != nil || l.Status != cutover.TaskTodo {
			t.Errorf("not a local task: %+v", l)
		}
		gs = append(gs, got{l.Stage, l.Title, l.Position})
	}
	want := []got{{"one", "after a", 1}, {"one", "own group", 3}, {"two", "end of group", 2}, {"two", "by number", 7}}
	if !slices.Equal(gs, want) {
		t.Fatalf("local tasks\n got %v\nwant %v", gs, want)
	}
	if d := local[0].DueDate; d == nil || cutover.FormatDate(*d) != "2027-03-08" {
		t.Errorf("derived due date %v", d)
	}
}
