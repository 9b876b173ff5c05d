package printout

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/google/uuid"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/workflow"
)

func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+44 113 496 0000", "'+44 113 496 0000"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tindented", "'\tindented"},
		{"\rreturn", "'\rreturn"},
		{"2027-03-10", "2027-03-10"},
		{"plain text", "plain text"},
		{"", ""},
		{" =not first", " =not first"},
	} {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdownText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words, 3 of them.", "plain words, 3 of them."},
		{"[link](javascript:x)", `\[link\](javascript:x)`},
		{"![img](x)", `!\[img\](x)`},
		{"<b>bold</b> & co", `\<b\>bold\</b\> \& co`},
		{"a | b", `a \| b`},
		{"*star* _under_ `code` ~strike~", "\\*star\\* \\_under\\_ \\`code\\` \\~strike\\~"},
		{"# heading", `\# heading`},
		{"- list", `\- list`},
		{"+ list", `\+ list`},
		{"1. list", `1\. list`},
		{"12) list", `12\) list`},
		{"C# and 1. inside", "C# and 1. inside"},
		{"two\nlines", "two lines"},
		{`back\slash`, `back\\slash`},
	} {
		if got := mdText(tc.in); got != tc.want {
			t.Errorf("mdText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// fixture is a migration of the built-in template with a contact, a done task with notes and a
// not-applicable one.
func fixture(t *testing.T) Input {
	t.Helper()
	tpl := checklist.Builtin().Current()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	who := cutover.Caller{OrgID: uuid.New(), Name: "csu-sync", Role: cutover.RoleEditor}
	m, tasks, err := workflow.NewMigration(tpl, workflow.MigrationInput{ODSCode: "A81001", PracticeName: "Densham <Surgery>",
		CurrentSupplier: "Supplier A", CurrentProduct: "System One", NewSupplier: "Supplier B", NewProduct: "System Two",
		Dates: map[string]cutover.Date{
			"fdp_date":           time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC),
			"final_extract_date": time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC),
			"go_live_date":       time.Date(2027, 3, 12, 0, 0, 0, 0, time.UTC),
		}}, who, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tasks {
		switch deref(tasks[i].Key) {
		case "agree-fdp-date":
			notes := "Agreed with Jo; \"=SUM(A1)\" <em>done</em>"
			tasks[i].Status, tasks[i].Notes, tasks[i].CompletedAt = cutover.TaskDone, &notes, &now
		case "set-up-data-transfer":
			reason := "Done by the supplier"
			tasks[i].Status, tasks[i].NotApplicableReason = cutover.TaskNotApplicable, &reason
		}
	}
	name, email := "Jo Bloggs", "jo@supplierb.example"
	contacts := []cutover.Contact{{ID: uuid.New(), MigrationID: m.ID, Role: "new_supplier", Organisation: "Supplier B Ltd", Name: &name, Email: &email}}
	return Input{Template: tpl, Migration: m, Tasks: tasks, Contacts: contacts, Now: now}
}

func TestHTML(t *testing.T) {
	in := fixture(t)
	page, err := HTML(in)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		"<title>Checklist: Densham &lt;Surgery&gt; (A81001)</title>",
		"&lt;em&gt;done&lt;/em&gt;",
		"<td>Supplier B Ltd</td><td>Jo Bloggs\njo@supplierb.example</td><td>10 Mar 2027</td>",
		// no contact yet: the supplier's name from the migration, ruled for the rest
		"<td>Supplier A</td><td></td><td>10 Mar 2027</td>",
		"Not applicable because: Done by the supplier",
		`<div class="task status-done">`, `<div class="box" aria-hidden="true">☑</div>`,
		`<div class="box" aria-hidden="true">☒</div>`,
		GDPRWarning,
		// a list table of the guide, filled by nobody yet: spare rows to write in
		"<caption>Data-checking rounds</caption>",
		`<th scope="col">Round (1, 2, 3)</th>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(s, "<em>") {
		t.Error("notes became markup")
	}
	// The FDP stage: the seed's order of topics, with its warning once, before the warned tasks.
	stage := s[strings.Index(s, `id="final-data-production-and-cutover"`):]
	stage = stage[:strings.Index(stage, "</section>")]
	order := []string{"Agree on final data production date", "New supplier name", "Fix the FDP date",
		"Data transfer setup", "Current supplier name", "Recheck data for final data production", GDPRWarning,
		"Re-examine the IDP test patients", "Cutover period tasks", "Manual data entry", GDPRWarning, "Keep a manual log"}
	at := 0
	for _, w := range order {
		i := strings.Index(stage[at:], w)
		if i < 0 {
			t.Fatalf("after position %d the FDP stage lacks %q", at, w)
		}
		at += i + len(w)
	}
	if n := strings.Count(stage, GDPRWarning); n != 2 {
		t.Errorf("the FDP stage prints the warning %d times, want 2 (once per warned topic)", n)
	}
}

func TestOneStage(t *testing.T) {
	in := fixture(t)
	in.Stage = "go-live"
	page, err := HTML(in)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), `<section class="stage"`); n != 1 {
		t.Errorf("%d stages printed, want 1", n)
	}
	b, err := CSV(in)
	if err != nil {
		t.Fatal(err)
	}
	if rows := bytes.Count(b, []byte("\r\n")); rows != 17 {
		t.Errorf("%d CSV lines, want the header and go live's 16 tasks", rows)
	}
}

func TestCalendarFile(t *testing.T) {
	in := fixture(t)
	title := "A title long enough to be folded, with commas, semicolons; and a backslash \\ in it — and some more words"
	in.Tasks[1].Title = "carriage\rreturn\x01"
	in.Tasks[0].Title = title
	d := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	in.Tasks[0].DueDate, in.Tasks[1].DueDate = &d, &d
	b := Calendar(in.Template, &in.Migration, in.Tasks)
	if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("a line ends in a bare LF")
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		if len(line) > 75 {
			t.Fatalf("unfolded line of %d octets: %q", len(line), line)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range cal.Events() {
		if e.Id() == TaskUID(&in.Tasks[0]) {
			found = true
			if got := e.GetProperty(ics.ComponentPropertySummary).Value; got != title+" (A81001)" {
				t.Errorf("summary came back as %q", got)
			}
		}
	}
	if !found {
		t.Fatal("no event for the first task")
	}
	if !bytes.Equal(b, Calendar(in.Template, &in.Migration, in.Tasks)) {
		t.Error("the same state rendered two different files")
	}
}
