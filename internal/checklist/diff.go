package checklist

import (
	"slices"
	"sync"
)

// Two template versions are compared by their stable keys: a stage by its key, a task by its key
// within its stage. A task whose key moves to another stage is removed from one and added to the
// other; a task that changes group stays the same task with a changed group.

// TaskChangeKind says what happened to a task between two versions.
type TaskChangeKind string

// The kinds of task change.
const (
	TaskAdded   TaskChangeKind = "added"
	TaskRemoved TaskChangeKind = "removed"
	TaskChanged TaskChangeKind = "changed"
)

// The fields compared. A task's topic, sources, reminders and period start are how the template
// presents it: a migration reads them from the version it follows, so they never need upgrading.
const (
	FieldTitle        = "title"
	FieldGuidance     = "guidance"
	FieldOwnerRole    = "owner_role"
	FieldTiming       = "timing"
	FieldDueRule      = "due_rule"
	FieldGroup        = "group"
	FieldGDPRWarning  = "gdpr_warning"
	FieldSignoffRoles = "signoff_roles"
)

// FieldChange is one field's value in the older and the newer version. Values are JSON-ready: a
// string, nil for an empty optional string, a bool, or a list of strings.
type FieldChange struct {
	Field    string
	From, To any
}

// TaskDiff is one task that differs between two versions.
type TaskDiff struct {
	Kind TaskChangeKind
	Key  string
	// Group is the task's group in the newer version (the older one for a removed task).
	GroupKey, Group string
	// Position is the task's 1-based place in its stage, counting across groups, in the newer
	// version (the older one for a removed task).
	Position int
	// After is the key of the task before it in the newer version's stage; "" when it comes first.
	// Only set for added tasks: it is where a migration puts the new task.
	After    string
	Old, New *Task // nil on the side where the task does not exist
	Fields   []FieldChange
}

// StageDiff is one stage that differs between two versions.
type StageDiff struct {
	Key   string
	Title string // the newer version's (the older one's for a removed stage)
	// Position is the stage's 1-based place in the newer version; 0 for a removed stage.
	Position int
	Added    bool // only in the newer version: every task is added
	Removed  bool // only in the older version: every task is removed
	Fields   []FieldChange
	Tasks    []TaskDiff
}

// Diff is what changes from one template version to another.
type Diff struct {
	From, To string
	// Stages lists the stages that differ: the newer version's in its order, then removed ones in
	// the older version's order.
	Stages []StageDiff
}

// Empty reports whether the two versions are the same as far as the compared fields go.
func (d *Diff) Empty() bool { return len(d.Stages) == 0 }

// Stage returns the changes of one stage.
func (d *Diff) Stage(key string) (*StageDiff, bool) {
	for i := range d.Stages {
		if d.Stages[i].Key == key {
			return &d.Stages[i], true
		}
	}
	return nil, false
}

// Compare lists what changes from template from to template to. stages narrows the comparison to
// those stage keys; nil compares every stage of both.
func Compare(from, to *Template, stages []string) Diff {
	d := Diff{From: from.Version, To: to.Version}
	want := func(key string) bool { return stages == nil || slices.Contains(stages, key) }
	for i := range to.Stages {
		ns := &to.Stages[i]
		if !want(ns.Key) {
			continue
		}
		os, ok := from.Stage(ns.Key)
		var sd StageDiff
		if ok {
			sd = compareStage(os, ns)
		} else {
			sd = StageDiff{Key: ns.Key, Title: ns.Title, Added: true}
			for _, p := range placesOf(ns) {
				sd.Tasks = append(sd.Tasks, TaskDiff{Kind: TaskAdded, Key: p.task.Key, GroupKey: p.group.Key,
					Group: p.group.Title, Position: p.position, After: p.after, New: p.task})
			}
		}
		sd.Position = i + 1
		if sd.Added || len(sd.Fields) > 0 || len(sd.Tasks) > 0 {
			d.Stages = append(d.Stages, sd)
		}
	}
	for i := range from.Stages {
		os := &from.Stages[i]
		if _, ok := to.Stage(os.Key); ok || !want(os.Key) {
			continue
		}
		sd := StageDiff{Key: os.Key, Title: os.Title, Removed: true}
		for _, p := range placesOf(os) {
			sd.Tasks = append(sd.Tasks, TaskDiff{Kind: TaskRemoved, Key: p.task.Key, GroupKey: p.group.Key,
				Group: p.group.Title, Position: p.position, Old: p.task})
		}
		d.Stages = append(d.Stages, sd)
	}
	return d
}

