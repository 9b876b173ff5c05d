package handlers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"
)

// --- the printable checklist ---

// checklist fetches a migration's checklist with the given query and Accept header.
func (a *testApp) checklist(t *testing.T, migrationID, query, accept string) response {
	t.Helper()
	path := "/v1/migrations/" + migrationID + "/checklist"
	if query != "" {
		path += "?" + query
	}
	return a.do(t, req{method: http.MethodGet, path: path, header: map[string]string{"Accept": accept}})
}

// doTask patches a task and returns it.
func (a *testApp) doTask(t *testing.T, tk task, body map[string]any) task {
	t.Helper()
	var out task
	must(t, a.patch(t, tk.url(), body, ""), http.StatusOK).decode(t, &out)
	return out
}

func TestChecklistHTML(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	must(t, app.post(t, "/v1/migrations/"+m.ID+"/contacts", map[string]any{"role": "new_supplier",
		"organisation": "Supplier B Ltd", "name": "Jo Bloggs", "email": "jo@supplierb.example"}), http.StatusCreated)
	fdp := app.seedTask(t, m.ID, "agree-fdp-date")
	app.doTask(t, fdp, map[string]any{"status": "done", "notes": "Agreed with Jo <script>alert(1)</script> on the phone"})
	// Custom tasks are printed too, in their own group at the end of their stage.
	must(t, app.post(t, "/v1/migrations/"+m.ID+"/tasks", map[string]any{"stage": "final-data-production-and-cutover",
		"title": "Check the server room is locked", "owner_role": "it_lead"}), http.StatusCreated)

	res := must(t, app.checklist(t, m.ID, "", "text/html"), http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	page := string(res.Body)
	tasks := app.tasks(t, m.ID, "")
	if len(tasks) < 100 {
		t.Fatalf("only %d tasks", len(tasks))
	}
	text := html.UnescapeString(page)
	for _, tk := range tasks {
		if !strings.Contains(text, tk.Title) {
			t.Errorf("the page lacks task %q (%s)", tk.Title, tk.Stage)
		}
	}
	for _, want := range []string{
		// the note, escaped: text from the API never becomes markup
		"Agreed with Jo &lt;script&gt;alert(1)&lt;/script&gt; on the phone",
		// the seed's supplier table, filled from the contact and the key date
		"<th scope=\"col\">New supplier name</th><th scope=\"col\">Contact details</th><th scope=\"col\">Final data production date</th>",
		"<td>Supplier B Ltd</td><td>Jo Bloggs\njo@supplierb.example</td><td>10 Mar 2027</td>",
		"<th scope=\"col\">Current supplier name</th>",
		"Please note: It is not advisable to list any patient details in this checklist.",
		"Who is involved", "Final data production tasks", "<li>recheck data for final data production</li>",
		"☑", "☐", "Notes:", `class="line"`, "A81001", "Supplier A – System One",
		"<h3>Local tasks</h3>", `Check the server room is locked</strong> <span class="tag">added for this migration</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("a note became a script element")
	}
	// The policy allows the page's one stylesheet by its hash: check that it is the hash of what
	// the page holds, or browsers would print it unstyled.
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if style == nil {
		t.Fatal("no stylesheet")
	}
	sum := sha256.Sum256([]byte(style[1]))
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q does not allow the stylesheet by its hash", csp)
	}
	if strings.Contains(page, "style=") {
		t.Error("an inline style attribute would be blocked by the policy")
	}
}

func TestChecklistNegotiation(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	for _, tc := range []struct {
		name, query, accept string
		wantStatus          int
		wantType            string
	}{
		{"no Accept is HTML", "", "", 200, "text/html"},
		{"any type is HTML", "", "*/*", 200, "text/html"},
		{"any text is HTML", "", "text/*", 200, "text/html"},
		{"Markdown", "", "text/markdown", 200, "text/markdown"},
		{"highest quality wins", "", "text/html;q=0.2, text/csv;q=0.9", 200, "text/csv"},
		{"a refused type is skipped", "", "text/html;q=0, */*", 200, "text/markdown"},
		{"browser Accept", "", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200, "text/html"},
		{"format wins over Accept", "format=csv", "application/json", 200, "text/csv"},
		{"format md", "format=md", "", 200, "text/markdown"},
		{"nothing acceptable", "", "application/json", 406, ""},
		{"unknown format", "format=pdf", "", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.checklist(t, m.ID, tc.query, tc.accept)
			if res.Status != tc.wantStatus {
				t.Fatalf("got %d, want %d: %s", res.Status, tc.wantStatus, res.Body)
			}
			if tc.wantStatus == 406 && res.kind(t) != "not-acceptable" {
				t.Fatalf("kind %q", res.kind(t))
			}
			if tc.wantType != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tc.wantType+";") {
				t.Fatalf("Content-Type %q, want %s", res.Header.Get("Content-Type"), tc.wantType)
			}
			if tc.wantStatus == 200 && res.Header.Get("Vary") != "Accept" {
				t.Fatalf("Vary %q", res.Header.Get("Vary"))
			}
		})
	}
}

// readCSV parses a CSV answer, checking its byte order mark and CRLF line ends.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("\ufeff")) {
		t.Fatal("no UTF-8 byte order mark")
	}
	if bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
		t.Fatal("not every line ends in CRLF")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	return rows
}

func TestChecklistCSV(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	fdp := app.seedTask(t, m.ID, "agree-fdp-date")
	app.doTask(t, fdp, map[string]any{"status": "done", "notes": `=HYPERLINK("http://evil.example","click")`})
	mesh := app.seedTask(t, m.ID, "coordinate-mesh-updates")
	app.doTask(t, mesh, map[string]any{"notes": "-2+3, said \"the IT lead\"\nsecond line"})

	res := must(t, app.checklist(t, m.ID, "", "text/csv"), http.StatusOK)
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="checklist-A81001.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows := readCSV(t, res.Body)
	tasks := app.tasks(t, m.ID, "")
	if len(rows) != len(tasks)+1 {
		t.Fatalf("%d rows for %d tasks", len(rows), len(tasks))
	}
	if got := strings.Join(rows[0], ","); got != "stage,group,title,status,owner_role,due_date,completed_at,notes" {
		t.Fatalf("header %q", got)
	}
	for i, tk := range tasks {
		if rows[i+1][2] != tk.Title || rows[i+1][0] != tk.Stage {
			t.Fatalf("row %d is %q, want task %q in checklist order", i+1, rows[i+1][:3], tk.Title)
		}
	}
	byTitle := map[string][]string{}
	for _, r := range rows[1:] {
		byTitle[r[2]] = r
	}
	done := byTitle[fdp.Title]
	if done[7] != `'=HYPERLINK("http://evil.example","click")` {
		t.Errorf("formula note came out as %q", done[7])
	}
	if done[3] != "done" || done[6] == "" || done[5] != "2027-02-10" || done[4] != "project_manager" {
		t.Errorf("done task row %q", done)
	}
	if got := byTitle[mesh.Title][7]; got != "'-2+3, said \"the IT lead\"\nsecond line" {
		t.Errorf("quoted note came out as %q", got)
	}

	// One stage only.
	res = must(t, app.checklist(t, m.ID, "format=csv&stage=final-data-production-and-cutover", ""), http.StatusOK)
	if rows := readCSV(t, res.Body); len(rows) != 11 {
		t.Errorf("one stage: %d rows, want 10 tasks and the header", len(rows))
	}
	res = app.checklist(t, m.ID, "format=csv&stage=no-such-stage", "")
	if res.Status != 422 || res.kind(t) != "unknown-stage" {
		t.Errorf("unknown stage: %d %s", res.Status, res.Body)
	}
}

func TestChecklistMarkdown(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	fdp := app.seedTask(t, m.ID, "agree-fdp-date")
	app.doTask(t, fdp, map[string]any{"status": "done", "notes": "see [this](javascript:alert(1)) | *not bold*"})

	res := must(t, app.checklist(t, m.ID, "stage=final-data-production-and-cutover", "text/markdown"), http.StatusOK)
	md := string(res.Body)
	open, ticked := strings.Count(md, "\n- [ ] "), strings.Count(md, "\n- [x] ")
	if open != 9 || ticked != 1 {
		t.Errorf("%d open and %d ticked boxes, want 9 and 1", open, ticked)
	}
	for _, want := range []string{
		"## Stage 6: Final data production and cutover",
		"### Final data production tasks",
		"#### Agree on final data production date",
		"| New supplier name | Contact details | Final data production date |",
		"- [x] **Fix the FDP date with the new supplier**",
		`Notes: see \[this\](javascript:alert(1)) \| \*not bold\*`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q", want)
		}
	}
}

