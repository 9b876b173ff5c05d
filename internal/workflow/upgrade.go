package workflow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// A template upgrade moves a migration from the template version it follows to a newer one. It
// works from the comparison of the two versions and from the migration's own tasks, so that what
// people did is kept:
//
//   - A field a person can edit (title, guidance, owner role) is updated only while the task still
//     has the older version's value; a task edited by hand keeps its edit ("kept_edited").
//   - Timing, due rule, group and the GDPR warning cannot be edited by hand and always follow the
//     template; a due date set by hand stays ("kept_manual"), a derived one is derived again.
//   - Nothing is ever deleted: a removed task that is still todo or in progress becomes
//     not_applicable with a reason naming the version; a done or not_applicable task stays as it is,
//     because its record is the history of what happened.
//   - New tasks are added after the template task they follow in the newer version.
//   - A stage the newer version adds is added when the migration covers every stage of the version
//     it follows; a migration created with chosen stages keeps its choice.

// ChangeKind is what a listed change is about.
type ChangeKind string

// The kinds of change.
const (
	ChangeTaskAdded    ChangeKind = "task_added"
	ChangeTaskRemoved  ChangeKind = "task_removed"
	ChangeTaskChanged  ChangeKind = "task_changed"
	ChangeStageAdded   ChangeKind = "stage_added"
	ChangeStageRemoved ChangeKind = "stage_removed"
	ChangeStageChanged ChangeKind = "stage_changed"
)

// UpgradeAction is what the upgrade does to the migration for one change.
type UpgradeAction string

// The upgrade actions.
const (
	ActionCreate        UpgradeAction = "create"         // a task (or a stage and its tasks) is added
	ActionUpdate        UpgradeAction = "update"         // the task or stage takes the newer version's values
	ActionNotApplicable UpgradeAction = "not_applicable" // a removed task is set not_applicable
	ActionNone          UpgradeAction = "none"           // nothing is written; Note says why
)

// FieldOutcome is what the upgrade does with one changed field of a task.
type FieldOutcome string

// The field outcomes.
const (
	OutcomeApply          FieldOutcome = "apply"           // the task takes the newer value
	OutcomeKeptEdited     FieldOutcome = "kept_edited"     // edited by hand: the task keeps its value
	OutcomeKeptManual     FieldOutcome = "kept_manual"     // a due date set by hand stays
	OutcomeAlreadyCurrent FieldOutcome = "already_current" // the task already has the newer value
)

// UpgradeField is one changed field: the older and newer template values, the migration's value
// now, and what the upgrade does with it.
type UpgradeField struct {
	Field             string
	From, To, Current any
	Outcome           FieldOutcome
}

// UpgradeChange is one change of the newer template as it lands in one migration.
type UpgradeChange struct {
	Kind     ChangeKind
	Stage    string
	Group    string // "" for a stage-level change
	Key      string // the template task key; "" for a stage-level change
	Title    string // the task's or stage's title (the migration's own for a task it has)
	Position int    // the task's position in the migration once upgraded; 0 for a stage-level change
	After    string // for an added task, the template task it follows; "" when it comes first
	TaskID   *uuid.UUID
	Action   UpgradeAction
	Note     string
	// StageLocked: the change lands in a stage with a live sign-off.
	StageLocked bool
	DueDate     *cutover.Date // an added task's derived due date
	Fields      []UpgradeField
}

// TaskUpdate is a task before and after the upgrade.
type TaskUpdate struct {
	Before, After cutover.Task
}

// Upgrade is a migration's upgrade plan: what changes, and the writes that make it happen.
type Upgrade struct {
	From, To string
	Changes  []UpgradeChange
	// Locked lists the stages with a live sign-off that the upgrade would write to, in the guide's
	// order; Accepted those of them the request accepted, Blocked the others.
	Locked, Accepted, Blocked []string
	Before, Migration         cutover.Migration // the migration now and once upgraded
	Create                    []cutover.Task
	Update                    []TaskUpdate
	// StagePositions gives stages whose place in the guide moved their new position.
	StagePositions map[string]int
}

// UpgradeContext is what planning an upgrade needs.
type UpgradeContext struct {
	From, To  *checklist.Template
	Migration cutover.Migration
	Tasks     []cutover.Task // every task of the migration
	Live      []cutover.Signoff
	Accept    []string // stages the request accepts changing despite a live sign-off
	Now       time.Time
	// Diff is the comparison of From with To when the caller has it already (the library caches
	// it); nil compares them here.
	Diff *checklist.Diff
}

