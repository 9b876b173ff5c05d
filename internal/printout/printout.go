// Package printout renders a migration for people rather than programs: the checklist as a
// print-ready HTML page laid out like the official checklist, as GitHub-flavoured Markdown and as
// CSV, and the migration's dates as an iCalendar file. It is plain Go on cutover's types and the
// checklist templates: it must not import net/http, echo, gorm, the generated api package or the
// store. Every value it writes is escaped for its format; it adds no patient data of its own.
package printout

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
)

// GDPRWarning is the official checklist's own warning, quoted as it prints it above the topics
// where people might be tempted to write patient details.
const GDPRWarning = "Please note: It is not advisable to list any patient details in this checklist. " +
	"Any personal information recorded here may violate GDPR requirements."

// Input is everything a printout of one migration shows.
type Input struct {
	Template  *checklist.Template // the version the migration follows
	Migration cutover.Migration
	Tasks     []cutover.Task    // every task, in checklist order
	Contacts  []cutover.Contact // oldest first
	Signoffs  []cutover.Signoff // live ones
	Stage     string            // only this stage; "" for all of them
	Now       time.Time         // when the printout is made
}

// document is the checklist as the HTML and Markdown renderers see it: every value already in
// words, in the order it is printed.
type document struct {
	PracticeName    string
	ODSCode         string
	CurrentSystem   string
	NewSystem       string
	Status          string
	KeyDates        []labelled
	TemplateVersion string
	GuideTitle      string
	GuideURL        string
	GeneratedAt     string
	Stages          []stageView
}

type labelled struct{ Label, Value string }

type stageView struct {
	Number      int
	Of          int
	Key         string
	Title       string
	Summary     string
	Duration    string
	Notices     []string
	Roles       []string
	Groups      []groupView
	LooseTables []tableView // tables no task of the stage fills
	Signoffs    []signoffView
	SignedOff   bool
}

type groupView struct {
	Title    string
	Topics   []string
	Sections []sectionView
}

// sectionView is a run of tasks under one topic of the group (or under none).
type sectionView struct {
	Heading     string
	GDPRWarning bool
	Items       []itemView
}

// itemView is a task with the tables it is the first to fill, printed just before it as the
// official checklist prints its tables under the topic they belong to.
type itemView struct {
	Tables []tableView
	Task   taskView
}

type taskView struct {
	Title       string
	Guidance    string
	Status      cutover.TaskStatus
	Box         string
	StatusLabel string
	Due         string
	Overdue     bool
	Timing      string
	Owner       string
	Notes       string
	NAReason    string
	Completed   string
	Local       bool
	Custom      bool
	WarnGDPR    bool // the warning goes before this task: its section does not carry it
}

type tableView struct {
	Title   string
	Columns []string
	Rows    [][]string
}

type signoffView struct {
	Role     string
	Name     string
	SignedAt string
	Signed   bool
}

// The printed forms of dates and times: unambiguous to a reader in England.
const (
	dateLayout = "2 Jan 2006"
	timeLayout = "2 Jan 2006, 15:04 MST"
)

func printDate(d cutover.Date) string { return d.Format(dateLayout) }

// keyDateLabels names the key dates as the guide speaks of them.
var keyDateLabels = map[string]string{
	"order_date":                    "New system ordered",
	"go_live_date":                  "Go live",
	"extract_request_date":          "Data extract requested",
	"kick_off_date":                 "Kick off meeting",
	"technical_survey_date":         "Technical survey",
	"hardware_deployment_date":      "Hardware deployment",
	"training_start_date":           "Training starts",
	"training_end_date":             "Training ends",
	"idp_date":                      "Initial data production (IDP)",
	"data_checking_start_date":      "Data checking starts",
	"data_signoff_date":             "Data signed off",
	"cutover_planning_meeting_date": "Cutover planning meeting",
	"links_off_date":                "Third-party links switched off",
	"fdp_date":                      "Final data production (FDP)",
	"final_extract_date":            "Final data extract",
	"legacy_access_end_date":        "Old system access ends",
	"migration_end_date":            "Migration closed",
}

// KeyDateLabel names a key date field in words; the field name itself when it has no label.
func KeyDateLabel(field string) string {
	return cmp.Or(keyDateLabels[field], field)
}

