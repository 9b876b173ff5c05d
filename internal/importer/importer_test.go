package importer

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

func fields(errs []cutover.FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

func TestParseCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		wantRows   []int // the numbers of the rows read
		wantFields []string
	}{
		{"plain", "ods_code,practice_name,current_supplier,current_product,new_supplier,new_product\nA81001,P,A,B,C,D\n", []int{1}, nil},
		{"BOM, CRLF, any case, spaces", "\ufeff ODS Code ,Practice-Name,CURRENT_SUPPLIER,current product,new_supplier,new_product\r\nA81001,P,A,B,C,D\r\n", []int{1}, nil},
		{"blank rows keep the numbering", "ods_code,practice_name,current_supplier,current_product,new_supplier,new_product\n,,,,,\nA81001,P,A,B,C,D\n", []int{2}, nil},
		{"short rows are blanks at the end", "ods_code,practice_name,current_supplier,current_product,new_supplier,new_product,fdp_date\nA81001,P,A,B,C,D\n", []int{1}, nil},
		{"unknown column", "ods_code,practice_name,current_supplier,current_product,new_supplier,new_product,colour\nA81001,P,A,B,C,D,red\n", []int{1}, []string{"columns[7]"}},
		{"twice", "ods_code,ods_code,practice_name,current_supplier,current_product,new_supplier,new_product\n", nil, []string{"columns[2]"}},
		{"missing", "ods_code,practice_name\n", nil, []string{"columns.current_supplier", "columns.current_product", "columns.new_supplier", "columns.new_product"}},
		{"cell beyond the header", "ods_code,practice_name,current_supplier,current_product,new_supplier,new_product\nA81001,P,A,B,C,D,extra\n", []int{1}, []string{"rows[1]"}},
		{"empty", "", nil, []string{"body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs := ParseCSV([]byte(tc.in))
			var ns []int
			for _, r := range rows {
				ns = append(ns, r.N)
			}
			if !slices.Equal(ns, tc.wantRows) || !slices.Equal(fields(errs), tc.wantFields) {
				t.Errorf("rows %v errors %v, want rows %v errors %v", ns, errs, tc.wantRows, tc.wantFields)
			}
			if len(rows) > 0 && rows[0].Values["ods_code"] != "A81001" {
				t.Errorf("row values %v", rows[0].Values)
			}
		})
	}
}

func TestTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("ods_code,practice_name,current_supplier,current_product,new_supplier,new_product\n")
	for i := range MaxRows + 5 {
		fmt.Fprintf(&b, "A%05d,P,A,B,C,D\n", i)
	}
	rows, errs := ParseCSV([]byte(b.String()))
	if len(rows) != MaxRows || !slices.Equal(fields(errs), []string{"rows"}) || !strings.Contains(errs[0].Message, "1005 rows") {
		t.Errorf("%d rows, errors %v", len(rows), errs)
	}
	maps := make([]map[string]*string, MaxRows+1)
	if _, errs := FromMaps(maps); !slices.Equal(fields(errs), []string{"rows"}) {
		t.Errorf("JSON: errors %v", errs)
	}
}

func TestBuild(t *testing.T) {
	tpl := checklist.Builtin().Current()
	who := cutover.Caller{OrgID: uuid.New(), Name: "test", Role: cutover.RoleEditor}
	row := func(n int, kv ...string) Row {
		r := Row{N: n, Values: map[string]string{"ods_code": "A81001", "practice_name": "P", "current_supplier": "A",
			"current_product": "B", "new_supplier": "C", "new_product": "D"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(r.Values, kv[i])
			} else {
				r.Values[kv[i]] = kv[i+1]
			}
		}
		return r
	}
	for _, tc := range []struct {
		name       string
		rows       []Row
		wantFields []string
	}{
		{"good", []Row{row(1, "fdp_date", "10/03/2027", "go_live_date", "2027-03-12"), row(2, "ods_code", "a81002")}, nil},
		{"required", []Row{row(4, "new_product", "")}, []string{"rows[4].new_product"}},
		{"bad ODS code", []Row{row(1, "ods_code", "81001")}, []string{"rows[1].ods_code"}},
		{"bad date", []Row{row(1, "go_live_date", "31/02/2027")}, []string{"rows[1].go_live_date"}},
		{"dates that clash", []Row{row(1, "fdp_date", "2027-03-20", "go_live_date", "2027-03-12")}, []string{"rows[1].fdp_date", "rows[1].go_live_date"}},
		{"same practice twice", []Row{row(1), row(2, "ods_code", "a81001")}, []string{"rows[2].ods_code"}},
		{"too long", []Row{row(1, "practice_name", strings.Repeat("x", 201))}, []string{"rows[1].practice_name"}},
		{"control characters", []Row{row(1, "new_supplier", "a\x00b")}, []string{"rows[1].new_supplier"}},
		{"nothing", nil, []string{"rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			planned, errs := Build(tpl, tc.rows, who, time.Now())
			if !slices.Equal(fields(errs), tc.wantFields) {
				t.Fatalf("errors %v, want %v", errs, tc.wantFields)
			}
			if errs != nil {
				if planned != nil {
					t.Error("planned migrations returned with errors")
				}
				return
			}
			if len(planned) != len(tc.rows) || len(planned[0].Tasks) < 100 || planned[0].Migration.ODSCode != "A81001" {
				t.Fatalf("planned %d", len(planned))
			}
			if d := planned[0].Migration.Dates["fdp_date"]; !d.IsZero() && d.Format(time.DateOnly) != "2027-03-10" {
				t.Errorf("fdp_date %v", d)
			}
		})
	}
}
