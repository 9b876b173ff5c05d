package handlers

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/workflow"
	"github.com/google/uuid"
)

// ListTemplateAdditions lists an organisation's own template additions.
func (s *Server) ListTemplateAdditions(ctx context.Context, req api.ListTemplateAdditionsRequestObject) (api.ListTemplateAdditionsResponseObject, error) {
	p := req.Params
	adds, next, err := s.store.ListTemplateAdditions(ctx, callerFrom(ctx), req.OrganisationId, deref(p.Stage), page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list template additions of %s: %w", req.OrganisationId, err)
	}
	items := make([]api.TemplateAddition, len(adds))
	for i := range adds {
		items[i] = additionToAPI(&adds[i])
	}
	return api.ListTemplateAdditions200JSONResponse{
		Body:    api.TemplateAdditionList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListTemplateAdditions200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateTemplateAddition adds a local task to a stage of the organisation's template.
func (s *Server) CreateTemplateAddition(ctx context.Context, req api.CreateTemplateAdditionRequestObject) (api.CreateTemplateAdditionResponseObject, error) {
	who := callerFrom(ctx)
	if err := s.checkAdditionOrg(ctx, who, req.OrganisationId); err != nil {
		return nil, fmt.Errorf("create template addition: %w", err)
	}
	b := req.Body
	ws, err := s.checkFreeText(ctx,
		patientguard.Field{Name: "title", Text: b.Title},
		patientguard.Field{Name: "guidance", Text: deref(b.Guidance)},
		patientguard.Field{Name: "group", Text: deref(b.Group)},
		patientguard.Field{Name: "timing", Text: deref(b.Timing)})
	if err != nil {
		return nil, err
	}
	n := workflow.NewAddition{Stage: b.Stage, Group: deref(b.Group), Title: b.Title, Guidance: deref(b.Guidance),
		Timing: b.Timing, DueRule: b.DueRule, AfterKey: b.AfterKey, Position: b.Position}
	if b.OwnerRole != nil {
		n.OwnerRole = string(*b.OwnerRole)
	}
	a, err := n.Build(s.templates.Current(), req.OrganisationId, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateTemplateAddition(ctx, who, a); err != nil {
		return nil, fmt.Errorf("create template addition: %w", err)
	}
	body := additionToAPI(&a)
	body.Warnings = ws
	return api.CreateTemplateAddition201JSONResponse{
		Body: body,
		Headers: api.CreateTemplateAddition201ResponseHeaders{ETag: etag(a.Version),
			Location: fmt.Sprintf("/v1/organisations/%s/template-additions/%s", a.OrgID, a.ID)},
	}, nil
}

// checkAdditionOrg answers 404 for an organisation the caller may not see before the body is
// judged, as for any other resource of another organisation.
func (s *Server) checkAdditionOrg(ctx context.Context, who cutover.Caller, org uuid.UUID) error {
	_, err := s.store.Organisation(ctx, who, org)
	return err
}

// GetTemplateAddition reads one template addition.
func (s *Server) GetTemplateAddition(ctx context.Context, req api.GetTemplateAdditionRequestObject) (api.GetTemplateAdditionResponseObject, error) {
	a, err := s.store.TemplateAddition(ctx, callerFrom(ctx), req.OrganisationId, req.AdditionId)
	if err != nil {
		return nil, fmt.Errorf("get template addition %s: %w", req.AdditionId, err)
	}
	tag := etag(a.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetTemplateAddition304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetTemplateAddition200JSONResponse{Body: additionToAPI(&a), Headers: api.GetTemplateAddition200ResponseHeaders{ETag: tag}}, nil
}

// UpdateTemplateAddition applies a merge patch to a template addition.
func (s *Server) UpdateTemplateAddition(ctx context.Context, req api.UpdateTemplateAdditionRequestObject) (api.UpdateTemplateAdditionResponseObject, error) {
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, cutover.BadRequest(cutover.FieldError{Field: "body", Message: "is required"})
	}
	p := workflow.AdditionPatch{Stage: b.Stage, Group: b.Group, Title: b.Title, Guidance: b.Guidance,
		Timing: fieldOf(b.Timing), DueRule: fieldOf(b.DueRule), AfterKey: fieldOf(b.AfterKey), Position: fieldOf(b.Position)}
	if b.OwnerRole != nil {
		p.OwnerRole = ptr(string(*b.OwnerRole))
	}
	var texts []patientguard.Field
	for _, f := range []struct {
		name string
		v    *string
	}{{"title", p.Title}, {"guidance", p.Guidance}, {"group", p.Group}, {"timing", p.Timing.Value}} {
		if f.v != nil {
			texts = append(texts, patientguard.Field{Name: f.name, Text: *f.v})
		}
	}
	who := callerFrom(ctx)
	if err := s.checkAdditionOrg(ctx, who, req.OrganisationId); err != nil {
		return nil, fmt.Errorf("update template addition %s: %w", req.AdditionId, err)
	}
	ws, err := s.checkFreeText(ctx, texts...)
	if err != nil {
		return nil, err
	}
	tpl := s.templates.Current()
	a, err := s.store.UpdateTemplateAddition(ctx, who, req.OrganisationId, req.AdditionId, ifMatch(req.Params.IfMatch),
		func(a *cutover.TemplateAddition) error { return p.Apply(a, tpl) })
	if err != nil {
		return nil, fmt.Errorf("update template addition %s: %w", req.AdditionId, err)
	}
	body := additionToAPI(&a)
	body.Warnings = ws
	return api.UpdateTemplateAddition200JSONResponse{Body: body, Headers: api.UpdateTemplateAddition200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// DeleteTemplateAddition deletes a template addition; migrations keep the tasks made from it.
func (s *Server) DeleteTemplateAddition(ctx context.Context, req api.DeleteTemplateAdditionRequestObject) (api.DeleteTemplateAdditionResponseObject, error) {
	if err := s.store.DeleteTemplateAddition(ctx, callerFrom(ctx), req.OrganisationId, req.AdditionId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, fmt.Errorf("delete template addition %s: %w", req.AdditionId, err)
	}
	return api.DeleteTemplateAddition204Response{}, nil
}

func additionToAPI(a *cutover.TemplateAddition) api.TemplateAddition {
	return api.TemplateAddition{
		Id: a.ID, OrganisationId: a.OrgID, Stage: a.Stage, Group: a.Group, Title: a.Title, Guidance: a.Guidance,
		OwnerRole: api.Role(a.OwnerRole), Timing: nullableOf(a.Timing), DueRule: nullableOf(a.DueRule),
		AfterKey: nullableOf(a.AfterKey), Position: nullableOf(a.Position), Version: a.Version,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}