var statusLabels = map[cutover.TaskStatus]string{
	cutover.TaskTodo:          "To do",
	cutover.TaskInProgress:    "In progress",
	cutover.TaskDone:          "Done",
	cutover.TaskNotApplicable: "Not applicable",
}

var migrationStatusLabels = map[cutover.MigrationStatus]string{
	cutover.StatusPlanned:    "Planned",
	cutover.StatusInProgress: "In progress",
	cutover.StatusCutover:    "In cutover",
	cutover.StatusLive:       "Live",
	cutover.StatusClosed:     "Closed",
	cutover.StatusCancelled:  "Cancelled",
}

// Tick boxes: an empty box for open work, a ticked one for done, a crossed one for not applicable.
var boxes = map[cutover.TaskStatus]string{
	cutover.TaskTodo:          "☐",
	cutover.TaskInProgress:    "☐",
	cutover.TaskDone:          "☑",
	cutover.TaskNotApplicable: "☒",
}

// roleName is how the guide's "Who is involved" lists name a role.
func roleName(key string) string {
	for _, r := range checklist.Roles() {
		if r.Key == key {
			return r.Name
		}
	}
	return strings.ReplaceAll(key, "_", " ")
}

// capitalise turns a topic ("agree on final data production date") into a heading.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// stagesOf returns the template stages the printout covers, in the guide's order.
func (in *Input) stagesOf() []checklist.Stage {
	var out []checklist.Stage
	for _, st := range in.Template.Stages {
		if slices.Contains(in.Migration.Stages, st.Key) && (in.Stage == "" || in.Stage == st.Key) {
			out = append(out, st)
		}
	}
	return out
}

// build lays the migration out as the checklist prints it.
func build(in Input) document {
	m := &in.Migration
	doc := document{
		PracticeName:    m.PracticeName,
		ODSCode:         m.ODSCode,
		CurrentSystem:   m.CurrentSupplier + " – " + m.CurrentProduct,
		NewSystem:       m.NewSupplier + " – " + m.NewProduct,
		Status:          cmp.Or(migrationStatusLabels[m.Status], string(m.Status)),
		TemplateVersion: m.TemplateVersion,
		GuideTitle:      in.Template.Title,
		GuideURL:        in.Template.SourceURL,
		GeneratedAt:     in.Now.In(cutover.London).Format(timeLayout),
	}
	if v, err := time.Parse(time.DateOnly, m.TemplateVersion); err == nil {
		doc.TemplateVersion = "guide of " + printDate(v) + " (" + m.TemplateVersion + ")"
	}
	for _, f := range schedule.KeyDateFields {
		d, ok := m.Dates[f]
		if !ok {
			continue
		}
		v := printDate(d)
		if f == "final_extract_date" && m.FinalExtractTime != nil {
			v += " at " + *m.FinalExtractTime
		}
		doc.KeyDates = append(doc.KeyDates, labelled{KeyDateLabel(f), v})
	}
	today := cutover.Today(in.Now)
	byStage := map[string][]cutover.Task{}
	for _, t := range in.Tasks {
		byStage[t.Stage] = append(byStage[t.Stage], t)
	}
	for i, st := range in.Template.Stages {
		if !slices.Contains(m.Stages, st.Key) || (in.Stage != "" && in.Stage != st.Key) {
			continue
		}
		doc.Stages = append(doc.Stages, buildStage(in, st, i+1, len(in.Template.Stages), byStage[st.Key], today))
	}
	return doc
}

