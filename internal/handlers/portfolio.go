package handlers

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/printout"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/workflow"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

type nullableDate = nullable.Nullable[openapi_types.Date]

// GetPortfolio reports on every active migration of the caller's organisation, as JSON or CSV.
func (s *Server) GetPortfolio(ctx context.Context, req api.GetPortfolioRequestObject) (api.GetPortfolioResponseObject, error) {
	p := req.Params
	asCSV := false
	if p.Format != nil {
		asCSV = *p.Format == "csv"
	} else {
		mt, err := negotiate(acceptFrom(ctx), "application/json", "text/csv")
		if err != nil {
			return nil, err
		}
		asCSV = mt == "text/csv"
	}
	today := cutover.Today(s.now())
	f := store.PortfolioFilter{Supplier: deref(p.Supplier), Today: today}
	if p.Status != nil {
		f.Status = string(*p.Status)
	}
	if p.FdpWithinDays != nil {
		to := today.AddDate(0, 0, *p.FdpWithinDays)
		f.FDPFrom, f.FDPTo = &today, &to
	}
	pf, next, err := s.store.Portfolio(ctx, callerFrom(ctx), f, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("portfolio: %w", err)
	}
	items := make([]api.PortfolioItem, len(pf.Migrations))
	for i := range pf.Migrations {
		items[i] = s.portfolioItem(&pf.Migrations[i], pf)
	}
	link := nextLink(ctx, next)
	if asCSV {
		body, err := s.portfolioCSV(items)
		if err != nil {
			return nil, err
		}
		h := map[string]string{"Vary": "Accept", "Content-Disposition": attachment("portfolio.csv")}
		if link != nil {
			h["Link"] = *link
		}
		return textResponse{contentType: "text/csv; charset=utf-8; header=present", header: h, body: body}, nil
	}
	out := api.PortfolioReport{Items: items, NextCursor: nullableString(next)}
	out.Totals.Migrations = pf.Totals.Migrations
	out.Totals.OverdueTasks = pf.Totals.OverdueTasks
	out.Totals.ByStatus.Planned = pf.Totals.ByStatus[string(cutover.StatusPlanned)]
	out.Totals.ByStatus.InProgress = pf.Totals.ByStatus[string(cutover.StatusInProgress)]
	out.Totals.ByStatus.Cutover = pf.Totals.ByStatus[string(cutover.StatusCutover)]
	out.Totals.ByStatus.Live = pf.Totals.ByStatus[string(cutover.StatusLive)]
	return api.GetPortfolio200JSONResponse{Body: out,
		Headers: api.GetPortfolio200ResponseHeaders{Link: link, Vary: ptr("Accept")}}, nil
}

func (s *Server) portfolioItem(m *cutover.Migration, pf store.Portfolio) api.PortfolioItem {
	counts := map[string]workflow.Counts{}
	for stage, c := range pf.Counts[m.ID] {
		counts[stage] = workflow.Counts{Total: c.Total, Done: c.Done, NotApplicable: c.NotApplicable, Open: c.Open, Overdue: c.Overdue}
	}
	prog := workflow.MigrationProgress(s.templateOf(m), m, counts, pf.Signoffs[m.ID])
	item := api.PortfolioItem{
		MigrationId:      m.ID,
		OrganisationId:   m.OrgID,
		Practice:         api.Practice{OdsCode: m.ODSCode, Name: m.PracticeName},
		CurrentSystem:    api.ClinicalSystem{Supplier: m.CurrentSupplier, Product: m.CurrentProduct},
		NewSystem:        api.ClinicalSystem{Supplier: m.NewSupplier, Product: m.NewProduct},
		Status:           api.MigrationStatus(m.Status),
		FdpDate:          dateOrNull(m.Dates, "fdp_date"),
		FinalExtractDate: dateOrNull(m.Dates, "final_extract_date"),
		GoLiveDate:       dateOrNull(m.Dates, "go_live_date"),
		CurrentStage:     nullableString(prog.CurrentStage),
		Stages:           make([]api.PortfolioStage, len(prog.Stages)),
		OverdueTasks:     prog.Overdue,
		MissingSignoffs:  map[string][]api.Role{},
		TemplateVersion:  m.TemplateVersion,
		// Versions are dates, so a later one sorts after.
		TemplateOutdated: m.TemplateVersion < s.templates.Current().Version,
	}
	for i, st := range prog.Stages {
		c := st.Counts
		item.Stages[i] = api.PortfolioStage{Key: st.Key, Title: st.Title, PercentComplete: st.PercentComplete,
			Tasks:     api.TaskCounts{Total: c.Total, Done: c.Done, NotApplicable: c.NotApplicable, Open: c.Open, Overdue: c.Overdue},
			SignedOff: st.SignedOff, MissingRoles: roles(st.Missing)}
	}
	for stage, missing := range prog.AwaitingSignoff {
		item.MissingSignoffs[stage] = roles(missing)
	}
	return item
}

func dateOrNull(dates map[string]cutover.Date, field string) nullableDate {
	d, ok := dates[field]
	if !ok {
		return nullableOf[openapi_types.Date](nil)
	}
	return nullableOf(&openapi_types.Date{Time: d})
}

// portfolioCSV writes one row per migration: its facts, overall and per-stage progress (a column
// for each stage of the current template) and what awaits sign-off.
func (s *Server) portfolioCSV(items []api.PortfolioItem) ([]byte, error) {
	stages := s.templates.Current().StageKeys()
	header := []string{"migration_id", "ods_code", "practice_name", "status", "current_supplier", "current_product",
		"new_supplier", "new_product", "fdp_date", "final_extract_date", "go_live_date", "current_stage",
		"percent_complete", "overdue_tasks", "missing_signoffs", "template_version", "template_outdated"}
	for _, k := range stages {
		header = append(header, k+"_percent")
	}
	w := printout.NewCSVWriter()
	w.Row(header...)
	for _, it := range items {
		total, finished := 0, 0
		perStage := map[string]string{}
		for _, st := range it.Stages {
			total += st.Tasks.Total
			finished += st.Tasks.Done + st.Tasks.NotApplicable
			perStage[st.Key] = strconv.Itoa(st.PercentComplete)
		}
		var missing []string
		for stage, rs := range it.MissingSignoffs {
			names := make([]string, len(rs))
			for i, r := range rs {
				names[i] = string(r)
			}
			missing = append(missing, stage+": "+strings.Join(names, " "))
		}
		sort.Strings(missing)
		row := []string{it.MigrationId.String(), it.Practice.OdsCode, it.Practice.Name, string(it.Status),
			it.CurrentSystem.Supplier, it.CurrentSystem.Product, it.NewSystem.Supplier, it.NewSystem.Product,
			dateText(it.FdpDate), dateText(it.FinalExtractDate), dateText(it.GoLiveDate),
			textOf(it.CurrentStage), strconv.Itoa(workflow.PercentComplete(workflow.Counts{Total: total, Done: finished})),
			strconv.Itoa(it.OverdueTasks), strings.Join(missing, "; "), it.TemplateVersion,
			strconv.FormatBool(it.TemplateOutdated)}
		for _, k := range stages {
			row = append(row, perStage[k])
		}
		w.Row(row...)
	}
	return w.Bytes()
}

func dateText(d nullableDate) string {
	if !d.IsSpecified() || d.IsNull() {
		return ""
	}
	return d.MustGet().Format("2006-01-02")
}

func textOf(n nullable.Nullable[string]) string {
	if !n.IsSpecified() || n.IsNull() {
		return ""
	}
	return n.MustGet()
}
