package checklist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cutoverhq/cutover/internal/schedule"
)

// Library is a set of template versions. Migrations record the version they were created from, so every
// version ever shipped stays in the library; new migrations use the current one.
type Library struct {
	versions  []string // oldest first
	templates map[string]*Template
	cache     diffCache
}

// NewLibrary reads and validates every *.yaml file at the root of fsys, one template version per file,
// named after its version (2025-03-27.yaml). Any invalid file fails the whole library: a half-loaded
// set of templates would silently change what new migrations get.
func NewLibrary(fsys fs.FS) (*Library, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("list templates: no *.yaml files")
	}
	l := &Library{templates: map[string]*Template{}}
	for _, name := range names {
		t, err := readTemplate(fsys, name)
		if err != nil {
			return nil, err
		}
		l.templates[t.Version] = t
		l.versions = append(l.versions, t.Version)
	}
	// YYYY-MM-DD sorts as text, and the file names already made the versions unique.
	slices.Sort(l.versions)
	return l, nil
}

func readTemplate(fsys fs.FS, name string) (*Template, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt field would otherwise vanish without a word
	var t Template
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("decode template %s: %w", name, err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode template %s: want one YAML document per file", name)
	}
	if err := validate(&t, name); err != nil {
		return nil, err
	}
	return &t, nil
}

// Versions returns the template versions, oldest first.
func (l *Library) Versions() []string {
	return slices.Clone(l.versions)
}

// Current returns the newest template, the one new migrations are created from.
func (l *Library) Current() *Template {
	return l.templates[l.versions[len(l.versions)-1]]
}

// Version returns the template of one version.
func (l *Library) Version(v string) (*Template, bool) {
	t, ok := l.templates[v]
	return t, ok
}

