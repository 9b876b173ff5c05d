package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/importer"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/workflow"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ImportMigrations creates many planned migrations from CSV or JSON rows in one transaction, or
// none of them, naming every bad row and field.
func (s *Server) ImportMigrations(ctx context.Context, req api.ImportMigrationsRequestObject) (api.ImportMigrationsResponseObject, error) {
	who := callerFrom(ctx)
	rows, errs, err := importRows(req)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		// The header (or the body as a whole) is wrong: row errors would only repeat it.
		return nil, importRejected(errs)
	}
	texts := importer.FreeTexts(rows)
	fields := make([]patientguard.Field, len(texts))
	for i, t := range texts {
		fields[i] = patientguard.Field{Name: t.Field, Text: t.Text}
	}
	ws, err := s.checkFreeText(ctx, fields...)
	var guarded *cutover.ValidationError
	switch {
	case errors.As(err, &guarded):
		errs = append(errs, guarded.Fields...)
	case err != nil:
		return nil, err
	}
	tpl := s.templates.Current()
	planned, bad := importer.Build(tpl, rows, who, s.now())
	if errs = append(errs, bad...); len(errs) > 0 {
		return nil, importRejected(errs)
	}
	// Imported migrations get the organisation's local additions, exactly as a single create.
	adds, err := s.store.OrganisationAdditions(ctx, who)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	for i := range planned {
		p := &planned[i]
		p.Tasks = workflow.WithLocalTasks(tpl, &p.Migration, p.Tasks, adds, p.Migration.CreatedAt)
	}
	dry := req.Params.DryRun != nil && *req.Params.DryRun
	out := api.MigrationImportResult{DryRun: dry, Count: len(planned), Items: make([]api.MigrationImportItem, len(planned)), Warnings: ws}
	for i, p := range planned {
		out.Items[i] = api.MigrationImportItem{Row: p.Row, OdsCode: p.Migration.ODSCode, PracticeName: p.Migration.PracticeName,
			Tasks: len(p.Tasks), Id: nullableOf[openapi_types.UUID](nil)}
		if !dry {
			out.Items[i].Id = nullableOf(&planned[i].Migration.ID)
		}
	}
	if dry {
		return api.ImportMigrations200JSONResponse(out), nil
	}
	ms := make([]store.MigrationWithTasks, len(planned))
	for i, p := range planned {
		ms[i] = store.MigrationWithTasks{Migration: p.Migration, Tasks: p.Tasks}
	}
	if err := s.store.CreateMigrations(ctx, who, ms); err != nil {
		return nil, fmt.Errorf("import %d migrations: %w", len(ms), err)
	}
	return api.ImportMigrations201JSONResponse(out), nil
}

// importRows reads the rows of either body.
func importRows(req api.ImportMigrationsRequestObject) ([]importer.Row, []cutover.FieldError, error) {
	switch {
	case req.JSONBody != nil:
		// The spec has checked each row's shape; as maps the rows go through the same checks as
		// CSV cells.
		raw, err := json.Marshal(*req.JSONBody)
		if err != nil {
			return nil, nil, fmt.Errorf("re-encode import rows: %w", err)
		}
		var maps []map[string]*string
		if err := json.Unmarshal(raw, &maps); err != nil {
			return nil, nil, fmt.Errorf("decode import rows: %w", err)
		}
		rows, errs := importer.FromMaps(maps)
		return rows, errs, nil
	case req.Body != nil:
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("read import body: %w", err)
		}
		rows, errs := importer.ParseCSV(data)
		return rows, errs, nil
	}
	return nil, nil, cutover.BadRequest(cutover.FieldError{Field: "body", Message: "is required: send text/csv or a JSON array"})
}

var rowNumber = regexp.MustCompile(`^rows\[(\d+)\]`)

// importRejected is the 422 of an import, its errors in row order so that a person can work down
// the spreadsheet.
func importRejected(errs []cutover.FieldError) error {
	row := func(f cutover.FieldError) int {
		if m := rowNumber.FindStringSubmatch(f.Field); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		return 0
	}
	slices.SortStableFunc(errs, func(a, b cutover.FieldError) int { return row(a) - row(b) })
	return cutover.Invalid("invalid-import", "The import has errors; nothing was created", errs...)
}
