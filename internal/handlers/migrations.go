package handlers

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/workflow"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ListMigrations lists the caller's migrations.
func (s *Server) ListMigrations(ctx context.Context, req api.ListMigrationsRequestObject) (api.ListMigrationsResponseObject, error) {
	p := req.Params
	f := store.MigrationFilter{ODSCode: deref(p.OdsCode), Supplier: deref(p.Supplier)}
	if p.Status != nil {
		f.Status = string(*p.Status)
	}
	if p.FdpFrom != nil {
		f.FDPFrom = &p.FdpFrom.Time
	}
	if p.FdpTo != nil {
		f.FDPTo = &p.FdpTo.Time
	}
	ms, next, err := s.store.ListMigrations(ctx, callerFrom(ctx), f, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	return s.newMigrationListJSON(ms, next, nextLink(ctx, next)), nil
}

// CreateMigration creates a migration and its checklist from the current template.
func (s *Server) CreateMigration(ctx context.Context, req api.CreateMigrationRequestObject) (api.CreateMigrationResponseObject, error) {
	who := callerFrom(ctx)
	b := req.Body
	ws, err := s.checkFreeText(ctx, patientguard.Field{Name: "notes", Text: deref(b.Notes)},
		patientguard.Field{Name: "practice.name", Text: b.Practice.Name})
	if err != nil {
		return nil, err
	}
	tpl := s.templates.Current()
	in := workflow.MigrationInput{
		ODSCode: b.Practice.OdsCode, PracticeName: b.Practice.Name,
		CurrentSupplier: b.CurrentSystem.Supplier, CurrentProduct: b.CurrentSystem.Product,
		NewSupplier: b.NewSystem.Supplier, NewProduct: b.NewSystem.Product,
		Notes: b.Notes, Dates: createDates(b), GoLiveConfirmed: deref(b.GoLiveConfirmed),
		FinalExtractTime: b.FinalExtractTime,
	}
	if b.Status != nil {
		in.Status = cutover.MigrationStatus(*b.Status)
	}
	if b.Stages != nil {
		in.Stages = *b.Stages
	}
	m, tasks, err := workflow.NewMigration(tpl, in, who, s.now())
	if err != nil {
		return nil, err
	}
	adds, err := s.store.OrganisationAdditions(ctx, who)
	if err != nil {
		return nil, fmt.Errorf("create migration: %w", err)
	}
	tasks = workflow.WithLocalTasks(tpl, &m, tasks, adds, m.CreatedAt)
	if err := s.store.CreateMigration(ctx, who, m, tasks); err != nil {
		return nil, fmt.Errorf("create migration: %w", err)
	}
	body := s.migrationToAPI(&m)
	body.Warnings = ws
	return api.CreateMigration201JSONResponse{
		Body:    body,
		Headers: api.CreateMigration201ResponseHeaders{ETag: etag(m.Version), Location: "/v1/migrations/" + m.ID.String()},
	}, nil
}

// GetMigration reads one migration.
func (s *Server) GetMigration(ctx context.Context, req api.GetMigrationRequestObject) (api.GetMigrationResponseObject, error) {
	m, err := s.store.Migration(ctx, callerFrom(ctx), req.MigrationId)
	if err != nil {
		return nil, fmt.Errorf("get migration %s: %w", req.MigrationId, err)
	}
	tag := etag(m.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetMigration304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetMigration200JSONResponse{Body: s.migrationToAPI(&m), Headers: api.GetMigration200ResponseHeaders{ETag: tag}}, nil
}

// UpdateMigration applies a merge patch to a migration; derived due dates follow its key dates.
func (s *Server) UpdateMigration(ctx context.Context, req api.UpdateMigrationRequestObject) (api.UpdateMigrationResponseObject, error) {
	body := req.JSONBody
	if body == nil {
		body = req.ApplicationMergePatchPlusJSONBody
	}
	if body == nil {
		return nil, cutover.BadRequest(cutover.FieldError{Field: "body", Message: "is required"})
	}
	patch := migrationPatchFromAPI(body)
	var texts []patientguard.Field
	if patch.Notes.Value != nil {
		texts = append(texts, patientguard.Field{Name: "notes", Text: *patch.Notes.Value})
	}
	if patch.PracticeName != nil {
		texts = append(texts, patientguard.Field{Name: "practice.name", Text: *patch.PracticeName})
	}
	ws, err := s.checkFreeText(ctx, texts...)
	if err != nil {
		return nil, err
	}
	who := callerFrom(ctx)
	var rederive func(m *cutover.Migration, tasks []cutover.Task) []int
	if patch.DatesChanged() {
		rederive = func(m *cutover.Migration, tasks []cutover.Task) []int { return workflow.Rederive(tasks, m.Dates) }
	}
	m, err := s.store.UpdateMigration(ctx, who, req.MigrationId, ifMatch(req.Params.IfMatch),
		func(m *cutover.Migration, live []cutover.Signoff) error {
			tpl := s.templateOf(m)
			states := workflow.StageStates(tpl, m.Stages, live)
			return patch.Apply(m, func(stage string) bool { return states[stage].SignedOff })
		}, rederive)
	if err != nil {
		return nil, fmt.Errorf("update migration %s: %w", req.MigrationId, err)
	}
	out := s.migrationToAPI(&m)
	out.Warnings = ws
	return api.UpdateMigration200JSONResponse{Body: out, Headers: api.UpdateMigration200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DeleteMigration deletes a migration that has no live sign-off.
func (s *Server) DeleteMigration(ctx context.Context, req api.DeleteMigrationRequestObject) (api.DeleteMigrationResponseObject, error) {
	err := s.store.DeleteMigration(ctx, callerFrom(ctx), req.MigrationId, ifMatch(req.Params.IfMatch),
		func(m *cutover.Migration, live []cutover.Signoff) error { return workflow.CheckDeleteMigration(live) })
	if err != nil {
		return nil, fmt.Errorf("delete migration %s: %w", req.MigrationId, err)
	}
	return api.DeleteMigration204Response{}, nil
}

func (s *Server) migrationToAPI(m *cutover.Migration) api.Migration {
	a := api.Migration{
		Id:              m.ID,
		OrganisationId:  m.OrgID,
		Practice:        api.Practice{OdsCode: m.ODSCode, Name: m.PracticeName},
		CurrentSystem:   api.ClinicalSystem{Supplier: m.CurrentSupplier, Product: m.CurrentProduct},
		NewSystem:       api.ClinicalSystem{Supplier: m.NewSupplier, Product: m.NewProduct},
		Status:          api.MigrationStatus(m.Status),
		Notes:           nullableOf(m.Notes),
		GoLiveConfirmed: m.GoLiveConfirmed,
		Stages:          m.Stages,
		TemplateVersion: m.TemplateVersion,
		// Whether the current template changes anything in the migration's stages.
		TemplateOutdated: s.templateOutdated(m),
		Version:          m.Version,
		CreatedAt:        m.CreatedAt,
		UpdatedAt:        m.UpdatedAt,
		FinalExtractTime: nullableOf(m.FinalExtractTime),
	}
	if a.Stages == nil {
		a.Stages = []string{}
	}
	for field, dst := range responseDates(&a) {
		if d, ok := m.Dates[field]; ok {
			dst.Set(openapi_types.Date{Time: d})
		} else {
			dst.SetNull()
		}
	}
	return a
}

func responseDates(a *api.Migration) map[string]*nullable.Nullable[openapi_types.Date] {
	return map[string]*nullable.Nullable[openapi_types.Date]{
		"order_date":                    &a.OrderDate,
		"go_live_date":                  &a.GoLiveDate,
		"extract_request_date":          &a.ExtractRequestDate,
		"kick_off_date":                 &a.KickOffDate,
		"technical_survey_date":         &a.TechnicalSurveyDate,
		"hardware_deployment_date":      &a.HardwareDeploymentDate,
		"training_start_date":           &a.TrainingStartDate,
		"training_end_date":             &a.TrainingEndDate,
		"idp_date":                      &a.IdpDate,
		"data_checking_start_date":      &a.DataCheckingStartDate,
		"data_signoff_date":             &a.DataSignoffDate,
		"cutover_planning_meeting_date": &a.CutoverPlanningMeetingDate,
		"links_off_date":                &a.LinksOffDate,
		"fdp_date":                      &a.FdpDate,
		"final_extract_date":            &a.FinalExtractDate,
		"legacy_access_end_date":        &a.LegacyAccessEndDate,
		"migration_end_date":            &a.MigrationEndDate,
	}
}

func createDates(b *api.MigrationCreate) map[string]cutover.Date {
	in := map[string]*openapi_types.Date{
		"order_date":                    b.OrderDate,
		"go_live_date":                  b.GoLiveDate,
		"extract_request_date":          b.ExtractRequestDate,
		"kick_off_date":                 b.KickOffDate,
		"technical_survey_date":         b.TechnicalSurveyDate,
		"hardware_deployment_date":      b.HardwareDeploymentDate,
		"training_start_date":           b.TrainingStartDate,
		"training_end_date":             b.TrainingEndDate,
		"idp_date":                      b.IdpDate,
		"data_checking_start_date":      b.DataCheckingStartDate,
		"data_signoff_date":             b.DataSignoffDate,
		"cutover_planning_meeting_date": b.CutoverPlanningMeetingDate,
		"links_off_date":                b.LinksOffDate,
		"fdp_date":                      b.FdpDate,
		"final_extract_date":            b.FinalExtractDate,
		"legacy_access_end_date":        b.LegacyAccessEndDate,
		"migration_end_date":            b.MigrationEndDate,
	}
	out := map[string]cutover.Date{}
	for k, d := range in {
		if d != nil {
			out[k] = cutover.DateOf(d.Time)
		}
	}
	return out
}

func migrationPatchFromAPI(b *api.MigrationPatch) workflow.MigrationPatch {
	p := workflow.MigrationPatch{
		Notes:            fieldOf(b.Notes),
		GoLiveConfirmed:  b.GoLiveConfirmed,
		FinalExtractTime: fieldOf(b.FinalExtractTime),
		Dates:            map[string]workflow.Field[cutover.Date]{},
	}
	if b.Practice != nil {
		p.ODSCode, p.PracticeName = b.Practice.OdsCode, b.Practice.Name
	}
	if b.CurrentSystem != nil {
		p.CurrentSupplier, p.CurrentProduct = b.CurrentSystem.Supplier, b.CurrentSystem.Product
	}
	if b.NewSystem != nil {
		p.NewSupplier, p.NewProduct = b.NewSystem.Supplier, b.NewSystem.Product
	}
	if b.Status != nil {
		st := cutover.MigrationStatus(*b.Status)
		p.Status = &st
	}
	in := map[string]nullable.Nullable[openapi_types.Date]{
		"order_date":                    b.OrderDate,
		"go_live_date":                  b.GoLiveDate,
		"extract_request_date":          b.ExtractRequestDate,
		"kick_off_date":                 b.KickOffDate,
		"technical_survey_date":         b.TechnicalSurveyDate,
		"hardware_deployment_date":      b.HardwareDeploymentDate,
		"training_start_date":           b.TrainingStartDate,
		"training_end_date":             b.TrainingEndDate,
		"idp_date":                      b.IdpDate,
		"data_checking_start_date":      b.DataCheckingStartDate,
		"data_signoff_date":             b.DataSignoffDate,
		"cutover_planning_meeting_date": b.CutoverPlanningMeetingDate,
		"links_off_date":                b.LinksOffDate,
		"fdp_date":                      b.FdpDate,
		"final_extract_date":            b.FinalExtractDate,
		"legacy_access_end_date":        b.LegacyAccessEndDate,
		"migration_end_date":            b.MigrationEndDate,
	}
	for k, n := range in {
		if f := fieldOf(n); f.Present {
			if f.Value != nil {
				d := cutover.DateOf(f.Value.Time)
				p.Dates[k] = workflow.Set(d)
			} else {
				p.Dates[k] = workflow.Null[cutover.Date]()
			}
		}
	}
	return p
}

// fieldOf reads a nullable patch field: absent, null or a value.
func fieldOf[T any](n nullable.Nullable[T]) workflow.Field[T] {
	if !n.IsSpecified() {
		return workflow.Field[T]{}
	}
	if n.IsNull() {
		return workflow.Field[T]{Present: true}
	}
	v := n.MustGet()
	return workflow.Field[T]{Present: true, Value: &v}
}

func nullableOf[T any](p *T) nullable.Nullable[T] {
	if p == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*p)
}

func nullableString(s string) nullable.Nullable[string] {
	if s == "" {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(s)
}