// --- calendars ---

func parseCalendar(t *testing.T, body []byte) *ics.Calendar {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Fatalf("line %d is %d octets long: lines must be folded at 75", i+1, len(line))
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare line break", i+1)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse calendar: %v", err)
	}
	return cal
}

func eventsByUID(t *testing.T, cal *ics.Calendar) map[string]*ics.VEvent {
	t.Helper()
	out := map[string]*ics.VEvent{}
	for _, e := range cal.Events() {
		out[e.Id()] = e
	}
	return out
}

func TestCalendar(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	path := "/v1/migrations/" + m.ID + "/calendar.ics"
	first := must(t, app.get(t, path), http.StatusOK)
	if ct := first.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	cal := parseCalendar(t, first.Body)
	events := eventsByUID(t, cal)
	dated := app.tasks(t, m.ID, "due_after=2000-01-01")
	if want := 3 + len(dated); len(events) != want {
		t.Fatalf("%d events, want %d: 3 key dates and %d dated tasks", len(events), want, len(dated))
	}
	fdpEvent := events[m.ID+"-fdp_date@cutover"]
	if fdpEvent == nil {
		t.Fatal("no FDP event")
	}
	start := fdpEvent.GetProperty(ics.ComponentPropertyDtStart)
	end := fdpEvent.GetProperty(ics.ComponentPropertyDtEnd)
	if start.Value != "20270310" || end.Value != "20270311" || start.ICalParameters["VALUE"][0] != "DATE" {
		t.Errorf("FDP event runs %v to %v, want the all-day 10 March 2027", start, end)
	}
	tk := app.seedTask(t, m.ID, "agree-fdp-date")
	ev := events[tk.ID+"@cutover"]
	if ev == nil || ev.GetProperty(ics.ComponentPropertyDtStart).Value != "20270210" {
		t.Fatalf("task event %v", ev)
	}
	if !strings.Contains(ev.GetProperty(ics.ComponentPropertySummary).Value, tk.Title) {
		t.Errorf("task event summary %q", ev.GetProperty(ics.ComponentPropertySummary).Value)
	}

	// Unchanged: the same bytes, and If-None-Match saves sending them.
	again := must(t, app.get(t, path), http.StatusOK)
	if !bytes.Equal(again.Body, first.Body) {
		t.Error("the same state rendered differently")
	}
	must(t, app.do(t, req{method: http.MethodGet, path: path, header: map[string]string{"If-None-Match": etagOf(first)}}), http.StatusNotModified)

	// A change keeps every UID and raises the SEQUENCE of what changed.
	app.doTask(t, tk, map[string]any{"due_date": "2027-02-01"})
	after := eventsByUID(t, parseCalendar(t, must(t, app.get(t, path), http.StatusOK).Body))
	if len(after) != len(events) {
		t.Fatalf("%d events after the change, %d before", len(after), len(events))
	}
	for uid := range events {
		if after[uid] == nil {
			t.Fatalf("event %s disappeared: a subscribed calendar would duplicate it", uid)
		}
	}
	moved := after[tk.ID+"@cutover"]
	if moved.GetProperty(ics.ComponentPropertyDtStart).Value != "20270201" || moved.GetProperty(ics.ComponentPropertySequence).Value != "2" {
		t.Errorf("moved task: start %s sequence %s", moved.GetProperty(ics.ComponentPropertyDtStart).Value,
			moved.GetProperty(ics.ComponentPropertySequence).Value)
	}
}

