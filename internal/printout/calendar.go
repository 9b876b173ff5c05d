package printout

import (
	"fmt"
	"strings"

	ics "github.com/arran4/golang-ical"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
)

// uidDomain ends every event UID. UIDs must never change for the same date or task: a calendar
// that fetches the file again matches events by UID and updates them rather than adding copies.
const uidDomain = "@cutover"

// KeyDateUID is the UID of a migration's key date event.
func KeyDateUID(m *cutover.Migration, field string) string {
	return m.ID.String() + "-" + field + uidDomain
}

// TaskUID is the UID of a task's event.
func TaskUID(t *cutover.Task) string { return t.ID.String() + uidDomain }

// Calendar renders a migration as an RFC 5545 calendar: an all-day event for each key date that
// is set and for each task with a due date. SEQUENCE is the version of the migration (for key
// dates) or task, and DTSTAMP its last change, so the same state always gives the same file and a
// changed one tells calendars which events moved. Task notes are left out: a calendar is shared
// more widely than the checklist.
func Calendar(tpl *checklist.Template, m *cutover.Migration, tasks []cutover.Task) []byte {
	cal := ics.NewCalendarFor("cutover")
	cal.SetProductId("-//cutover//migration calendar//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	name := "Migration " + m.ODSCode + " " + m.PracticeName
	cal.SetName(name)
	cal.SetXWRCalName(name)
	cal.SetXWRTimezone("Europe/London")
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	for _, f := range schedule.KeyDateFields {
		d, ok := m.Dates[f]
		if !ok {
			continue
		}
		e := cal.AddEvent(KeyDateUID(m, f))
		e.SetDtStampTime(m.UpdatedAt)
		e.SetSequence(m.Version)
		e.SetAllDayStartAt(d)
		e.SetAllDayEndAt(d.AddDate(0, 0, 1))
		e.SetSummary(icsText(KeyDateLabel(f) + " – " + m.PracticeName + " (" + m.ODSCode + ")"))
		desc := fmt.Sprintf("Key date of the migration of %s (%s) from %s %s to %s %s.",
			m.PracticeName, m.ODSCode, m.CurrentSupplier, m.CurrentProduct, m.NewSupplier, m.NewProduct)
		if f == "final_extract_date" && m.FinalExtractTime != nil {
			desc += " Final extract at " + *m.FinalExtractTime + " (UK time)."
		}
		e.SetDescription(icsText(desc))
		e.AddCategory("Key date")
		e.SetProperty(ics.ComponentPropertyTransp, "TRANSPARENT")
	}
	for i := range tasks {
		t := &tasks[i]
		if t.DueDate == nil {
			continue
		}
		stage := t.Stage
		if st, ok := tpl.Stage(t.Stage); ok {
			stage = st.Title
		}
		e := cal.AddEvent(TaskUID(t))
		e.SetDtStampTime(t.UpdatedAt)
		e.SetSequence(t.Version)
		e.SetAllDayStartAt(*t.DueDate)
		e.SetAllDayEndAt(t.DueDate.AddDate(0, 0, 1))
		summary := t.Title + " (" + m.ODSCode + ")"
		switch t.Status {
		case cutover.TaskDone:
			summary = "Done: " + summary
		case cutover.TaskNotApplicable:
			summary = "Not applicable: " + summary
			e.SetStatus(ics.ObjectStatusCancelled)
		}
		e.SetSummary(icsText(summary))
		lines := []string{
			"Due: " + t.Title,
			"Stage: " + stage + " – " + t.Group,
			"Owner: " + roleName(t.OwnerRole),
			"Status: " + statusLabels[t.Status],
		}
		if t.Timing != nil {
			lines = append(lines, "When: "+*t.Timing)
		}
		if t.Guidance != "" {
			lines = append(lines, "", t.Guidance)
		}
		lines = append(lines, "", "Migration of "+m.PracticeName+" ("+m.ODSCode+") to "+m.NewSupplier+" "+m.NewProduct+".")
		e.SetDescription(icsText(strings.Join(lines, "\n")))
		e.AddCategory(icsText(stage))
		e.SetProperty(ics.ComponentPropertyTransp, "TRANSPARENT")
		// A finished task's reminders do not fire on the server; they must not ring in a
		// calendar either.
		if t.Status.Open() {
			addAlarms(e, t)
		}
	}
	// RFC 5545 wants CRLF; the library's default is the platform's newline.
	return []byte(cal.Serialize(ics.WithNewLineWindows))
}

// addAlarms gives a task's event one VALARM per reminder, at the reminder's own instant (an
// absolute trigger in UTC: the server has already read the due date in London time, summer time
// included), so the calendar rings when the server records its task.reminder event.
func addAlarms(e *ics.VEvent, t *cutover.Task) {
	for _, r := range t.Reminders {
		if r.FireAt == nil {
			continue
		}
		a := e.AddAlarm()
		a.SetAction(ics.ActionDisplay)
		a.SetTrigger(r.FireAt.UTC().Format("20060102T150405Z"), &ics.KeyValues{Key: "VALUE", Value: []string{"DATE-TIME"}})
		a.SetProperty(ics.ComponentPropertyDescription, icsText("Reminder: "+t.Title))
	}
}

// icsText makes text safe for an iCalendar TEXT value: the library escapes commas, semicolons,
// backslashes and line feeds, but a carriage return or other control character would end or
// corrupt the content line.
func icsText(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
