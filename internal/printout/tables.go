package printout

import (
	"strings"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

// The guide's fill-in tables are not stored: they are filled from the migration's contacts and
// key dates. A column is recognised by its heading; what is not recognised stays blank, to be
// written in by hand.

// columnDates maps a table column heading (lower case) to the key date it shows.
var columnDates = map[string]string{
	"final data production date":                  "fdp_date",
	"fdp date":                                    "fdp_date",
	"fdp and cutover":                             "fdp_date",
	"final data extract date":                     "final_extract_date",
	"final extract date and time":                 "final_extract_date",
	"go-live date":                                "go_live_date",
	"go live":                                     "go_live_date",
	"provisional go-live date":                    "go_live_date",
	"order date":                                  "order_date",
	"extract request date":                        "extract_request_date",
	"idp date":                                    "idp_date",
	"requested initial extract (idp) date":        "idp_date",
	"idp and data-checking days":                  "idp_date",
	"technical survey":                            "technical_survey_date",
	"survey date":                                 "technical_survey_date",
	"deployment date":                             "hardware_deployment_date",
	"training days":                               "training_start_date",
	"cutover planning meeting date":               "cutover_planning_meeting_date",
	"switch-off date (1–2 days before fdp)":       "links_off_date",
	"access end date":                             "legacy_access_end_date",
	"access end date (default go live + 90 days)": "legacy_access_end_date",
	"migration end date":                          "migration_end_date",
}

// listTables are tables of many entries (third parties, issues, activities), which get spare
// ruled rows; the others record one thing and get exactly one row.
func isListTable(tb checklist.Table) bool {
	return tb.ContactRole == "third_party" || tb.ContactRole == "other" || (tb.ContactRole == "" && tb.KeyDate == "")
}

const spareRows = 3

func fillTable(tb checklist.Table, m *cutover.Migration, contacts []cutover.Contact) tableView {
	v := tableView{Title: tb.Title, Columns: tb.Columns}
	var mine []*cutover.Contact
	if tb.ContactRole != "" {
		for i := range contacts {
			if contacts[i].Role == tb.ContactRole {
				mine = append(mine, &contacts[i])
			}
		}
	}
	if isListTable(tb) {
		for _, c := range mine {
			v.Rows = append(v.Rows, fillRow(tb, m, c))
		}
		for range spareRows {
			v.Rows = append(v.Rows, make([]string, len(tb.Columns)))
		}
		return v
	}
	if len(mine) == 0 {
		mine = []*cutover.Contact{nil}
	}
	for _, c := range mine {
		v.Rows = append(v.Rows, fillRow(tb, m, c))
	}
	return v
}

func fillRow(tb checklist.Table, m *cutover.Migration, c *cutover.Contact) []string {
	row := make([]string, len(tb.Columns))
	usedKeyDate := false
	for i, col := range tb.Columns {
		h := strings.ToLower(strings.TrimSpace(col))
		switch {
		case i == 0 && c != nil:
			row[i] = c.Organisation
		case i == 0 && tb.ContactRole == "new_supplier":
			row[i] = m.NewSupplier
		case i == 0 && tb.ContactRole == "current_supplier":
			row[i] = m.CurrentSupplier
		case strings.HasPrefix(h, "contact"):
			if c != nil {
				row[i] = contactDetails(c)
			}
		case h == "current supplier":
			row[i] = m.CurrentSupplier
		case h == "new supplier":
			row[i] = m.NewSupplier
		case h == "system/product" && tb.ContactRole == "new_supplier":
			row[i] = m.NewProduct
		default:
			if f, ok := columnDates[h]; ok {
				row[i] = dateCell(m, f)
				usedKeyDate = usedKeyDate || f == tb.KeyDate
			}
		}
	}
	if tb.KeyDate != "" && !usedKeyDate {
		// The table's own date goes in its first empty date column.
		for i, col := range tb.Columns {
			if row[i] == "" && strings.Contains(strings.ToLower(col), "date") {
				row[i] = dateCell(m, tb.KeyDate)
				break
			}
		}
	}
	return row
}

func dateCell(m *cutover.Migration, field string) string {
	d, ok := m.Dates[field]
	if !ok {
		return ""
	}
	s := printDate(d)
	if field == "final_extract_date" && m.FinalExtractTime != nil {
		s += " " + *m.FinalExtractTime
	}
	return s
}

// contactDetails is a contact's name, e-mail and phone, one to a line.
func contactDetails(c *cutover.Contact) string {
	var parts []string
	for _, p := range []*string{c.Name, c.Email, c.Phone} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	return strings.Join(parts, "\n")
}
