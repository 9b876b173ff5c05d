// Package importer reads a programme's list of planned migrations (a CSV export of a spreadsheet,
// or JSON rows) and turns every row into a migration with its checklist, or names every bad row
// and field. It is plain Go on cutover's types: no HTTP, no database, no generated API. The
// patient-data guard is the caller's: it depends on how the server is configured.
package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
	"github.com/cutoverhq/cutover/internal/workflow"
)

// MaxRows is the most rows one import may hold: a region's programme, not a data dump.
const MaxRows = 1000

// Row is one data row: its 1-based number as the user sees it (the header is not counted) and its
// values by column name. Blank cells are absent.
type Row struct {
	N      int
	Values map[string]string
}

// The columns an import knows, besides the key date fields.
var (
	required = []string{"ods_code", "practice_name", "current_supplier", "current_product", "new_supplier", "new_product"}
	optional = []string{"notes"}
)

// Columns lists every column name an import accepts.
func Columns() []string {
	return slices.Concat(required, optional, schedule.KeyDateFields)
}

func isColumn(name string) bool { return slices.Contains(Columns(), name) }

// field names a row's field as the errors say it: rows[3].ods_code.
func field(n int, name string) string { return fmt.Sprintf("rows[%d].%s", n, name) }

// normaliseHeader makes "ODS code", "ods-code" and " ODS_Code " all "ods_code".
func normaliseHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

// ParseCSV reads a CSV export: a header row, then one row per migration. A UTF-8 byte order mark,
// CRLF line ends, header names in any case and rows with trailing cells missing are all accepted,
// since that is what spreadsheets write.
func ParseCSV(data []byte) ([]Row, []cutover.FieldError) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // ragged rows are reported per row below, not as one parse failure
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, []cutover.FieldError{{Field: "body", Message: "is empty: send a header row, then one row per migration"}}
	}
	if err != nil {
		return nil, []cutover.FieldError{{Field: "body", Message: "is not valid CSV: " + csvReason(err)}}
	}
	var errs []cutover.FieldError
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := normaliseHeader(h)
		cols[i] = name
		where := fmt.Sprintf("columns[%d]", i+1)
		switch {
		case name == "":
			// An unnamed column is harmless if it stays empty; cells in it are reported per row.
		case !isColumn(name):
			errs = append(errs, cutover.FieldError{Field: where,
				Message: fmt.Sprintf("%q is not a column of the import; the columns are %s", strings.TrimSpace(h), strings.Join(Columns(), ", "))})
		case seen[name]:
			errs = append(errs, cutover.FieldError{Field: where, Message: fmt.Sprintf("%q appears twice", name)})
		}
		seen[name] = true
	}
	for _, c := range required {
		if !seen[c] {
			errs = append(errs, cutover.FieldError{Field: "columns." + c, Message: "is required: add a column with this name"})
		}
	}
	var rows []Row
	n := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		n++
		if err != nil {
			errs = append(errs, cutover.FieldError{Field: fmt.Sprintf("rows[%d]", n), Message: "is not valid CSV: " + csvReason(err)})
			return nil, errs // after a broken quote the reader cannot find the next row reliably
		}
		if n > MaxRows {
			continue // only counted, so the error can say how many there were
		}
		row := Row{N: n, Values: map[string]string{}}
		for i, cell := range rec {
			cell = strings.TrimSpace(cell)
			if cell == "" {
				continue
			}
			if i >= len(cols) || cols[i] == "" {
				errs = append(errs, cutover.FieldError{Field: fmt.Sprintf("rows[%d]", n),
					Message: fmt.Sprintf("has a value in column %d, which has no name in the header row", i+1)})
				continue
			}
			row.Values[cols[i]] = cell
		}
		rows = append(rows, row)
	}
	if n > MaxRows {
		errs = append(errs, tooMany(n))
	}
	return dropBlank(rows), errs
}

func tooMany(n int) cutover.FieldError {
	return cutover.FieldError{Field: "rows", Message: fmt.Sprintf("has %d rows; at most %d can be imported at once", n, MaxRows)}
}

// dropBlank leaves out rows with no value at all (spreadsheets export empty rows as ",,,,"),
// keeping the numbers of the others.
func dropBlank(rows []Row) []Row {
	return slices.DeleteFunc(rows, func(r Row) bool { return len(r.Values) == 0 })
}

