package workflow

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
)

// TaskPatch is a change to a task, as a JSON merge patch.
type TaskPatch struct {
	Title               *string
	Guidance            *string
	OwnerRole           *string
	Status              *cutover.TaskStatus
	NotApplicableReason Field[string]
	Notes               Field[string]
	DueDate             Field[cutover.Date]
	// Reminders replaces the task's reminders when not nil (an empty list clears them), as a merge
	// patch replaces an array; checked by Reminders beforehand.
	Reminders *[]cutover.Reminder
}

// TaskContext is what a task change needs to know beyond the task itself.
type TaskContext struct {
	Dates       map[string]cutover.Date // the migration's key dates
	StageLocked bool                    // the task's stage has a live sign-off
	Who         cutover.Caller
	Now         time.Time
}

// Apply changes t as the patch says, or refuses with the rule it breaks.
func (p TaskPatch) Apply(t *cutover.Task, c TaskContext) error {
	if c.StageLocked {
		return stageLocked(t.Stage)
	}
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.Guidance != nil {
		t.Guidance = *p.Guidance
	}
	if p.OwnerRole != nil {
		t.OwnerRole = *p.OwnerRole
	}
	if p.Notes.Present {
		t.Notes = p.Notes.Value
	}
	if p.NotApplicableReason.Present {
		t.NotApplicableReason = p.NotApplicableReason.Value
	}
	if p.Status != nil {
		setStatus(t, *p.Status, c.Who, c.Now)
	}
	if err := checkNotApplicable(t, p.NotApplicableReason.Present && p.NotApplicableReason.Value != nil); err != nil {
		return err
	}
	if p.DueDate.Present {
		if p.DueDate.Value != nil {
			t.DueDate, t.DueDateSource = p.DueDate.Value, cutover.DueManual
		} else {
			// Clearing a manual date hands the task back to its rule.
			t.DueDate, t.DueDateSource = DueDate(t.DueRule, c.Dates), cutover.DueDerived
		}
	}
	if p.Reminders != nil {
		ReplaceReminders(t, *p.Reminders)
	}
	ScheduleReminders(t)
	return nil
}

// setStatus moves a task to status s, keeping completed_at and completed_by true to it.
func setStatus(t *cutover.Task, s cutover.TaskStatus, who cutover.Caller, now time.Time) {
	if s == t.Status {
		return
	}
	if s == cutover.TaskDone {
		t.CompletedAt, t.CompletedBy = &now, &who.Name
	} else {
		t.CompletedAt, t.CompletedBy = nil, nil
	}
	if t.Status == cutover.TaskNotApplicable && s != cutover.TaskNotApplicable {
		t.NotApplicableReason = nil // the reason belonged to the status it is leaving
	}
	t.Status = s
}

// checkNotApplicable: not_applicable needs a reason, and a reason means not_applicable.
func checkNotApplicable(t *cutover.Task, reasonGiven bool) error {
	switch {
	case t.Status == cutover.TaskNotApplicable && (t.NotApplicableReason == nil || *t.NotApplicableReason == ""):
		return cutover.Invalid("missing-reason", "A reason is required",
			cutover.FieldError{Field: "not_applicable_reason", Message: "is required when status is not_applicable: say why the task does not apply"})
	case reasonGiven && t.Status != cutover.TaskNotApplicable:
		return cutover.Invalid("invalid-reason", "A reason is only for tasks that do not apply",
			cutover.FieldError{Field: "not_applicable_reason", Message: "is only allowed with status not_applicable"})
	}
	return nil
}

func stageLocked(stage string) error {
	return &cutover.ConflictError{Kind: "stage-locked", Title: "The stage is signed off",
		Detail: fmt.Sprintf("Stage %s has a live sign-off, so its tasks are read-only. Revoke the sign-off to change them.", stage)}
}

// NewTask is a custom task as a request describes it.
type NewTask struct {
	Stage               string
	Group               string
	Title               string
	Guidance            string
	OwnerRole           string
	Position            int // 0: after the stage's last task
	Status              cutover.TaskStatus
	NotApplicableReason *string
	Notes               *string
	DueDate             *cutover.Date
	Reminders           []cutover.Reminder // checked by Reminders beforehand
}

// CustomTaskContext is what adding a custom task needs to know.
type CustomTaskContext struct {
	Migration     *cutover.Migration
	StagePosition int // the stage's place in the template; 0 when unknown
	StageLocked   bool
	LastPosition  int // the highest position in the stage so far
	Who           cutover.Caller
	Now           time.Time
}

// Build makes the task, or refuses with the rule it breaks.
func (n NewTask) Build(c CustomTaskContext) (cutover.Task, error) {
	if c.StagePosition == 0 || !slices.Contains(c.Migration.Stages, n.Stage) {
		return cutover.Task{}, cutover.Invalid("unknown-stage", "Unknown stage",
			cutover.FieldError{Field: "stage", Message: fmt.Sprintf("%q is not a stage of this migration", n.Stage)})
	}
	if c.StageLocked {
		return cutover.Task{}, stageLocked(n.Stage)
	}
	t := cutover.Task{
		ID:            cutover.NewID(),
		OrgID:         c.Migration.OrgID,
		MigrationID:   c.Migration.ID,
		Stage:         n.Stage,
		StagePosition: c.StagePosition,
		Group:         n.Group,
		Title:         n.Title,
		Guidance:      n.Guidance,
		Position:      n.Position,
		OwnerRole:     n.OwnerRole,
		Status:        cutover.TaskTodo,
		Notes:         n.Notes,
		DueDateSource: cutover.DueDerived,
		Version:       1,
		CreatedAt:     c.Now,
		UpdatedAt:     c.Now,
	}
	if t.Group == "" {
		t.Group = CustomGroup
	}
	if t.OwnerRole == "" {
		t.OwnerRole = "project_manager"
	}
	if t.Position == 0 {
		t.Position = c.LastPosition + 1
	}
	if n.DueDate != nil {
		t.DueDate, t.DueDateSource = n.DueDate, cutover.DueManual
	}
	t.NotApplicableReason = n.NotApplicableReason
	if n.Status != "" {
		setStatus(&t, n.Status, c.Who, c.Now)
		t.NotApplicableReason = n.NotApplicableReason
	}
	if err := checkNotApplicable(&t, n.NotApplicableReason != nil); err != nil {
		return cutover.Task{}, err
	}
	ReplaceReminders(&t, n.Reminders)
	return t, nil
}

// CheckDeleteTask refuses to delete a template task or a task of a signed-off stage.
func CheckDeleteTask(t *cutover.Task, locked bool) error {
	if t.Key != nil {
		return &cutover.ConflictError{Kind: "template-task", Title: "Template tasks cannot be deleted",
			Detail: "This task comes from the checklist template. Set its status to not_applicable with a reason instead."}
	}
	if locked {
		return stageLocked(t.Stage)
	}
	return nil
}