// place is a task with where it sits in its stage.
type place struct {
	task     *Task
	group    *Group
	position int
	after    string
}

func placesOf(s *Stage) []place {
	var out []place
	prev := ""
	for gi := range s.Groups {
		g := &s.Groups[gi]
		for ti := range g.Tasks {
			t := &g.Tasks[ti]
			out = append(out, place{task: t, group: g, position: len(out) + 1, after: prev})
			prev = t.Key
		}
	}
	return out
}

func compareStage(os, ns *Stage) StageDiff {
	sd := StageDiff{Key: ns.Key, Title: ns.Title}
	if os.Title != ns.Title {
		sd.Fields = append(sd.Fields, FieldChange{Field: FieldTitle, From: os.Title, To: ns.Title})
	}
	if !slices.Equal(os.SignoffRoles, ns.SignoffRoles) {
		sd.Fields = append(sd.Fields, FieldChange{Field: FieldSignoffRoles,
			From: slices.Clone(os.SignoffRoles), To: slices.Clone(ns.SignoffRoles)})
	}
	olds := map[string]place{}
	for _, p := range placesOf(os) {
		olds[p.task.Key] = p
	}
	seen := map[string]bool{}
	for _, np := range placesOf(ns) {
		seen[np.task.Key] = true
		op, ok := olds[np.task.Key]
		if !ok {
			sd.Tasks = append(sd.Tasks, TaskDiff{Kind: TaskAdded, Key: np.task.Key, GroupKey: np.group.Key,
				Group: np.group.Title, Position: np.position, After: np.after, New: np.task})
			continue
		}
		if fields := compareTask(op, np); len(fields) > 0 {
			sd.Tasks = append(sd.Tasks, TaskDiff{Kind: TaskChanged, Key: np.task.Key, GroupKey: np.group.Key,
				Group: np.group.Title, Position: np.position, Old: op.task, New: np.task, Fields: fields})
		}
	}
	for _, op := range placesOf(os) {
		if !seen[op.task.Key] {
			sd.Tasks = append(sd.Tasks, TaskDiff{Kind: TaskRemoved, Key: op.task.Key, GroupKey: op.group.Key,
				Group: op.group.Title, Position: op.position, Old: op.task})
		}
	}
	return sd
}

// TaskFields is a template task's compared fields, as a migration's task carries them.
func TaskFields(t *Task, group string) map[string]any {
	return map[string]any{
		FieldTitle:       t.Title,
		FieldGuidance:    t.Guidance,
		FieldOwnerRole:   t.OwnerRole,
		FieldTiming:      optional(t.Timing),
		FieldDueRule:     optional(t.Due),
		FieldGroup:       group,
		FieldGDPRWarning: t.GDPRWarning(),
	}
}

// taskFieldOrder is the order changes are listed in.
var taskFieldOrder = []string{FieldTitle, FieldGuidance, FieldOwnerRole, FieldTiming, FieldDueRule, FieldGroup, FieldGDPRWarning}

func compareTask(op, np place) []FieldChange {
	of, nf := TaskFields(op.task, op.group.Title), TaskFields(np.task, np.group.Title)
	var out []FieldChange
	for _, f := range taskFieldOrder {
		if of[f] != nf[f] {
			out = append(out, FieldChange{Field: f, From: of[f], To: nf[f]})
		}
	}
	return out
}

// optional is an optional template string as the API shows it: nil when empty.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// diffCache holds the comparisons of older versions with the current one: a library never
// changes once loaded, so each comparison is made once.
type diffCache struct {
	mu    sync.Mutex
	diffs map[string]*Diff
}

// ChangesSince compares version v with the current version, every stage; false when the library
// does not know v. The Diff is shared: callers must not modify it.
func (l *Library) ChangesSince(v string) (*Diff, bool) {
	from, ok := l.Version(v)
	if !ok {
		return nil, false
	}
	l.cache.mu.Lock()
	defer l.cache.mu.Unlock()
	if d, ok := l.cache.diffs[v]; ok {
		return d, true
	}
	if l.cache.diffs == nil {
		l.cache.diffs = map[string]*Diff{}
	}
	d := Compare(from, l.Current(), nil)
	l.cache.diffs[v] = &d
	return &d, true
}
