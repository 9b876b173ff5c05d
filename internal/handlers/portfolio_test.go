package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type portfolioItem struct {
	MigrationID  string  `json:"migration_id"`
	Status       string  `json:"status"`
	CurrentStage *string `json:"current_stage"`
	Stages       []struct {
		Key             string `json:"key"`
		PercentComplete int    `json:"percent_complete"`
		SignedOff       bool   `json:"signed_off"`
		Tasks           struct {
			Total, Done, Overdue int
		} `json:"tasks"`
		MissingRoles []string `json:"missing_roles"`
	} `json:"stages"`
	OverdueTasks     int                 `json:"overdue_tasks"`
	MissingSignoffs  map[string][]string `json:"missing_signoffs"`
	TemplateVersion  string              `json:"template_version"`
	TemplateOutdated bool                `json:"template_outdated"`
}

type portfolioReport struct {
	Items      []portfolioItem `json:"items"`
	NextCursor *string         `json:"next_cursor"`
	Totals     struct {
		Migrations   int            `json:"migrations"`
		OverdueTasks int            `json:"overdue_tasks"`
		ByStatus     map[string]int `json:"by_status"`
	} `json:"totals"`
}

// finishStage marks every task of a stage done and signs it off in the given roles.
func (a *testApp) finishStage(t *testing.T, token, migrationID, stage string, roles ...string) {
	t.Helper()
	for _, tk := range a.tasks(t, migrationID, "stage="+stage) {
		must(t, a.as(t, token, http.MethodPatch, tk.url(), map[string]any{"status": "done"}, nil), http.StatusOK)
	}
	for _, r := range roles {
		must(t, a.as(t, token, http.MethodPost, "/v1/migrations/"+migrationID+"/signoffs", map[string]any{
			"stage": stage, "role": r, "name": "Alex Morgan", "statement": "All done."}, nil), http.StatusCreated)
	}
}