type calendarFeed struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

func TestCalendarFeeds(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	feeds := "/v1/migrations/" + m.ID + "/calendar-feeds"
	var feed calendarFeed
	res := must(t, app.post(t, feeds, map[string]any{"label": "Project manager's Outlook"}), http.StatusCreated)
	res.decode(t, &feed)
	if !strings.HasPrefix(feed.URL, "/v1/calendar-feeds/"+feed.ID+"/calendar.ics?key=cal_") {
		t.Fatalf("feed URL %q", feed.URL)
	}
	key := feed.URL[strings.Index(feed.URL, "key=")+4:]

	// No bearer token: the key in the URL is the credential.
	body := must(t, app.do(t, req{method: http.MethodGet, path: feed.URL, token: "-"}), http.StatusOK).Body
	withToken := must(t, app.get(t, "/v1/migrations/"+m.ID+"/calendar.ics"), http.StatusOK).Body
	if !bytes.Equal(body, withToken) {
		t.Error("the feed differs from the migration's calendar")
	}
	parseCalendar(t, body)

	list := must(t, app.get(t, feeds), http.StatusOK)
	if bytes.Contains(list.Body, []byte(key)) || !bytes.Contains(list.Body, []byte(feed.ID)) {
		t.Errorf("list: %s", list.Body)
	}
	for _, tc := range []struct{ name, path string }{
		{"wrong key", "/v1/calendar-feeds/" + feed.ID + "/calendar.ics?key=cal_wrong"},
		{"unknown feed", "/v1/calendar-feeds/0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c0a/calendar.ics?key=" + key},
	} {
		if res := app.do(t, req{method: http.MethodGet, path: tc.path, token: "-"}); res.Status != 404 {
			t.Errorf("%s: %d", tc.name, res.Status)
		}
	}
	if res := app.do(t, req{method: http.MethodGet, path: "/v1/calendar-feeds/" + feed.ID + "/calendar.ics", token: "-"}); res.Status != 400 {
		t.Errorf("no key: %d", res.Status)
	}

	must(t, app.delete(t, feeds+"/"+feed.ID), http.StatusNoContent)
	if res := app.do(t, req{method: http.MethodGet, path: feed.URL, token: "-"}); res.Status != 404 {
		t.Errorf("revoked feed answered %d", res.Status)
	}
	must(t, app.delete(t, feeds+"/"+feed.ID), http.StatusNotFound)
	var pg page[calendarFeed]
	must(t, app.get(t, feeds), http.StatusOK).decode(t, &pg)
	if len(pg.Items) != 0 {
		t.Errorf("revoked feed still listed: %v", pg.Items)
	}

	// Another organisation cannot make a feed of this migration.
	_, otherTokens := app.newOrganisation(t, "Other CSU")
	other := otherTokens["editor"]
	if res := app.do(t, req{method: http.MethodPost, path: feeds, body: map[string]any{"label": "x"}, token: other}); res.Status != 404 {
		t.Errorf("other organisation: %d", res.Status)
	}
	// Nor read any of its outputs: they are 404s, as if the migration did not exist.
	for _, p := range []string{"/checklist", "/checklist?format=csv", "/calendar.ics", "/calendar-feeds"} {
		if res := app.do(t, req{method: http.MethodGet, path: "/v1/migrations/" + m.ID + p, token: other}); res.Status != 404 {
			t.Errorf("other organisation, %s: %d", p, res.Status)
		}
	}
	// A viewer cannot make one.
	viewer := app.newToken(t, "", "viewer")
	if res := app.do(t, req{method: http.MethodPost, path: feeds, body: map[string]any{"label": "x"}, token: viewer}); res.Status != 403 {
		t.Errorf("viewer: %d", res.Status)
	}
}

