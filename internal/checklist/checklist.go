// Package checklist holds the built-in checklist templates: the stages, task groups, tasks, roles and
// timings of the NHS England clinical system migration guide, one YAML file per guide version embedded in
// the binary. A migration is created from one version and keeps it, so old versions stay loadable.
// It is plain Go: it must not import net/http, echo, gorm, the generated api package or the store; it
// uses schedule for the date rules and gopkg.in/yaml.v3 to read the templates.
package checklist

import (
	"embed"
	"fmt"
	"io/fs"
	"sync"
)

// Template is one version of the guide as a checklist: its stages in the guide's order.
type Template struct {
	Version   string  `yaml:"version"` // the guide's update date, YYYY-MM-DD
	Title     string  `yaml:"title"`
	SourceURL string  `yaml:"source_url,omitempty"`
	Stages    []Stage `yaml:"stages"`
}

// Stage is one phase of a migration, such as final data production and cutover.
type Stage struct {
	Key      string   `yaml:"key"`
	Title    string   `yaml:"title"`
	Summary  string   `yaml:"summary,omitempty"`
	Duration string   `yaml:"duration,omitempty"` // the guide's typical duration, as words
	Notices  []string `yaml:"notices,omitempty"`  // warnings to show at the top of the stage
	// Roles are the roles the guide says are involved, in its order.
	Roles []string `yaml:"roles,omitempty"`
	// SignoffRoles are the roles whose sign-off completes the stage.
	SignoffRoles []string `yaml:"signoff_roles"`
	// KeyDates are the key date fields decided or confirmed during the stage.
	KeyDates []string `yaml:"key_dates,omitempty"`
	Tables   []Table  `yaml:"tables,omitempty"`
	Groups   []Group  `yaml:"groups"`
}

// Table is one of the guide's "fill in" tables. The service keeps no tables of its own: a table is filled
// from a supplier contact (ContactRole) and a key date (KeyDate) of the migration.
type Table struct {
	Key         string   `yaml:"key"`
	Title       string   `yaml:"title"`
	Columns     []string `yaml:"columns"`
	ContactRole string   `yaml:"contact_role,omitempty"`
	KeyDate     string   `yaml:"key_date,omitempty"`
}

// Group is a heading of the checklist with its tasks, such as "Cutover period tasks".
type Group struct {
	Key    string  `yaml:"key"`
	Title  string  `yaml:"title"`
	Topics []Topic `yaml:"topics,omitempty"`
	Tasks  []Task  `yaml:"tasks"`
}

// Topic is one bullet the printed checklist lists under a group heading; tasks name the topic they belong
// to, so a printout can follow the official layout.
type Topic struct {
	Title string `yaml:"title"`
	// GDPRWarning: the official checklist prints its warning against recording patient details here.
	GDPRWarning bool `yaml:"gdpr_warning,omitempty"`
}

// Task is one checklist item as the template defines it; a migration copies it into its own task.
type Task struct {
	Key       string `yaml:"key"`
	Title     string `yaml:"title"`
	Guidance  string `yaml:"guidance,omitempty"`
	OwnerRole string `yaml:"owner_role"`
	Topic     string `yaml:"topic,omitempty"`
	// Timing is the guide's own phrase, such as "at least 4 weeks before the FDP date".
	Timing string `yaml:"timing,omitempty"`
	// Due is the rule (schedule.ParseRule) for the due date; for a task that runs through a period it is
	// the end of the period and Starts is its beginning.
	Due    string `yaml:"due,omitempty"`
	Starts string `yaml:"starts,omitempty"`
	// TimingBasis says how sure the rule is: "guide" (the guide gives it), "implied" (the guide says only
	// "before X" or "on X") or "assumed" (our suggestion).
	TimingBasis string `yaml:"timing_basis,omitempty"`
	// PatientData is "no", "warn" (the official checklist warns against listing patient details) or
	// "yes" (the task handles identifiable patient information).
	PatientData string     `yaml:"patient_data"`
	Sources     []string   `yaml:"sources,omitempty"` // which versions of the guide say so: SEED, G25, DNH, P20, P19, INF
	Fills       []string   `yaml:"fills,omitempty"`   // keys of the stage's tables this task completes
	Reminders   []Reminder `yaml:"reminders,omitempty"`
}

// Reminder is a default reminder for a task: OffsetDays from its due date, at Time ("HH:MM", local
// Europe/London time on that day).
type Reminder struct {
	OffsetDays int    `yaml:"offset_days"`
	Time       string `yaml:"time"`
}

// GDPRWarning reports whether the task must carry the warning against recording patient details, and so
// whether its notes go through the patient-identifier guard.
func (t *Task) GDPRWarning() bool {
	return t.PatientData == "warn" || t.PatientData == "yes"
}

// Tasks returns every task of the stage in checklist order, group by group.
func (s *Stage) Tasks() []Task {
	var tasks []Task
	for _, g := range s.Groups {
		tasks = append(tasks, g.Tasks...)
	}
	return tasks
}

// Stage finds a stage by key. The stage belongs to the template: callers must not modify it.
func (t *Template) Stage(key string) (*Stage, bool) {
	for i := range t.Stages {
		if t.Stages[i].Key == key {
			return &t.Stages[i], true
		}
	}
	return nil, false
}

// StageKeys returns the stage keys in the guide's order.
func (t *Template) StageKeys() []string {
	keys := make([]string, len(t.Stages))
	for i, s := range t.Stages {
		keys[i] = s.Key
	}
	return keys
}

//go:embed templates/*.yaml
var embedded embed.FS

var builtin = sync.OnceValue(func() *Library {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		panic(fmt.Sprintf("checklist: embedded templates: %v", err))
	}
	l, err := NewLibrary(sub)
	if err != nil {
		// A test loads the same files, so this can only happen to a build nobody tested.
		panic(fmt.Sprintf("checklist: embedded templates: %v", err))
	}
	return l
})

// Builtin returns the templates compiled into the binary, parsed and validated on first use. The library
// is shared: callers must not modify the templates it returns.
func Builtin() *Library {
	return builtin()
}