// Writes reports whether the upgrade changes anything.
func (u *Upgrade) Writes() bool {
	return len(u.Create) > 0 || len(u.Update) > 0 || len(u.StagePositions) > 0 ||
		len(cutover.Diff(u.Before.Fields(), u.Migration.Fields())) > 0
}

// Err is the upgrade's refusal: 409 when it would change a signed-off stage the request did not
// accept, naming those stages.
func (u *Upgrade) Err() error {
	if len(u.Blocked) == 0 {
		return nil
	}
	return &cutover.ConflictError{Kind: "stage-signed-off", Title: "The upgrade changes signed-off stages",
		Detail: fmt.Sprintf("The template upgrade would change stages with a live sign-off: %s. Revoke those sign-offs first, "+
			"or name the stages in accept_signed_off_stages to change them anyway.", strings.Join(u.Blocked, ", ")),
		Missing: slices.Clone(u.Blocked)}
}

// CheckAccept refuses accepted stage names that are not stages of the migration or of the newer
// template: a typo there would silently accept nothing.
func CheckAccept(m *cutover.Migration, to *checklist.Template, accept []string) error {
	var bad []cutover.FieldError
	for i, k := range accept {
		if _, ok := to.Stage(k); !ok && !slices.Contains(m.Stages, k) {
			bad = append(bad, cutover.FieldError{Field: fmt.Sprintf("accept_signed_off_stages[%d]", i),
				Message: fmt.Sprintf("%q is not a stage of this migration", k)})
		}
	}
	if bad != nil {
		return cutover.Invalid("unknown-stage", "Unknown stage", bad...)
	}
	return nil
}

// RemovedReason is the not_applicable reason of a task the template no longer has.
func RemovedReason(version string) string {
	return "Removed from the checklist template in version " + version + "."
}

// CoversAll reports whether the migration covers every stage of template tpl: then stages a newer
// version adds are its too.
func CoversAll(m *cutover.Migration, tpl *checklist.Template) bool {
	for _, k := range tpl.StageKeys() {
		if !slices.Contains(m.Stages, k) {
			return false
		}
	}
	return true
}

// TemplateOutdated reports whether the newer template changes anything in the stages the migration
// covers, from the comparison of its version with the newer one alone: no tasks are read, so it
// is cheap enough for every migration of a list. Whether a change will in fact rewrite a task
// (or is kept because someone edited it) is for the full plan to say.
func TemplateOutdated(d *checklist.Diff, from *checklist.Template, m *cutover.Migration) bool {
	all := CoversAll(m, from)
	for i := range d.Stages {
		sd := &d.Stages[i]
		if slices.Contains(m.Stages, sd.Key) || (sd.Added && all) {
			return true
		}
	}
	return false
}

