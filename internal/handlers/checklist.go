package handlers

import (
	"context"
	"fmt"
	"slices"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/printout"
)

// The checklist's formats, in the order a client that accepts any of them gets them.
var checklistFormats = map[string]string{"text/html": "html", "text/markdown": "md", "text/csv": "csv"}

// GetChecklist renders a migration's checklist as HTML, Markdown or CSV.
func (s *Server) GetChecklist(ctx context.Context, req api.GetChecklistRequestObject) (api.GetChecklistResponseObject, error) {
	format := ""
	if req.Params.Format != nil {
		format = string(*req.Params.Format)
	} else {
		mt, err := negotiate(acceptFrom(ctx), "text/html", "text/markdown", "text/csv")
		if err != nil {
			return nil, err
		}
		format = checklistFormats[mt]
	}
	snap, err := s.store.Snapshot(ctx, callerFrom(ctx), req.MigrationId)
	if err != nil {
		return nil, fmt.Errorf("checklist of %s: %w", req.MigrationId, err)
	}
	m := &snap.Migration
	in := printout.Input{Template: s.templateOf(m), Migration: *m, Tasks: snap.Tasks, Contacts: snap.Contacts,
		Signoffs: snap.Signoffs, Now: s.now()}
	name := "checklist-" + m.ODSCode
	if req.Params.Stage != nil {
		if !slices.Contains(m.Stages, *req.Params.Stage) {
			return nil, cutover.Invalid("unknown-stage", "Unknown stage", cutover.FieldError{Field: "stage",
				Message: fmt.Sprintf("%q is not a stage of this migration; its stages are listed in its stages field", *req.Params.Stage)})
		}
		in.Stage = *req.Params.Stage
		name += "-" + in.Stage
	}
	vary := map[string]string{"Vary": "Accept"}
	switch format {
	case "csv":
		body, err := printout.CSV(in)
		if err != nil {
			return nil, err
		}
		vary["Content-Disposition"] = attachment(name + ".csv")
		return textResponse{contentType: "text/csv; charset=utf-8; header=present", header: vary, body: body}, nil
	case "md":
		vary["Content-Disposition"] = attachment(name + ".md")
		return textResponse{contentType: "text/markdown; charset=utf-8; variant=GFM", header: vary, body: printout.Markdown(in)}, nil
	}
	body, err := printout.HTML(in)
	if err != nil {
		return nil, err
	}
	vary["Content-Security-Policy"] = printout.ContentSecurityPolicy
	return textResponse{contentType: "text/html; charset=utf-8", header: vary, body: body}, nil
}

// attachment is a Content-Disposition for a download. Names are built from ODS codes and stage
// keys, which are plain ASCII, so no encoding is needed.
func attachment(filename string) string {
	return `attachment; filename="` + filename + `"`
}