var (
	kebabPattern    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	tableKeyPattern = regexp.MustCompile(`^[A-Z]+-[0-9]+$`)
	clockPattern    = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}$`)
)

var (
	timingBases  = []string{"guide", "implied", "assumed"}
	patientData  = []string{"no", "warn", "yes"}
	sourceCodes  = []string{"SEED", "G25", "DNH", "P20", "P19", "INF"}
	contactRoles = []string{"current_supplier", "new_supplier", "third_party", "icb", "delivery_partner", "other"}
)

// problems collects every fault in a template, each line saying which file, stage, group and task it is
// in, so that one run of the tests shows everything wrong with a file rather than the first fault.
type problems struct {
	file string
	errs []error
}

func (p *problems) add(where, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("template %s: %s%s", p.file, where, fmt.Sprintf(format, args...)))
}

func validate(t *Template, file string) error {
	p := problems{file: file}
	fileVersion := strings.TrimSuffix(path.Base(file), ".yaml")
	// Versions are dates so that they sort, and the file name is the version so that a copied file cannot
	// silently shadow another version.
	if _, err := time.Parse(time.DateOnly, t.Version); err != nil {
		p.add("", "version %q is not a YYYY-MM-DD date", t.Version)
	} else if t.Version != fileVersion {
		p.add("", "version %q does not match the file name %q", t.Version, fileVersion+".yaml")
	}
	if t.Title == "" {
		p.add("", "title is empty")
	}
	if len(t.Stages) == 0 {
		p.add("", "no stages")
	}
	seen := map[string]bool{}
	for i := range t.Stages {
		s := &t.Stages[i]
		where := fmt.Sprintf("stage %q: ", s.Key)
		if !kebabPattern.MatchString(s.Key) {
			where = fmt.Sprintf("stage %d: ", i+1)
			p.add(where, "key %q is not kebab-case", s.Key)
		} else if seen[s.Key] {
			p.add(where, "key is used twice")
		}
		seen[s.Key] = true
		validateStage(&p, where, s)
	}
	return errors.Join(p.errs...)
}

func validateStage(p *problems, where string, s *Stage) {
	if s.Title == "" {
		p.add(where, "title is empty")
	}
	for _, r := range s.Roles {
		if !IsRole(r) {
			p.add(where, "roles: %q is not a role", r)
		}
	}
	if len(s.SignoffRoles) == 0 {
		p.add(where, "signoff_roles is empty: nobody could sign the stage off")
	}
	for _, r := range s.SignoffRoles {
		if !IsRole(r) {
			p.add(where, "signoff_roles: %q is not a role", r)
		}
	}
	for _, d := range s.KeyDates {
		if !schedule.IsKeyDateField(d) {
			p.add(where, "key_dates: %q is not a key date field", d)
		}
	}
	tables := map[string]bool{}
	for _, tb := range s.Tables {
		tw := fmt.Sprintf("%stable %q: ", where, tb.Key)
		switch {
		case !tableKeyPattern.MatchString(tb.Key):
			p.add(tw, "key is not like FDP-1")
		case tables[tb.Key]:
			p.add(tw, "key is used twice")
		}
		tables[tb.Key] = true
		if tb.Title == "" {
			p.add(tw, "title is empty")
		}
		if len(tb.Columns) == 0 {
			p.add(tw, "no columns")
		}
		if tb.ContactRole != "" && !slices.Contains(contactRoles, tb.ContactRole) {
			p.add(tw, "contact_role %q is not one of %s", tb.ContactRole, strings.Join(contactRoles, ", "))
		}
		if tb.KeyDate != "" && !schedule.IsKeyDateField(tb.KeyDate) {
			p.add(tw, "key_date %q is not a key date field", tb.KeyDate)
		}
	}
	if len(s.Groups) == 0 {
		p.add(where, "no groups")
	}
	groups, tasks := map[string]bool{}, map[string]bool{}
	for _, g := range s.Groups {
		gw := fmt.Sprintf("%sgroup %q: ", where, g.Key)
		switch {
		case !kebabPattern.MatchString(g.Key):
			p.add(gw, "key is not kebab-case")
		case groups[g.Key]:
			p.add(gw, "key is used twice in the stage")
		}
		groups[g.Key] = true
		if g.Title == "" {
			p.add(gw, "title is empty")
		}
		topics := map[string]bool{}
		for _, tp := range g.Topics {
			if tp.Title == "" {
				p.add(gw, "a topic has an empty title")
			}
			topics[tp.Title] = true
		}
		if len(g.Tasks) == 0 {
			p.add(gw, "no tasks")
		}
		for i := range g.Tasks {
			t := &g.Tasks[i]
			tw := fmt.Sprintf("%stask %q: ", gw, t.Key)
			switch {
			case !kebabPattern.MatchString(t.Key):
				p.add(tw, "key is not kebab-case")
			case tasks[t.Key]:
				// Task keys identify template tasks across versions, so they must be unique in the stage.
				p.add(tw, "key is used twice in the stage")
			}
			tasks[t.Key] = true
			validateTask(p, tw, t, topics, tables)
		}
	}
}

func validateTask(p *problems, where string, t *Task, topics, tables map[string]bool) {
	if t.Title == "" {
		p.add(where, "title is empty")
	}
	if !IsRole(t.OwnerRole) {
		p.add(where, "owner_role %q is not a role", t.OwnerRole)
	}
	if t.Topic != "" && !topics[t.Topic] {
		p.add(where, "topic %q is not a topic of its group", t.Topic)
	}
	if t.Due != "" {
		if _, err := schedule.ParseRule(t.Due); err != nil {
			p.add(where, "due: %v", err)
		}
	}
	if t.Starts != "" {
		if _, err := schedule.ParseRule(t.Starts); err != nil {
			p.add(where, "starts: %v", err)
		}
		if t.Due == "" {
			p.add(where, "starts without due: a period needs an end")
		}
	}
	switch {
	case t.Due != "" && t.TimingBasis == "":
		p.add(where, "due is set but timing_basis is not")
	case t.Due == "" && t.TimingBasis != "":
		p.add(where, "timing_basis %q is set without a due rule", t.TimingBasis)
	case t.TimingBasis != "" && !slices.Contains(timingBases, t.TimingBasis):
		p.add(where, "timing_basis %q is not one of %s", t.TimingBasis, strings.Join(timingBases, ", "))
	}
	if !slices.Contains(patientData, t.PatientData) {
		p.add(where, "patient_data %q is not one of %s", t.PatientData, strings.Join(patientData, ", "))
	}
	for _, s := range t.Sources {
		if !slices.Contains(sourceCodes, s) {
			p.add(where, "sources: %q is not one of %s", s, strings.Join(sourceCodes, ", "))
		}
	}
	for _, f := range t.Fills {
		if !tables[f] {
			p.add(where, "fills: %q is not a table of the stage", f)
		}
	}
	for _, r := range t.Reminders {
		if _, err := time.Parse("15:04", r.Time); err != nil || !clockPattern.MatchString(r.Time) {
			p.add(where, "reminder time %q is not HH:MM", r.Time)
		}
	}
}
