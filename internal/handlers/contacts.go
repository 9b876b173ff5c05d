package handlers

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/workflow"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

type fieldValue = workflow.Field[string]

// ListContacts lists a migration's contacts.
func (s *Server) ListContacts(ctx context.Context, req api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	p := req.Params
	role := ""
	if p.Role != nil {
		role = string(*p.Role)
	}
	cs, next, err := s.store.ListContacts(ctx, callerFrom(ctx), req.MigrationId, role, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list contacts of %s: %w", req.MigrationId, err)
	}
	items := make([]api.Contact, len(cs))
	for i := range cs {
		items[i] = contactToAPI(&cs[i])
	}
	return api.ListContacts200JSONResponse{
		Body:    api.ContactList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListContacts200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateContact adds a contact to a migration.
func (s *Server) CreateContact(ctx context.Context, req api.CreateContactRequestObject) (api.CreateContactResponseObject, error) {
	b := req.Body
	var email *string
	if b.Email != nil {
		email = ptr(string(*b.Email))
	}
	if err := checkContact(email, b.Phone); err != nil {
		return nil, err
	}
	ws, err := s.checkFreeText(ctx,
		patientguard.Field{Name: "organisation", Text: b.Organisation},
		patientguard.Field{Name: "name", Text: deref(b.Name)},
		patientguard.Field{Name: "notes", Text: deref(b.Notes)})
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c, err := s.store.CreateContact(ctx, callerFrom(ctx), req.MigrationId, func(m *cutover.Migration) (cutover.Contact, error) {
		return cutover.Contact{ID: cutover.NewID(), OrgID: m.OrgID, MigrationID: m.ID, Role: string(b.Role),
			Organisation: b.Organisation, Name: b.Name, Email: email, Phone: b.Phone, Notes: b.Notes,
			Version: 1, CreatedAt: now, UpdatedAt: now}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("create contact in %s: %w", req.MigrationId, err)
	}
	body := contactToAPI(&c)
	body.Warnings = ws
	return api.CreateContact201JSONResponse{
		Body: body,
		Headers: api.CreateContact201ResponseHeaders{ETag: etag(c.Version),
			Location: fmt.Sprintf("/v1/migrations/%s/contacts/%s", c.MigrationID, c.ID)},
	}, nil
}

// GetContact reads one contact.
func (s *Server) GetContact(ctx context.Context, req api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	c, err := s.store.Contact(ctx, callerFrom(ctx), req.MigrationId, req.ContactId)
	if err != nil {
		return nil, fmt.Errorf("get contact %s: %w", req.ContactId, err)
	}
	tag := etag(c.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetContact304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetContact200JSONResponse{Body: contactToAPI(&c), Headers: api.GetContact200ResponseHeaders{ETag: tag}}, nil
}

// UpdateContact applies a merge patch to a contact.
func (s *Server) UpdateContact(ctx context.Context, req api.UpdateContactRequestObject) (api.UpdateContactResponseObject, error) {
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, cutover.BadRequest(cutover.FieldError{Field: "body", Message: "is required"})
	}
	name, phone, notes := fieldOf(b.Name), fieldOf(b.Phone), fieldOf(b.Notes)
	var email fieldValue
	if e := fieldOf(b.Email); e.Present {
		email.Present = true
		if e.Value != nil {
			email.Value = ptr(string(*e.Value))
		}
	}
	if err := checkContact(email.Value, phone.Value); err != nil {
		return nil, err
	}
	var texts []patientguard.Field
	for _, f := range []struct {
		name string
		v    *string
	}{{"organisation", b.Organisation}, {"name", name.Value}, {"notes", notes.Value}} {
		if f.v != nil {
			texts = append(texts, patientguard.Field{Name: f.name, Text: *f.v})
		}
	}
	ws, err := s.checkFreeText(ctx, texts...)
	if err != nil {
		return nil, err
	}
	c, err := s.store.UpdateContact(ctx, callerFrom(ctx), req.MigrationId, req.ContactId, ifMatch(req.Params.IfMatch),
		func(c *cutover.Contact) error {
			if b.Role != nil {
				c.Role = string(*b.Role)
			}
			if b.Organisation != nil {
				c.Organisation = *b.Organisation
			}
			for _, f := range []struct {
				dst *(*string)
				v   fieldValue
			}{{&c.Name, name}, {&c.Email, email}, {&c.Phone, phone}, {&c.Notes, notes}} {
				if f.v.Present {
					*f.dst = f.v.Value
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("update contact %s: %w", req.ContactId, err)
	}
	body := contactToAPI(&c)
	body.Warnings = ws
	return api.UpdateContact200JSONResponse{Body: body, Headers: api.UpdateContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// DeleteContact deletes a contact.
func (s *Server) DeleteContact(ctx context.Context, req api.DeleteContactRequestObject) (api.DeleteContactResponseObject, error) {
	if err := s.store.DeleteContact(ctx, callerFrom(ctx), req.MigrationId, req.ContactId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, fmt.Errorf("delete contact %s: %w", req.ContactId, err)
	}
	return api.DeleteContact204Response{}, nil
}

// checkContact checks what the spec's patterns cannot: that an e-mail address parses as one
// address and a phone number has a plausible count of digits.
func checkContact(email, phone *string) error {
	var bad []cutover.FieldError
	if email != nil {
		if a, err := mail.ParseAddress(*email); err != nil || a.Address != *email || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") {
			bad = append(bad, cutover.FieldError{Field: "email", Message: "is not an e-mail address such as name@example.nhs.uk"})
		}
	}
	if phone != nil {
		digits := 0
		for _, r := range *phone {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 10 || digits > 15 {
			bad = append(bad, cutover.FieldError{Field: "phone", Message: "needs 10 to 15 digits, such as 0113 496 0000 or +44 113 496 0000"})
		}
	}
	if bad != nil {
		return cutover.BadRequest(bad...)
	}
	return nil
}

func contactToAPI(c *cutover.Contact) api.Contact {
	a := api.Contact{
		Id: c.ID, MigrationId: c.MigrationID, Role: api.ContactRole(c.Role), Organisation: c.Organisation,
		Name: nullableOf(c.Name), Phone: nullableOf(c.Phone), Notes: nullableOf(c.Notes),
		Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.Email != nil {
		a.Email.Set(openapi_types.Email(*c.Email))
	} else {
		a.Email.SetNull()
	}
	return a
}
