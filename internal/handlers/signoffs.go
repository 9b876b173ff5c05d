package handlers

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/workflow"
)

// ListSignoffs lists a migration's sign-offs, revoked ones included.
func (s *Server) ListSignoffs(ctx context.Context, req api.ListSignoffsRequestObject) (api.ListSignoffsResponseObject, error) {
	p := req.Params
	sos, next, err := s.store.ListSignoffs(ctx, callerFrom(ctx), req.MigrationId, deref(p.Stage), page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list sign-offs of %s: %w", req.MigrationId, err)
	}
	items := make([]api.Signoff, len(sos))
	for i := range sos {
		items[i] = signoffToAPI(&sos[i])
	}
	return api.ListSignoffs200JSONResponse{
		Body:    api.SignoffList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListSignoffs200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateSignoff signs a stage off, behind the gate.
func (s *Server) CreateSignoff(ctx context.Context, req api.CreateSignoffRequestObject) (api.CreateSignoffResponseObject, error) {
	b := req.Body
	ws, err := s.checkFreeText(ctx, patientguard.Field{Name: "name", Text: b.Name},
		patientguard.Field{Name: "statement", Text: b.Statement})
	if err != nil {
		return nil, err
	}
	who := callerFrom(ctx)
	n := workflow.NewSignoff{Stage: b.Stage, Role: string(b.Role), Name: b.Name, Statement: b.Statement}
	so, err := s.store.CreateSignoff(ctx, who, req.MigrationId, ifMatch(req.Params.IfMatch), func(sc store.SignoffScene) (cutover.Signoff, error) {
		tasks, err := sc.StageTasks(n.Stage)
		if err != nil {
			return cutover.Signoff{}, err
		}
		state := workflow.StageStates(s.templateOf(&sc.Migration), sc.Migration.Stages, sc.Live)[n.Stage]
		return n.Sign(&sc.Migration, tasks, state, who, s.now().UTC())
	})
	if err != nil {
		return nil, fmt.Errorf("sign off in %s: %w", req.MigrationId, err)
	}
	body := signoffToAPI(&so)
	body.Warnings = ws
	return api.CreateSignoff201JSONResponse{
		Body: body,
		Headers: api.CreateSignoff201ResponseHeaders{ETag: etag(so.Version),
			Location: fmt.Sprintf("/v1/migrations/%s/signoffs/%s", so.MigrationID, so.ID)},
	}, nil
}

// GetSignoff reads one sign-off.
func (s *Server) GetSignoff(ctx context.Context, req api.GetSignoffRequestObject) (api.GetSignoffResponseObject, error) {
	so, err := s.store.Signoff(ctx, callerFrom(ctx), req.MigrationId, req.SignoffId)
	if err != nil {
		return nil, fmt.Errorf("get sign-off %s: %w", req.SignoffId, err)
	}
	tag := etag(so.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetSignoff304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetSignoff200JSONResponse{Body: signoffToAPI(&so), Headers: api.GetSignoff200ResponseHeaders{ETag: tag}}, nil
}

// RevokeSignoff revokes a live sign-off with a reason; it stays in the history.
func (s *Server) RevokeSignoff(ctx context.Context, req api.RevokeSignoffRequestObject) (api.RevokeSignoffResponseObject, error) {
	ws, err := s.checkFreeText(ctx, patientguard.Field{Name: "reason", Text: req.Body.Reason})
	if err != nil {
		return nil, err
	}
	who := callerFrom(ctx)
	so, err := s.store.RevokeSignoff(ctx, who, req.MigrationId, req.SignoffId, ifMatch(req.Params.IfMatch), func(so *cutover.Signoff) error {
		return workflow.Revoke(so, req.Body.Reason, who, s.now().UTC())
	})
	if err != nil {
		return nil, fmt.Errorf("revoke sign-off %s: %w", req.SignoffId, err)
	}
	body := signoffToAPI(&so)
	body.Warnings = ws
	return api.RevokeSignoff200JSONResponse{Body: body, Headers: api.RevokeSignoff200ResponseHeaders{ETag: etag(so.Version)}}, nil
}

// ListStages reports each stage's progress and sign-off state.
func (s *Server) ListStages(ctx context.Context, req api.ListStagesRequestObject) (api.ListStagesResponseObject, error) {
	who := callerFrom(ctx)
	m, err := s.store.Migration(ctx, who, req.MigrationId)
	if err != nil {
		return nil, fmt.Errorf("stages of %s: %w", req.MigrationId, err)
	}
	counts, err := s.store.StageCounts(ctx, who, m.ID, cutover.Today(s.now()))
	if err != nil {
		return nil, fmt.Errorf("stages of %s: %w", req.MigrationId, err)
	}
	live, err := s.store.LiveSignoffs(ctx, who, m.ID)
	if err != nil {
		return nil, fmt.Errorf("stages of %s: %w", req.MigrationId, err)
	}
	tpl := s.templateOf(&m)
	states := workflow.StageStates(tpl, m.Stages, live)
	items := make([]api.StageProgress, 0, len(m.Stages))
	for _, key := range m.Stages {
		st, ok := tpl.Stage(key)
		if !ok {
			continue
		}
		c, state := counts[key], states[key]
		sos := make([]api.Signoff, len(state.Live))
		for i := range state.Live {
			sos[i] = signoffToAPI(&state.Live[i])
		}
		items = append(items, api.StageProgress{
			Key:          key,
			Title:        st.Title,
			Position:     workflow.StagePosition(tpl, key),
			Roles:        roles(st.Roles),
			SignoffRoles: roles(st.SignoffRoles),
			Tasks: api.TaskCounts{Total: c.Total, Done: c.Done, NotApplicable: c.NotApplicable,
				Open: c.Open, Overdue: c.Overdue},
			Signoffs:     sos,
			MissingRoles: roles(state.Missing),
			SignedOff:    state.SignedOff,
			Locked:       state.Locked,
		})
	}
	return api.ListStages200JSONResponse{Items: items, NextCursor: nullableString("")}, nil
}

// templateOf returns the template a migration follows; the current one if this binary no longer
// knows its version.
func (s *Server) templateOf(m *cutover.Migration) *checklist.Template {
	if t, ok := s.templates.Version(m.TemplateVersion); ok {
		return t
	}
	return s.templates.Current()
}

func roles(keys []string) []api.Role {
	out := make([]api.Role, len(keys))
	for i, k := range keys {
		out[i] = api.Role(k)
	}
	return out
}

func signoffToAPI(so *cutover.Signoff) api.Signoff {
	return api.Signoff{
		Id: so.ID, MigrationId: so.MigrationID, Stage: so.Stage, Role: api.Role(so.Role), Name: so.Name,
		Statement: so.Statement, SignedAt: so.SignedAt, SignedBy: so.SignedBy,
		RevokedAt: nullableOf(so.RevokedAt), RevokedBy: nullableOf(so.RevokedBy),
		RevokedReason: nullableOf(so.RevokedReason), Version: so.Version,
	}
}
