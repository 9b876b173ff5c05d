package printout

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

// utf8BOM tells spreadsheet programs the file is UTF-8; without it Excel reads the guide's dashes
// and quotes as Windows-1252.
const utf8BOM = "\ufeff"

// SafeCell neutralises a cell that a spreadsheet would run as a formula: one starting with =, +,
// -, @, a tab or a carriage return is prefixed with a single quote, so it shows as the text it is
// (OWASP's advice against CSV injection).
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSVWriter writes RFC 4180 CSV for spreadsheets: a byte order mark, CRLF line ends, quoting where
// needed and every cell through SafeCell.
type CSVWriter struct {
	b bytes.Buffer
	w *csv.Writer
}

// NewCSVWriter starts a CSV document.
func NewCSVWriter() *CSVWriter {
	c := &CSVWriter{}
	c.b.WriteString(utf8BOM)
	c.w = csv.NewWriter(&c.b)
	c.w.UseCRLF = true
	return c
}

// Row writes one row.
func (c *CSVWriter) Row(cells ...string) {
	safe := make([]string, len(cells))
	for i, s := range cells {
		safe[i] = SafeCell(s)
	}
	_ = c.w.Write(safe) // writes to a bytes.Buffer, which cannot fail
}

// Bytes ends the document and returns it.
func (c *CSVWriter) Bytes() ([]byte, error) {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return nil, fmt.Errorf("write CSV: %w", err)
	}
	return c.b.Bytes(), nil
}

// ChecklistColumns are the columns of the checklist CSV.
var ChecklistColumns = []string{"stage", "group", "title", "status", "owner_role", "due_date", "completed_at", "notes"}

// CSV renders the checklist as one row per task, in checklist order, under a header row.
func CSV(in Input) ([]byte, error) {
	c := NewCSVWriter()
	c.Row(ChecklistColumns...)
	stages := in.stagesOf()
	order := func(key string) int {
		return slices.IndexFunc(stages, func(s checklist.Stage) bool { return s.Key == key })
	}
	tasks := slices.Clone(in.Tasks)
	tasks = slices.DeleteFunc(tasks, func(t cutover.Task) bool { return order(t.Stage) < 0 })
	slices.SortStableFunc(tasks, func(a, b cutover.Task) int {
		if d := order(a.Stage) - order(b.Stage); d != 0 {
			return d
		}
		return a.Position - b.Position
	})
	for _, t := range tasks {
		due, completed := "", ""
		if t.DueDate != nil {
			due = cutover.FormatDate(*t.DueDate)
		}
		if t.CompletedAt != nil {
			completed = t.CompletedAt.UTC().Format(time.RFC3339)
		}
		c.Row(t.Stage, t.Group, t.Title, string(t.Status), t.OwnerRole, due, completed, deref(t.Notes))
	}
	return c.Bytes()
}