func TestPortfolio(t *testing.T) {
	now := time.Date(2027, 3, 11, 10, 0, 0, 0, time.UTC)
	app := newTestApp(t, withClock(func() time.Time { return now }))
	_, xt := app.newOrganisation(t, "North CSU")
	_, yt := app.newOrganisation(t, "South CSU")
	x, y := xt["editor"], yt["editor"]
	create := func(token, ods, supplier, fdp, golive string) migration {
		body := newMigration(ods)
		body["new_system"] = map[string]any{"supplier": supplier, "product": "System Two"}
		body["fdp_date"], body["final_extract_date"], body["go_live_date"] = fdp, fdp, golive
		var m migration
		must(t, app.as(t, token, http.MethodPost, "/v1/migrations", body, nil), http.StatusCreated).decode(t, &m)
		return m
	}
	m1 := create(x, "A81001", "Supplier B", "2027-03-20", "2027-03-23")
	m2 := create(x, "A81002", "Other Co", "2027-03-01", "2027-03-05")
	m3 := create(x, "A81003", "Supplier B", "2027-04-01", "2027-04-03")
	must(t, app.as(t, x, http.MethodPatch, "/v1/migrations/"+m3.ID, map[string]any{"status": "cancelled"}, nil), http.StatusOK)
	theirs := create(y, "B82001", "Supplier B", "2027-03-20", "2027-03-23")

	// m1: the first stage done and signed off; FDP and cutover done, signed by one role of two.
	app.finishStage(t, x, m1.ID, "buying-a-new-system-and-preparing-for-migration", "project_manager", "practice_manager")
	app.finishStage(t, x, m1.ID, "final-data-production-and-cutover", "project_manager")

	get := func(token, query string) portfolioReport {
		t.Helper()
		var r portfolioReport
		must(t, app.as(t, token, http.MethodGet, "/v1/reports/portfolio?"+query, nil, nil), http.StatusOK).decode(t, &r)
		return r
	}
	all := get(x, "")
	if len(all.Items) != 2 || all.Items[0].MigrationID != m1.ID || all.Items[1].MigrationID != m2.ID {
		t.Fatalf("items %+v, want m1 and m2 only (m3 is cancelled, the other is another organisation's)", all.Items)
	}
	overdue := map[string]int{}
	for _, m := range []migration{m1, m2} {
		overdue[m.ID] = len(app.tasks(t, m.ID, "overdue=true"))
	}
	if overdue[m2.ID] == 0 {
		t.Fatal("the test needs m2 to have overdue tasks")
	}
	for _, it := range all.Items {
		if it.OverdueTasks != overdue[it.MigrationID] {
			t.Errorf("%s: %d overdue, the task list says %d", it.MigrationID, it.OverdueTasks, overdue[it.MigrationID])
		}
		if it.TemplateVersion != "2025-03-27" || it.TemplateOutdated {
			t.Errorf("%s: template %s outdated %v", it.MigrationID, it.TemplateVersion, it.TemplateOutdated)
		}
	}
	one := all.Items[0]
	if one.CurrentStage == nil || *one.CurrentStage != "kick-off-meeting" {
		t.Errorf("m1 current stage %v, want kick-off-meeting (the first stage not signed off)", one.CurrentStage)
	}
	if got := fmt.Sprint(one.MissingSignoffs); got != "map[final-data-production-and-cutover:[practice_manager]]" {
		t.Errorf("m1 missing sign-offs %s", got)
	}
	stages := map[string]int{}
	for _, st := range one.Stages {
		stages[st.Key] = st.PercentComplete
		if st.Key == "buying-a-new-system-and-preparing-for-migration" && (!st.SignedOff || st.Tasks.Done != st.Tasks.Total || len(st.MissingRoles) != 0) {
			t.Errorf("first stage %+v", st)
		}
	}
	if stages["buying-a-new-system-and-preparing-for-migration"] != 100 || stages["final-data-production-and-cutover"] != 100 || stages["kick-off-meeting"] != 0 {
		t.Errorf("m1 percentages %v", stages)
	}
	two := all.Items[1]
	if two.CurrentStage == nil || *two.CurrentStage != "buying-a-new-system-and-preparing-for-migration" || len(two.MissingSignoffs) != 0 {
		t.Errorf("m2 current stage %v, missing %v", two.CurrentStage, two.MissingSignoffs)
	}
	if all.Totals.Migrations != 2 || all.Totals.OverdueTasks != overdue[m1.ID]+overdue[m2.ID] || all.Totals.ByStatus["planned"] != 2 {
		t.Errorf("totals %+v", all.Totals)
	}

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"FDP within 30 days", "fdp_within_days=30", []string{m1.ID}},
		{"FDP today only", "fdp_within_days=0", nil},
		{"supplier, any case", "supplier=" + url.QueryEscape("OTHER co"), []string{m2.ID}},
		{"status", "status=cutover", nil},
		{"status planned", "status=planned", []string{m1.ID, m2.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(x, tc.query)
			var got []string
			for _, it := range r.Items {
				got = append(got, it.MigrationID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || r.Totals.Migrations != len(tc.want) {
				t.Errorf("got %v (total %d), want %v", got, r.Totals.Migrations, tc.want)
			}
		})
	}

	// Pages: totals cover every page.
	p1 := get(x, "limit=1")
	if len(p1.Items) != 1 || p1.NextCursor == nil || p1.Totals.Migrations != 2 {
		t.Fatalf("first page %+v", p1)
	}
	p2 := get(x, "limit=1&cursor="+*p1.NextCursor)
	if len(p2.Items) != 1 || p2.Items[0].MigrationID != m2.ID || p2.NextCursor != nil {
		t.Fatalf("second page %+v", p2)
	}

	// The other organisation sees its own migration and nothing of ours.
	if r := get(y, ""); len(r.Items) != 1 || r.Items[0].MigrationID != theirs.ID || r.Totals.Migrations != 1 {
		t.Errorf("other organisation's portfolio %+v", r)
	}

	// CSV: one row per migration.
	res := must(t, app.do(t, req{method: http.MethodGet, path: "/v1/reports/portfolio", token: x,
		header: map[string]string{"Accept": "text/csv"}}), http.StatusOK)
	rows := readCSV(t, res.Body)
	if len(rows) != 3 || rows[1][0] != m1.ID || rows[2][1] != "A81002" {
		t.Fatalf("CSV rows %q", rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["current_stage"]] != "kick-off-meeting" || rows[1][col["missing_signoffs"]] != "final-data-production-and-cutover: practice_manager" ||
		rows[1][col["buying-a-new-system-and-preparing-for-migration_percent"]] != "100" || rows[2][col["overdue_tasks"]] != fmt.Sprint(overdue[m2.ID]) {
		t.Errorf("CSV row %q", rows[1])
	}
	if res := app.do(t, req{method: http.MethodGet, path: "/v1/reports/portfolio", token: x,
		header: map[string]string{"Accept": "text/html"}}); res.Status != 406 {
		t.Errorf("Accept text/html: %d", res.Status)
	}
	if res := app.as(t, x, http.MethodGet, "/v1/reports/portfolio?format=csv", nil, nil); !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("format=csv: %s", res.Header.Get("Content-Type"))
	}
}
