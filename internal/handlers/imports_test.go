package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type importResult struct {
	DryRun bool `json:"dry_run"`
	Count  int  `json:"count"`
	Items  []struct {
		Row     int     `json:"row"`
		ID      *string `json:"id"`
		ODSCode string  `json:"ods_code"`
		Tasks   int     `json:"tasks"`
	} `json:"items"`
}

// importCSV posts a CSV import as the given token ("" for the admin).
func (a *testApp) importCSV(t *testing.T, token, query, body string) response {
	t.Helper()
	path := "/v1/migrations/import"
	if query != "" {
		path += "?" + query
	}
	return a.do(t, req{method: http.MethodPost, path: path, body: body, token: token,
		header: map[string]string{"Content-Type": "text/csv; charset=utf-8"}})
}

// programme is a CSV of n planned migrations; bad, when not 0, is a row whose ODS code is wrong.
func programme(n, bad int) string {
	var b strings.Builder
	b.WriteString("ods_code,practice_name,current_supplier,current_product,new_supplier,new_product,fdp_date,final_extract_date,go_live_date,notes\r\n")
	for i := 1; i <= n; i++ {
		ods := fmt.Sprintf("C%05d", i)
		if i == bad {
			ods = "C1234"
		}
		fmt.Fprintf(&b, "%s,Practice %d,Supplier A,System One,Supplier B,System Two,2027-03-10,2027-03-10,2027-03-12,\"Wave %d, week 3\"\r\n", ods, i, i%4+1)
	}
	return b.String()
}

// migrationCount counts the organisation's migrations through the portfolio's totals.
func (a *testApp) migrationCount(t *testing.T, token string) int {
	t.Helper()
	var r portfolioReport
	must(t, a.as(t, token, http.MethodGet, "/v1/reports/portfolio?limit=1", nil, nil), http.StatusOK).decode(t, &r)
	return r.Totals.Migrations
}

func TestImportTwoHundred(t *testing.T) {
	app := newTestApp(t)
	_, orgTokens := app.newOrganisation(t, "Import CSU")
	org := orgTokens["editor"]

	// One bad row among 200: nothing is created and the row is named.
	res := app.importCSV(t, org, "", programme(200, 137))
	if res.Status != 422 || res.kind(t) != "invalid-import" {
		t.Fatalf("got %d: %s", res.Status, res.Body)
	}
	if got := res.fields(t); !slices.Equal(got, []string{"rows[137].ods_code"}) {
		t.Fatalf("errors name %v, want rows[137].ods_code only", got)
	}
	if n := app.migrationCount(t, org); n != 0 {
		t.Fatalf("%d migrations exist after a refused import", n)
	}

	// A dry run of the good file writes nothing either.
	var dry importResult
	must(t, app.importCSV(t, org, "dry_run=true", programme(200, 0)), http.StatusOK).decode(t, &dry)
	if !dry.DryRun || dry.Count != 200 || dry.Items[0].ID != nil || dry.Items[199].Row != 200 {
		t.Fatalf("dry run %+v", dry)
	}
	if n := app.migrationCount(t, org); n != 0 {
		t.Fatalf("%d migrations exist after a dry run", n)
	}

	start := time.Now()
	res = must(t, app.importCSV(t, org, "", programme(200, 0)), http.StatusCreated)
	took := time.Since(start)
	t.Logf("imported 200 migrations (%d tasks each) in %v", dry.Items[0].Tasks, took)
	var done importResult
	res.decode(t, &done)
	if done.DryRun || done.Count != 200 || done.Items[0].ID == nil || done.Items[0].ODSCode != "C00001" {
		t.Fatalf("import %+v", done)
	}
	if n := app.migrationCount(t, org); n != 200 {
		t.Fatalf("%d migrations after importing 200", n)
	}
	var m migration
	must(t, app.as(t, org, http.MethodGet, "/v1/migrations/"+*done.Items[41].ID, nil, nil), http.StatusOK).decode(t, &m)
	if m.Practice.ODSCode != "C00042" || m.Practice.Name != "Practice 42" || *m.FDPDate != "2027-03-10" || *m.Notes != "Wave 3, week 3" {
		t.Errorf("row 42 became %+v", m)
	}
	if n := len(app.tasks(t, m.ID, "")); n != done.Items[41].Tasks || n < 100 {
		t.Errorf("row 42 has %d tasks, the import said %d", n, done.Items[41].Tasks)
	}
	// Each migration was created as a single create would: with its audit events.
	var events page[struct {
		Action string `json:"action"`
	}]
	must(t, app.as(t, org, http.MethodGet, "/v1/migrations/"+m.ID+"/events?limit=1", nil, nil), http.StatusOK).decode(t, &events)
	if len(events.Items) != 1 || events.Items[0].Action != "migration.created" {
		t.Errorf("events %+v", events.Items)
	}
}