// newToken creates a token (in the given organisation, or the operator's) and returns its value.
func (a *testApp) newToken(t *testing.T, orgID, role string) string {
	t.Helper()
	body := map[string]any{"name": fmt.Sprintf("%s-%s", role, orgID), "role": role}
	if orgID != "" {
		body["organisation_id"] = orgID
	}
	var tok struct {
		Token string `json:"token"`
	}
	must(t, a.post(t, "/v1/tokens", body), http.StatusCreated).decode(t, &tok)
	return tok.Token
}

// Each reminder of an open task rings in the calendar, as a VALARM at the reminder's instant;
// moving go live moves it, and completing the task takes it away.
func TestCalendarAlarms(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	path := "/v1/migrations/" + m.ID + "/calendar.ics"
	sample := app.seedTask(t, m.ID, "random-sample-reminder")
	alarms := func() []string {
		ev := eventsByUID(t, parseCalendar(t, must(t, app.get(t, path), http.StatusOK).Body))[sample.ID+"@cutover"]
		if ev == nil {
			t.Fatal("no event for the random-sample task")
		}
		var out []string
		for _, a := range ev.Alarms() {
			tr := a.GetProperty(ics.ComponentPropertyTrigger)
			out = append(out, tr.ICalParameters["VALUE"][0]+":"+tr.Value+":"+a.GetProperty(ics.ComponentPropertyAction).Value)
		}
		return out
	}
	// Go live is 12 March 2027, in GMT: 09:00 London is 09:00Z.
	if got := alarms(); len(got) != 1 || got[0] != "DATE-TIME:20270312T090000Z:DISPLAY" {
		t.Fatalf("alarms %v", got)
	}
	// In summer time, 09:00 London is 08:00Z.
	must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"go_live_date": "2027-04-06", "fdp_date": "2027-04-05", "final_extract_date": "2027-04-05"}, ""), http.StatusOK)
	if got := alarms(); len(got) != 1 || got[0] != "DATE-TIME:20270406T080000Z:DISPLAY" {
		t.Fatalf("alarms after moving go live %v", got)
	}
	must(t, app.patch(t, sample.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	if got := alarms(); len(got) != 0 {
		t.Fatalf("a completed task still rings: %v", got)
	}
}