// PlanUpgrade works out what upgrading the migration from c.From to c.To changes, task by task.
// It writes nothing; the store applies the plan in one transaction.
func PlanUpgrade(c UpgradeContext) Upgrade {
	m := c.Migration
	u := Upgrade{From: c.From.Version, To: c.To.Version, Before: m, StagePositions: map[string]int{}}
	if c.From.Version == c.To.Version {
		u.Migration = m
		return u
	}
	p := planner{c: c, u: &u, byKey: map[string]*cutover.Task{}, stageTasks: map[string][]*cutover.Task{}}
	for i := range c.Tasks {
		t := &c.Tasks[i]
		p.stageTasks[t.Stage] = append(p.stageTasks[t.Stage], t)
		if t.Key != nil {
			if _, dup := p.byKey[t.Stage+"/"+*t.Key]; !dup {
				p.byKey[t.Stage+"/"+*t.Key] = t
			}
		}
	}
	all := CoversAll(&m, c.From)
	d := c.Diff
	if d == nil {
		cmp := checklist.Compare(c.From, c.To, nil)
		d = &cmp
	}

	// The migration's stages once upgraded, in the newer version's order.
	var stages []string
	for _, k := range c.To.StageKeys() {
		sd, changed := d.Stage(k)
		if slices.Contains(m.Stages, k) || (changed && sd.Added && all) {
			stages = append(stages, k)
		}
	}
	u.Migration = m
	u.Migration.Stages = stages
	u.Migration.TemplateVersion = c.To.Version

	for _, k := range stages {
		pos := StagePosition(c.To, k)
		for _, t := range p.stageTasks[k] {
			if t.StagePosition != pos {
				u.StagePositions[k] = pos
				break
			}
		}
	}
	for i := range d.Stages {
		sd := &d.Stages[i]
		switch {
		case sd.Added && slices.Contains(stages, sd.Key):
			p.addStage(sd)
		case !slices.Contains(m.Stages, sd.Key):
			// Not a stage of this migration: it chose its stages.
		case sd.Removed:
			p.removeStage(sd)
		default:
			p.changeStage(sd)
		}
	}
	// Removed stages come after the newer version's, in the order the migration had them.
	order := c.To.StageKeys()
	for _, k := range m.Stages {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	for _, k := range order {
		if slices.ContainsFunc(u.Changes, func(ch UpgradeChange) bool { return ch.Stage == k && ch.StageLocked && writesWork(&ch) }) {
			u.Locked = append(u.Locked, k)
		}
	}
	for _, k := range u.Locked {
		if slices.Contains(c.Accept, k) {
			u.Accepted = append(u.Accepted, k)
		} else {
			u.Blocked = append(u.Blocked, k)
		}
	}
	return u
}

// writesWork reports whether a change alters the work or the sign-off rule of its stage. A new
// stage title is presentation only: it does not need a signed-off stage reopened.
func writesWork(ch *UpgradeChange) bool {
	if ch.Action == ActionNone {
		return false
	}
	if ch.Kind == ChangeStageChanged {
		return slices.ContainsFunc(ch.Fields, func(f UpgradeField) bool { return f.Field == checklist.FieldSignoffRoles })
	}
	return true
}

type planner struct {
	c          UpgradeContext
	u          *Upgrade
	byKey      map[string]*cutover.Task   // the migration's template tasks by stage/key
	stageTasks map[string][]*cutover.Task // every task by stage, including the ones planned
}

func (p *planner) locked(stage string) bool {
	return slices.ContainsFunc(p.c.Live, func(so cutover.Signoff) bool { return so.Stage == stage && so.Live() })
}

func (p *planner) stagePosition(stage string) int {
	if pos, ok := p.u.StagePositions[stage]; ok {
		return pos
	}
	return StagePosition(p.c.To, stage)
}

func (p *planner) addStage(sd *checklist.StageDiff) {
	p.u.Changes = append(p.u.Changes, UpgradeChange{Kind: ChangeStageAdded, Stage: sd.Key, Title: sd.Title,
		Action: ActionCreate, StageLocked: p.locked(sd.Key),
		Note: "The newer template adds this stage; the migration covers every stage, so it gets this one with its tasks."})
	for i := range sd.Tasks {
		// A new stage's tasks are numbered as a new migration's would be.
		p.addTask(sd, &sd.Tasks[i], sd.Tasks[i].Position)
	}
}

func (p *planner) removeStage(sd *checklist.StageDiff) {
	p.u.Changes = append(p.u.Changes, UpgradeChange{Kind: ChangeStageRemoved, Stage: sd.Key, Title: sd.Title,
		Action: ActionUpdate, StageLocked: p.locked(sd.Key),
		Note: "The newer template no longer has this stage: it leaves the migration's stages; its tasks stay, open ones become not_applicable."})
	for i := range sd.Tasks {
		p.removeTask(sd, &sd.Tasks[i])
	}
}

func (p *planner) changeStage(sd *checklist.StageDiff) {
	if len(sd.Fields) > 0 {
		ch := UpgradeChange{Kind: ChangeStageChanged, Stage: sd.Key, Title: sd.Title, Action: ActionUpdate,
			StageLocked: p.locked(sd.Key)}
		for _, f := range sd.Fields {
			ch.Fields = append(ch.Fields, UpgradeField{Field: f.Field, From: f.From, To: f.To, Current: f.From, Outcome: OutcomeApply})
		}
		p.u.Changes = append(p.u.Changes, ch)
	}
	for i := range sd.Tasks {
		td := &sd.Tasks[i]
		switch td.Kind {
		case checklist.TaskAdded:
			p.addTask(sd, td, 0)
		case checklist.TaskRemoved:
			p.removeTask(sd, td)
		case checklist.TaskChanged:
			p.changeTask(sd, td)
		}
	}
}

// addTask plans a new task. position 0 places it after the template task it follows.
func (p *planner) addTask(sd *checklist.StageDiff, td *checklist.TaskDiff, position int) {
	ch := UpgradeChange{Kind: ChangeTaskAdded, Stage: sd.Key, Group: td.Group, Key: td.Key, Title: td.New.Title,
		After: td.After, StageLocked: p.locked(sd.Key)}
	if existing, ok := p.byKey[sd.Key+"/"+td.Key]; ok {
		// A key that was removed once and comes back: the migration still has its task.
		ch.Action, ch.TaskID, ch.Title, ch.Position = ActionNone, &existing.ID, existing.Title, existing.Position
		ch.Note = "The checklist already has a task with this key; it is kept as it is."
		p.u.Changes = append(p.u.Changes, ch)
		return
	}
	if position == 0 {
		position = p.placeAfter(sd.Key, td.Key)
	}
	m := &p.u.Migration
	t := cutover.Task{
		ID:            cutover.NewID(),
		OrgID:         m.OrgID,
		MigrationID:   m.ID,
		Stage:         sd.Key,
		StagePosition: p.stagePosition(sd.Key),
		Group:         td.Group,
		Key:           ptr(td.Key),
		Title:         td.New.Title,
		Guidance:      td.New.Guidance,
		Position:      position,
		OwnerRole:     td.New.OwnerRole,
		Status:        cutover.TaskTodo,
		Timing:        nonEmpty(td.New.Timing),
		DueRule:       nonEmpty(td.New.Due),
		DueDateSource: cutover.DueDerived,
		GDPRWarning:   td.New.GDPRWarning(),
		Reminders:     templateReminders(td.New),
		Version:       1,
		CreatedAt:     p.c.Now,
		UpdatedAt:     p.c.Now,
	}
	t.DueDate = DueDate(t.DueRule, m.Dates)
	ScheduleReminders(&t)
	p.u.Create = append(p.u.Create, t)
	created := t // later additions may be placed after it
	p.byKey[sd.Key+"/"+td.Key] = &created
	p.stageTasks[sd.Key] = append(p.stageTasks[sd.Key], &created)
	ch.Action, ch.TaskID, ch.Position, ch.DueDate = ActionCreate, &t.ID, t.Position, t.DueDate
	p.u.Changes = append(p.u.Changes, ch)
}

// placeAfter is the position of a task added after the nearest task before it (in the newer
// version's order) that the migration has. It takes that task's position and, being created
// later, sorts after it: no other task moves, so nothing else is rewritten. A task with nothing
// before it goes in front of the stage.
func (p *planner) placeAfter(stage, key string) int {
	st, _ := p.c.To.Stage(stage)
	order := st.Tasks()
	i := slices.IndexFunc(order, func(t checklist.Task) bool { return t.Key == key })
	for j := i - 1; j >= 0; j-- {
		if t, ok := p.byKey[stage+"/"+order[j].Key]; ok {
			return t.Position
		}
	}
	first := 1
	for k, t := range p.stageTasks[stage] {
		if k == 0 || t.Position < first {
			first = t.Position
		}
	}
	return first - 1
}

func (p *planner) removeTask(sd *checklist.StageDiff, td *checklist.TaskDiff) {
	t, ok := p.byKey[sd.Key+"/"+td.Key]
	if !ok {
		return // the migration never had it
	}
	ch := UpgradeChange{Kind: ChangeTaskRemoved, Stage: sd.Key, Group: t.Group, Key: td.Key, Title: t.Title,
		Position: t.Position, TaskID: &t.ID, StageLocked: p.locked(sd.Key)}
	if !t.Status.Open() {
		ch.Action = ActionNone
		ch.Note = fmt.Sprintf("The task is %s: it stays as it is, as the record of what was done.", t.Status)
		p.u.Changes = append(p.u.Changes, ch)
		return
	}
	after := *t
	setStatus(&after, cutover.TaskNotApplicable, cutover.Caller{}, p.c.Now)
	after.NotApplicableReason = ptr(RemovedReason(p.c.To.Version))
	after.StagePosition = p.stagePosition(sd.Key)
	if _, still := p.c.To.Stage(sd.Key); !still {
		after.StagePosition = t.StagePosition
	}
	ch.Action = ActionNotApplicable
	ch.Note = "The task becomes not_applicable with the reason \"" + *after.NotApplicableReason + "\"; it is never deleted."
	ch.Fields = []UpgradeField{
		{Field: "status", From: string(t.Status), To: string(after.Status), Current: string(t.Status), Outcome: OutcomeApply},
	}
	p.u.Update = append(p.u.Update, TaskUpdate{Before: *t, After: after})
	p.u.Changes = append(p.u.Changes, ch)
}

func (p *planner) changeTask(sd *checklist.StageDiff, td *checklist.TaskDiff) {
	t, ok := p.byKey[sd.Key+"/"+td.Key]
	if !ok {
		return
	}
	after := *t
	ch := UpgradeChange{Kind: ChangeTaskChanged, Stage: sd.Key, Group: t.Group, Key: td.Key, Title: t.Title,
		Position: t.Position, TaskID: &t.ID, StageLocked: p.locked(sd.Key)}
	current := taskTemplateFields(t)
	edited := false
	for _, f := range td.Fields {
		uf := UpgradeField{Field: f.Field, From: f.From, To: f.To, Current: current[f.Field]}
		switch {
		case uf.Current == f.To:
			uf.Outcome = OutcomeAlreadyCurrent
		case handEditable(f.Field) && uf.Current != f.From:
			uf.Outcome, edited = OutcomeKeptEdited, true
		default:
			uf.Outcome = OutcomeApply
			setTemplateField(&after, f.Field, f.To)
		}
		ch.Fields = append(ch.Fields, uf)
		if f.Field == checklist.FieldDueRule && uf.Outcome == OutcomeApply {
			due := DueDate(after.DueRule, p.u.Migration.Dates)
			df := UpgradeField{Field: "due_date", From: dateValue(t.DueDate), To: dateValue(due), Current: dateValue(t.DueDate)}
			switch {
			case t.DueDateSource == cutover.DueManual:
				df.Outcome = OutcomeKeptManual
			case sameDate(due, t.DueDate):
				df.Outcome = OutcomeAlreadyCurrent
			default:
				df.Outcome = OutcomeApply
				after.DueDate = due
				ScheduleReminders(&after)
			}
			ch.Fields = append(ch.Fields, df)
		}
	}
	after.StagePosition = p.stagePosition(sd.Key)
	if len(cutover.Diff(t.Fields(), after.Fields())) == 0 {
		ch.Action = ActionNone
		ch.Note = "Nothing to change: the task already has the newer values."
		if edited {
			ch.Note = "Kept: the task was edited by hand where the template changed."
		}
	} else {
		ch.Action = ActionUpdate
		if edited {
			ch.Note = "Updated, except the fields edited by hand, which are kept."
		}
		p.u.Update = append(p.u.Update, TaskUpdate{Before: *t, After: after})
	}
	p.u.Changes = append(p.u.Changes, ch)
}

// handEditable: the fields a task PATCH can change. A task whose value differs from the version it
// follows was edited by hand, and the edit wins over the template.
func handEditable(field string) bool {
	return field == checklist.FieldTitle || field == checklist.FieldGuidance || field == checklist.FieldOwnerRole
}

// taskTemplateFields is a task's values of the fields templates define, as checklist.TaskFields
// gives a template task's.
func taskTemplateFields(t *cutover.Task) map[string]any {
	opt := func(s *string) any {
		if s == nil || *s == "" {
			return nil
		}
		return *s
	}
	return map[string]any{
		checklist.FieldTitle:       t.Title,
		checklist.FieldGuidance:    t.Guidance,
		checklist.FieldOwnerRole:   t.OwnerRole,
		checklist.FieldTiming:      opt(t.Timing),
		checklist.FieldDueRule:     opt(t.DueRule),
		checklist.FieldGroup:       t.Group,
		checklist.FieldGDPRWarning: t.GDPRWarning,
	}
}

func setTemplateField(t *cutover.Task, field string, v any) {
	str, _ := v.(string)
	switch field {
	case checklist.FieldTitle:
		t.Title = str
	case checklist.FieldGuidance:
		t.Guidance = str
	case checklist.FieldOwnerRole:
		t.OwnerRole = str
	case checklist.FieldTiming:
		t.Timing = nonEmpty(str)
	case checklist.FieldDueRule:
		t.DueRule = nonEmpty(str)
	case checklist.FieldGroup:
		t.Group = str
	case checklist.FieldGDPRWarning:
		t.GDPRWarning, _ = v.(bool)
	}
}

func dateValue(d *cutover.Date) any {
	if d == nil {
		return nil
	}
	return cutover.FormatDate(*d)
}