func TestImportErrors(t *testing.T) {
	app := newTestApp(t)
	const header = "ods_code,practice_name,current_supplier,current_product,new_supplier,new_product,fdp_date,go_live_date,notes\r\n"
	good := "A81001,The Densham Surgery,Supplier A,System One,Supplier B,System Two,2027-03-10,2027-03-12,\r\n"
	for _, tc := range []struct {
		name, body string
		wantFields []string
	}{
		{"every bad row and field", header +
			good +
			"a8100,,Supplier A,System One,Supplier B,System Two,2027-02-30,2027-03-12,\r\n" +
			"A81003,Third,Supplier A,System One,Supplier B,System Two,2027-03-20,2027-03-12,\r\n" +
			"A81001,Again,Supplier A,System One,Supplier B,System Two,,,\r\n",
			[]string{"rows[2].ods_code", "rows[2].practice_name", "rows[2].fdp_date", "rows[3].fdp_date", "rows[3].go_live_date", "rows[4].ods_code"}},
		{"patient data in notes", header + good +
			"A81002,Second,Supplier A,System One,Supplier B,System Two,,,call about 943 476 5919\r\n",
			[]string{"rows[2].notes"}},
		{"unknown and missing columns", "ods_code,practice,current_supplier,current_product,new_supplier,new_product\r\nA81001,x,a,b,c,d\r\n",
			[]string{"columns[2]", "columns.practice_name"}},
		{"too many cells", header + "A81001,The Densham Surgery,Supplier A,System One,Supplier B,System Two,,,,extra\r\n",
			[]string{"rows[1]"}},
		{"header only", header, []string{"rows"}},
		{"broken quote", header + "A81001,\"The Densham,Supplier A\r\n", []string{"rows[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.importCSV(t, "", "", tc.body)
			if res.Status != 422 {
				t.Fatalf("got %d: %s", res.Status, res.Body)
			}
			if got := res.fields(t); !slices.Equal(got, tc.wantFields) {
				t.Errorf("errors name %v, want %v\n%s", got, tc.wantFields, res.Body)
			}
			if strings.Contains(string(res.Body), "943 476 5919") {
				t.Error("the answer repeats the NHS number")
			}
		})
	}
}

func TestImportForgivingCSVAndJSON(t *testing.T) {
	app := newTestApp(t)
	// What a spreadsheet writes: a byte order mark, CRLF, headers in its own case, dates in the
	// English way, empty rows, trailing cells missing.
	body := "\ufeffODS Code,Practice Name,Current Supplier,Current Product,New Supplier,New Product,FDP_Date,Go-Live Date\r\n" +
		"a81001,The Densham Surgery,Supplier A,System One,Supplier B,System Two,10/03/2027,12/03/2027\r\n" +
		",,,,,,,\r\n" +
		"A81002,Second Surgery,Supplier A,System One,Supplier B,System Two\r\n"
	var r importResult
	must(t, app.importCSV(t, "", "", body), http.StatusCreated).decode(t, &r)
	if r.Count != 2 || r.Items[0].ODSCode != "A81001" || r.Items[1].Row != 3 {
		t.Fatalf("import %+v", r)
	}
	var m migration
	must(t, app.get(t, "/v1/migrations/"+*r.Items[0].ID), http.StatusOK).decode(t, &m)
	if m.FDPDate == nil || *m.FDPDate != "2027-03-10" || *m.GoLiveDate != "2027-03-12" {
		t.Errorf("dates %v %v", m.FDPDate, m.GoLiveDate)
	}

	// JSON rows go through the same checks, numbered from 1.
	rows := []map[string]any{
		{"ods_code": "B81001", "practice_name": "North", "current_supplier": "A", "current_product": "One",
			"new_supplier": "B", "new_product": "Two", "fdp_date": "2027-05-01", "go_live_date": "2027-05-03"},
		{"ods_code": "B81002", "practice_name": "South", "current_supplier": "A", "current_product": "One",
			"new_supplier": "B", "fdp_date": "next week"},
	}
	res := app.post(t, "/v1/migrations/import", rows)
	if res.Status != 422 || !slices.Equal(res.fields(t), []string{"rows[2].new_product", "rows[2].fdp_date"}) {
		t.Fatalf("got %d %v", res.Status, res.Body)
	}
	rows[1]["new_product"], rows[1]["fdp_date"] = "Two", "2027-05-08"
	must(t, app.post(t, "/v1/migrations/import", rows), http.StatusCreated).decode(t, &r)
	if r.Count != 2 {
		t.Fatalf("JSON import %+v", r)
	}
	if res := app.post(t, "/v1/migrations/import", []map[string]any{{"ods": "x"}}); res.Status != 400 {
		t.Errorf("unknown JSON field: %d", res.Status)
	}
	viewer := app.newToken(t, "", "viewer")
	if res := app.importCSV(t, viewer, "", body); res.Status != 403 {
		t.Errorf("viewer: %d", res.Status)
	}
}