func buildStage(in Input, st checklist.Stage, number, of int, tasks []cutover.Task, today cutover.Date) stageView {
	sv := stageView{Number: number, Of: of, Key: st.Key, Title: st.Title, Summary: st.Summary,
		Duration: st.Duration, Notices: st.Notices}
	for _, r := range st.Roles {
		sv.Roles = append(sv.Roles, roleName(r))
	}
	tplTasks := map[string]checklist.Task{}
	topics := map[string]checklist.Topic{}
	for _, g := range st.Groups {
		for _, t := range g.Tasks {
			tplTasks[t.Key] = t
		}
		for _, tp := range g.Topics {
			topics[g.Title+"\x00"+tp.Title] = tp
		}
	}
	// Each table is printed with the first task that fills it.
	filledBy := map[string]bool{}
	tables := map[string]checklist.Table{}
	for _, tb := range st.Tables {
		tables[tb.Key] = tb
	}
	slices.SortStableFunc(tasks, func(a, b cutover.Task) int { return cmp.Compare(a.Position, b.Position) })
	// Groups in the template's order, then any others (custom or local ones) as they first appear.
	var order []string
	for _, g := range st.Groups {
		order = append(order, g.Title)
	}
	for _, t := range tasks {
		if !slices.Contains(order, t.Group) {
			order = append(order, t.Group)
		}
	}
	for _, title := range order {
		gv := groupView{Title: title}
		for _, g := range st.Groups {
			if g.Title == title {
				for _, tp := range g.Topics {
					gv.Topics = append(gv.Topics, tp.Title)
				}
			}
		}
		var sec *sectionView
		for _, t := range tasks {
			if t.Group != title {
				continue
			}
			var tt checklist.Task
			known := false
			if t.Key != nil {
				tt, known = tplTasks[*t.Key]
			}
			if sec == nil || sec.Heading != capitalise(tt.Topic) {
				gv.Sections = append(gv.Sections, sectionView{Heading: capitalise(tt.Topic),
					GDPRWarning: topics[title+"\x00"+tt.Topic].GDPRWarning})
				sec = &gv.Sections[len(gv.Sections)-1]
			}
			item := itemView{Task: taskOf(&t, today)}
			item.Task.Custom = !known && !t.Local
			item.Task.WarnGDPR = t.GDPRWarning && !sec.GDPRWarning
			for _, key := range tt.Fills {
				if tb, ok := tables[key]; ok && !filledBy[key] {
					filledBy[key] = true
					item.Tables = append(item.Tables, fillTable(tb, &in.Migration, in.Contacts))
				}
			}
			sec.Items = append(sec.Items, item)
		}
		if len(gv.Sections) > 0 || len(gv.Topics) > 0 {
			sv.Groups = append(sv.Groups, gv)
		}
	}
	for _, tb := range st.Tables {
		if !filledBy[tb.Key] {
			sv.LooseTables = append(sv.LooseTables, fillTable(tb, &in.Migration, in.Contacts))
		}
	}
	sv.Signoffs, sv.SignedOff = signoffsOf(st, in.Signoffs)
	return sv
}

func taskOf(t *cutover.Task, today cutover.Date) taskView {
	v := taskView{
		Title:       t.Title,
		Guidance:    t.Guidance,
		Status:      t.Status,
		Box:         cmp.Or(boxes[t.Status], "☐"),
		StatusLabel: cmp.Or(statusLabels[t.Status], string(t.Status)),
		Owner:       roleName(t.OwnerRole),
		Notes:       strings.TrimSpace(deref(t.Notes)),
		Local:       t.Local,
		Overdue:     t.Overdue(today),
	}
	if t.DueDate != nil {
		v.Due = printDate(*t.DueDate)
	}
	if t.Timing != nil {
		v.Timing = *t.Timing
	}
	if t.Status == cutover.TaskNotApplicable {
		v.NAReason = deref(t.NotApplicableReason)
	}
	if t.Status == cutover.TaskDone && t.CompletedAt != nil {
		v.Completed = t.CompletedAt.In(cutover.London).Format(dateLayout)
		if t.CompletedBy != nil {
			v.Completed += " by " + *t.CompletedBy
		}
	}
	return v
}

func signoffsOf(st checklist.Stage, live []cutover.Signoff) ([]signoffView, bool) {
	var out []signoffView
	signed := len(st.SignoffRoles) > 0
	seen := map[string]bool{}
	for _, role := range st.SignoffRoles {
		v := signoffView{Role: roleName(role)}
		for _, so := range live {
			if so.Stage == st.Key && so.Role == role && so.Live() {
				v = signoffView{Role: roleName(role), Name: so.Name, SignedAt: printDate(so.SignedAt.In(cutover.London)), Signed: true}
				seen[so.ID.String()] = true
				break
			}
		}
		signed = signed && v.Signed
		out = append(out, v)
	}
	// Sign-offs by roles the template does not ask for still happened: print them too.
	for _, so := range live {
		if so.Stage == st.Key && so.Live() && !seen[so.ID.String()] {
			out = append(out, signoffView{Role: roleName(so.Role), Name: so.Name,
				SignedAt: printDate(so.SignedAt.In(cutover.London)), Signed: true})
		}
	}
	return out, signed
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
