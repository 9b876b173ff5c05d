package workflow

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
	"github.com/google/uuid"
)

// NewAddition is a template addition as a request describes it.
type NewAddition struct {
	Stage     string
	Group     string // CustomGroup when empty
	Title     string
	Guidance  string
	OwnerRole string // project_manager when empty
	Timing    *string
	DueRule   *string
	AfterKey  *string
	Position  *int
}

// Build makes the addition, or refuses it with the rule it breaks. It is checked against the
// current template, the one new migrations are created from.
func (n NewAddition) Build(tpl *checklist.Template, org uuid.UUID, now time.Time) (cutover.TemplateAddition, error) {
	a := cutover.TemplateAddition{
		ID: cutover.NewID(), OrgID: org, Stage: n.Stage, Group: n.Group, Title: n.Title, Guidance: n.Guidance,
		OwnerRole: n.OwnerRole, Timing: n.Timing, DueRule: n.DueRule, AfterKey: n.AfterKey, Position: n.Position,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if a.Group == "" {
		a.Group = CustomGroup
	}
	if a.OwnerRole == "" {
		a.OwnerRole = "project_manager"
	}
	return a, CheckAddition(&a, tpl)
}

// AdditionPatch is a change to a template addition, as a JSON merge patch.
type AdditionPatch struct {
	Stage     *string
	Group     *string
	Title     *string
	Guidance  *string
	OwnerRole *string
	Timing    Field[string]
	DueRule   Field[string]
	AfterKey  Field[string]
	Position  Field[int]
}

// Apply changes a as the patch says, or refuses with the rule it breaks.
func (p AdditionPatch) Apply(a *cutover.TemplateAddition, tpl *checklist.Template) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.Stage, p.Stage)
	set(&a.Group, p.Group)
	set(&a.Title, p.Title)
	set(&a.Guidance, p.Guidance)
	set(&a.OwnerRole, p.OwnerRole)
	if p.Timing.Present {
		a.Timing = p.Timing.Value
	}
	if p.DueRule.Present {
		a.DueRule = p.DueRule.Value
	}
	if p.AfterKey.Present {
		a.AfterKey = p.AfterKey.Value
		if a.AfterKey != nil && !p.Position.Present {
			a.Position = nil // one way of placing it replaces the other
		}
	}
	if p.Position.Present {
		a.Position = p.Position.Value
		if a.Position != nil && !p.AfterKey.Present {
			a.AfterKey = nil
		}
	}
	return CheckAddition(a, tpl)
}

// CheckAddition refuses an addition that names a stage or task the template does not have, a due
// rule that does not parse, or two places at once. A valid rule is kept in its canonical form.
func CheckAddition(a *cutover.TemplateAddition, tpl *checklist.Template) error {
	var bad []cutover.FieldError
	st, ok := tpl.Stage(a.Stage)
	if !ok {
		bad = append(bad, cutover.FieldError{Field: "stage",
			Message: fmt.Sprintf("%q is not a stage of checklist template %s; see GET /v1/templates", a.Stage, tpl.Version)})
	}
	if a.DueRule != nil {
		r, err := schedule.ParseRule(*a.DueRule)
		if err != nil {
			bad = append(bad, cutover.FieldError{Field: "due_rule",
				Message: "is not a due date rule: write a key date, optionally with + or - a number of days, such as fdp_date - 7d"})
		} else {
			a.DueRule = ptr(r.String())
		}
	}
	if a.AfterKey != nil && a.Position != nil {
		bad = append(bad, cutover.FieldError{Field: "position", Message: "cannot be given with after_key: place the task one way"})
	}
	if a.AfterKey != nil && ok && !slices.ContainsFunc(st.Tasks(), func(t checklist.Task) bool { return t.Key == *a.AfterKey }) {
		bad = append(bad, cutover.FieldError{Field: "after_key",
			Message: fmt.Sprintf("%q is not a task of stage %s in checklist template %s", *a.AfterKey, a.Stage, tpl.Version)})
	}
	if bad != nil {
		return cutover.Invalid("invalid-addition", "The template addition is not valid", bad...)
	}
	return nil
}

// WithLocalTasks adds an organisation's template additions to the checklist of a new migration, as
// local tasks of the stages the migration covers. An addition goes after the template task it
// names (sorting after it, being created later), at the position it gives, or else after the last
// task of its group, or of its stage when the group is its own. An addition whose stage the
// template no longer has is left out; one whose after_key is gone goes to the end of its group.
// additions must be in creation order, so that two placed at the same spot keep it.
func WithLocalTasks(tpl *checklist.Template, m *cutover.Migration, tasks []cutover.Task, additions []cutover.TemplateAddition, now time.Time) []cutover.Task {
	for _, a := range additions {
		stagePos := StagePosition(tpl, a.Stage)
		if stagePos == 0 || !slices.Contains(m.Stages, a.Stage) {
			continue
		}
		t := cutover.Task{
			ID:            cutover.NewID(),
			OrgID:         m.OrgID,
			MigrationID:   m.ID,
			Stage:         a.Stage,
			StagePosition: stagePos,
			Group:         a.Group,
			Title:         a.Title,
			Guidance:      a.Guidance,
			Position:      localPosition(tasks, &a),
			OwnerRole:     a.OwnerRole,
			Status:        cutover.TaskTodo,
			Timing:        a.Timing,
			DueRule:       a.DueRule,
			DueDateSource: cutover.DueDerived,
			Local:         true,
			Version:       1,
			CreatedAt:     now,
			UpdatedAt:     now,
		}
		t.DueDate = DueDate(t.DueRule, m.Dates)
		tasks = append(tasks, t)
	}
	return tasks
}

func localPosition(tasks []cutover.Task, a *cutover.TemplateAddition) int {
	if a.Position != nil {
		return *a.Position
	}
	if a.AfterKey != nil {
		for _, t := range tasks {
			if t.Stage == a.Stage && t.Key != nil && *t.Key == *a.AfterKey {
				return t.Position
			}
		}
	}
	last, lastInGroup, inGroup := 0, 0, false
	for _, t := range tasks {
		if t.Stage != a.Stage {
			continue
		}
		last = max(last, t.Position)
		if t.Group == a.Group {
			lastInGroup, inGroup = max(lastInGroup, t.Position), true
		}
	}
	if inGroup {
		return lastInGroup
	}
	return last + 1
}
