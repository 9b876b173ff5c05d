package handlers

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
)

// errOperatorOnly refuses what only the operator's admins may do.
var errOperatorOnly = &cutover.ForbiddenError{Why: "only the operator organisation's admins manage organisations"}

// ListOrganisations lists the organisations the caller may see.
func (s *Server) ListOrganisations(ctx context.Context, req api.ListOrganisationsRequestObject) (api.ListOrganisationsResponseObject, error) {
	orgs, next, err := s.store.ListOrganisations(ctx, callerFrom(ctx), page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	items := make([]api.Organisation, len(orgs))
	for i := range orgs {
		items[i] = organisationToAPI(&orgs[i])
	}
	return api.ListOrganisations200JSONResponse{
		Body:    api.OrganisationList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListOrganisations200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateOrganisation adds an organisation (operator admins only).
func (s *Server) CreateOrganisation(ctx context.Context, req api.CreateOrganisationRequestObject) (api.CreateOrganisationResponseObject, error) {
	who := callerFrom(ctx)
	if !who.SeesAll() {
		return nil, errOperatorOnly
	}
	_, err := s.checkFreeText(ctx, patientguard.Field{Name: "name", Text: req.Body.Name})
	if err != nil {
		return nil, err
	}
	org, err := s.store.CreateOrganisation(ctx, who, req.Body.Name, string(req.Body.Kind))
	if err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	return api.CreateOrganisation201JSONResponse{
		Body:    organisationToAPI(&org),
		Headers: api.CreateOrganisation201ResponseHeaders{ETag: etag(org.Version), Location: "/v1/organisations/" + org.ID.String()},
	}, nil
}

// GetOrganisation reads one organisation.
func (s *Server) GetOrganisation(ctx context.Context, req api.GetOrganisationRequestObject) (api.GetOrganisationResponseObject, error) {
	org, err := s.store.Organisation(ctx, callerFrom(ctx), req.OrganisationId)
	if err != nil {
		return nil, fmt.Errorf("get organisation %s: %w", req.OrganisationId, err)
	}
	tag := etag(org.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetOrganisation304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetOrganisation200JSONResponse{Body: organisationToAPI(&org), Headers: api.GetOrganisation200ResponseHeaders{ETag: tag}}, nil
}

// DeleteOrganisation deletes an organisation without migrations (operator admins only).
func (s *Server) DeleteOrganisation(ctx context.Context, req api.DeleteOrganisationRequestObject) (api.DeleteOrganisationResponseObject, error) {
	who := callerFrom(ctx)
	if !who.SeesAll() {
		// An organisation's own admin may see it, but not delete it.
		if _, err := s.store.Organisation(ctx, who, req.OrganisationId); err != nil {
			return nil, fmt.Errorf("delete organisation %s: %w", req.OrganisationId, err)
		}
		return nil, errOperatorOnly
	}
	if err := s.store.DeleteOrganisation(ctx, who, req.OrganisationId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, fmt.Errorf("delete organisation %s: %w", req.OrganisationId, err)
	}
	return api.DeleteOrganisation204Response{}, nil
}

// ListTokens lists the live tokens the caller may manage.
func (s *Server) ListTokens(ctx context.Context, req api.ListTokensRequestObject) (api.ListTokensResponseObject, error) {
	toks, next, err := s.store.ListTokens(ctx, callerFrom(ctx), req.Params.OrganisationId, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	items := make([]api.Token, len(toks))
	for i := range toks {
		items[i] = tokenToAPI(&toks[i])
	}
	return api.ListTokens200JSONResponse{
		Body:    api.TokenList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListTokens200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateToken creates a token for the caller's organisation (or any, for operator admins) and
// returns its value once.
func (s *Server) CreateToken(ctx context.Context, req api.CreateTokenRequestObject) (api.CreateTokenResponseObject, error) {
	who := callerFrom(ctx)
	b := req.Body
	org := who.OrgID
	if b.OrganisationId != nil && *b.OrganisationId != who.OrgID {
		if !who.SeesAll() {
			// Mass assignment: a body may not choose another organisation.
			return nil, &cutover.ForbiddenError{Why: "a token can only be created for your own organisation"}
		}
		org = *b.OrganisationId
	}
	if b.ExpiresAt != nil && !b.ExpiresAt.After(s.now()) {
		return nil, cutover.Invalid("invalid-expiry", "The expiry is in the past",
			cutover.FieldError{Field: "expires_at", Message: "must be in the future"})
	}
	_, err := s.checkFreeText(ctx, patientguard.Field{Name: "name", Text: b.Name})
	if err != nil {
		return nil, err
	}
	tok, value, err := s.store.CreateToken(ctx, who, store.NewToken{OrgID: org, Name: b.Name, Role: cutover.TokenRole(b.Role), ExpiresAt: b.ExpiresAt})
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	a := tokenToAPI(&tok)
	return api.CreateToken201JSONResponse{
		Body: api.TokenCreated{Id: a.Id, OrganisationId: a.OrganisationId, Name: a.Name, Role: a.Role,
			ExpiresAt: a.ExpiresAt, LastUsedAt: a.LastUsedAt, CreatedAt: a.CreatedAt, Token: value},
		Headers: api.CreateToken201ResponseHeaders{ETag: etag(1), Location: "/v1/tokens/" + tok.ID.String()},
	}, nil
}

// GetToken reads one live token (never its value).
func (s *Server) GetToken(ctx context.Context, req api.GetTokenRequestObject) (api.GetTokenResponseObject, error) {
	tok, err := s.store.Token(ctx, callerFrom(ctx), req.TokenId)
	if err != nil {
		return nil, fmt.Errorf("get token %s: %w", req.TokenId, err)
	}
	return api.GetToken200JSONResponse(tokenToAPI(&tok)), nil
}

// DeleteToken revokes a token.
func (s *Server) DeleteToken(ctx context.Context, req api.DeleteTokenRequestObject) (api.DeleteTokenResponseObject, error) {
	if err := s.store.RevokeToken(ctx, callerFrom(ctx), req.TokenId); err != nil {
		return nil, fmt.Errorf("revoke token %s: %w", req.TokenId, err)
	}
	return api.DeleteToken204Response{}, nil
}

func organisationToAPI(o *cutover.Organisation) api.Organisation {
	return api.Organisation{Id: o.ID, Name: o.Name, Kind: api.OrganisationKind(o.Kind), Operator: o.Operator,
		Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func tokenToAPI(t *cutover.Token) api.Token {
	return api.Token{Id: t.ID, OrganisationId: t.OrgID, Name: t.Name, Role: api.TokenRole(t.Role),
		ExpiresAt: nullableOf(t.ExpiresAt), LastUsedAt: nullableOf(t.LastUsedAt), CreatedAt: t.CreatedAt}
}