// csvReason is encoding/csv's complaint without its position prefix, which counts lines from the
// start of the body rather than rows.
func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// FromMaps turns JSON rows (column name to value, nil or "" for none) into rows numbered from 1.
func FromMaps(in []map[string]*string) ([]Row, []cutover.FieldError) {
	if len(in) > MaxRows {
		return nil, []cutover.FieldError{tooMany(len(in))}
	}
	rows := make([]Row, 0, len(in))
	for i, m := range in {
		row := Row{N: i + 1, Values: map[string]string{}}
		for k, v := range m {
			if v != nil && strings.TrimSpace(*v) != "" {
				row.Values[k] = strings.TrimSpace(*v)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Planned is one row ready to be written: the migration and its checklist.
type Planned struct {
	Row       int
	Migration cutover.Migration
	Tasks     []cutover.Task
}

var odsPattern = regexp.MustCompile(`^[A-Z][0-9]{5}$`)

// Build checks every row and makes its migration and checklist from the template, exactly as a
// single create would. It returns every fault of every row, or none and every migration.
func Build(tpl *checklist.Template, rows []Row, who cutover.Caller, now time.Time) ([]Planned, []cutover.FieldError) {
	if len(rows) == 0 {
		return nil, []cutover.FieldError{{Field: "rows", Message: "is empty: there is no migration to import"}}
	}
	var errs []cutover.FieldError
	var out []Planned
	firstRow := map[string]int{} // ODS code -> the row it first appeared in
	for _, row := range rows {
		in, bad := input(row)
		if in.ODSCode != "" {
			if first, dup := firstRow[in.ODSCode]; dup {
				bad = append(bad, cutover.FieldError{Field: field(row.N, "ods_code"),
					Message: fmt.Sprintf("%s is also in row %d; import each practice once", in.ODSCode, first)})
			} else {
				firstRow[in.ODSCode] = row.N
			}
		}
		if len(bad) > 0 {
			errs = append(errs, bad...)
			continue
		}
		m, tasks, err := workflow.NewMigration(tpl, in, who, now)
		if err != nil {
			var v *cutover.ValidationError
			if !errors.As(err, &v) {
				return nil, []cutover.FieldError{{Field: fmt.Sprintf("rows[%d]", row.N), Message: err.Error()}}
			}
			for _, f := range v.Fields {
				errs = append(errs, cutover.FieldError{Field: field(row.N, f.Field), Message: f.Message})
			}
			continue
		}
		out = append(out, Planned{Row: row.N, Migration: m, Tasks: tasks})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// input reads one row into what a single create takes, naming each bad value.
func input(row Row) (workflow.MigrationInput, []cutover.FieldError) {
	var errs []cutover.FieldError
	v := row.Values
	text := func(name string, max int) string {
		s, ok := v[name]
		switch {
		case !ok && slices.Contains(required, name):
			errs = append(errs, cutover.FieldError{Field: field(row.N, name), Message: "is required"})
		case utf8.RuneCountInString(s) > max:
			errs = append(errs, cutover.FieldError{Field: field(row.N, name), Message: fmt.Sprintf("is longer than %d characters", max)})
		case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }):
			errs = append(errs, cutover.FieldError{Field: field(row.N, name), Message: "contains control characters"})
		}
		return s
	}
	ods := strings.ToUpper(text("ods_code", 20))
	if ods != "" && !odsPattern.MatchString(ods) {
		errs = append(errs, cutover.FieldError{Field: field(row.N, "ods_code"), Message: "must be one letter then five digits, such as A81001"})
	}
	in := workflow.MigrationInput{
		ODSCode:         ods,
		PracticeName:    text("practice_name", 200),
		CurrentSupplier: text("current_supplier", 200),
		CurrentProduct:  text("current_product", 200),
		NewSupplier:     text("new_supplier", 200),
		NewProduct:      text("new_product", 200),
		Dates:           map[string]cutover.Date{},
	}
	if notes := text("notes", 10000); notes != "" {
		in.Notes = &notes
	}
	for _, f := range schedule.KeyDateFields {
		s, ok := v[f]
		if !ok {
			continue
		}
		d, err := parseDate(s)
		if err != nil {
			errs = append(errs, cutover.FieldError{Field: field(row.N, f), Message: err.Error()})
			continue
		}
		in.Dates[f] = d
	}
	return in, errs
}

// parseDate reads YYYY-MM-DD, and DD/MM/YYYY too: spreadsheets in England rewrite dates that way
// when they save a CSV.
func parseDate(s string) (cutover.Date, error) {
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, nil
		}
	}
	return cutover.Date{}, errors.New("must be a real calendar date written YYYY-MM-DD (or DD/MM/YYYY)")
}

// FreeText is one free-text value of a row, named as errors name it, for the patient-data guard.
type FreeText struct {
	Field, Text string
}

// FreeTexts lists the free text of every row: the practice name and the notes, as a single
// create checks them.
func FreeTexts(rows []Row) []FreeText {
	var out []FreeText
	for _, r := range rows {
		for _, name := range []string{"practice_name", "notes"} {
			if s, ok := r.Values[name]; ok {
				out = append(out, FreeText{Field: field(r.N, name), Text: s})
			}
		}
	}
	return out
}
