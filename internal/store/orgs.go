package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// orgScoped limits a query on the organisations table to what the caller may see.
func orgScoped(db *gorm.DB, who cutover.Caller) *gorm.DB {
	if who.SeesAll() {
		return db
	}
	return db.Where("id = ?", who.OrgID)
}

// ListOrganisations reads one page of the organisations the caller may see.
func (s *Store) ListOrganisations(ctx context.Context, who cutover.Caller, p Page) ([]cutover.Organisation, string, error) {
	q := orgScoped(s.read.WithContext(ctx), who)
	return pageByID(q, p, "organisations", "list organisations", func(r *organisationRow) uuid.UUID { return r.ID }, (*organisationRow).toDomain)
}

// Organisation reads one organisation the caller may see.
func (s *Store) Organisation(ctx context.Context, who cutover.Caller, id uuid.UUID) (cutover.Organisation, error) {
	var row organisationRow
	if err := orgScoped(s.read.WithContext(ctx), who).Where("id = ?", id).Take(&row).Error; err != nil {
		return cutover.Organisation{}, notFoundOr(err, "load organisation")
	}
	return row.toDomain(), nil
}

// OrganisationByName finds an organisation by its unique name (for the command line).
func (s *Store) OrganisationByName(ctx context.Context, name string) (cutover.Organisation, error) {
	var row organisationRow
	if err := s.read.WithContext(ctx).Where("name = ?", name).Take(&row).Error; err != nil {
		return cutover.Organisation{}, notFoundOr(err, "load organisation "+name)
	}
	return row.toDomain(), nil
}

// CreateOrganisation adds an organisation; names are unique.
func (s *Store) CreateOrganisation(ctx context.Context, who cutover.Caller, name, kind string) (org cutover.Organisation, err error) {
	err = s.write(ctx, func(t *tx) error {
		var n int64
		if err := t.db.Model(&organisationRow{}).Where("name = ?", name).Count(&n).Error; err != nil {
			return fmt.Errorf("check organisation name: %w", err)
		}
		if n > 0 {
			return &cutover.ConflictError{Kind: "duplicate-name", Title: "The name is taken",
				Detail: fmt.Sprintf("An organisation called %q already exists.", name)}
		}
		row := organisationRow{ID: cutover.NewID(), Name: name, Kind: kind, Version: 1, CreatedAt: t.now, UpdatedAt: t.now}
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert organisation: %w", err)
		}
		org = row.toDomain()
		t.record(who, org.ID, "organisation.created", "organisation", org.ID, nil,
			cutover.Created(map[string]any{"name": name, "kind": kind, "operator": false}))
		return nil
	})
	return org, err
}

// DeleteOrganisation deletes an organisation that owns no migrations, revoking its tokens.
func (s *Store) DeleteOrganisation(ctx context.Context, who cutover.Caller, id uuid.UUID, want *int) error {
	return s.write(ctx, func(t *tx) error {
		var row organisationRow
		if err := orgScoped(t.db, who).Where("id = ?", id).Take(&row).Error; err != nil {
			return notFoundOr(err, "load organisation")
		}
		if want != nil && *want != row.Version {
			return cutover.ErrStale
		}
		if row.Operator {
			return &cutover.ConflictError{Kind: "operator", Title: "The operator organisation stays",
				Detail: "The operator organisation runs this server and cannot be deleted."}
		}
		var n int64
		if err := t.db.Model(&migrationRow{}).Where("org_id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("count migrations: %w", err)
		}
		if n > 0 {
			return &cutover.ConflictError{Kind: "has-migrations", Title: "The organisation owns migrations",
				Detail: fmt.Sprintf("It owns %d migrations; delete or move them first.", n)}
		}
		var ids []uuid.UUID
		if err := t.db.Model(&tokenRow{}).Where("org_id = ?", id).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("find tokens: %w", err)
		}
		if err := deleteOrgWebhooks(t, id); err != nil {
			return err
		}
		if err := t.db.Where("org_id = ?", id).Delete(&tokenRow{}).Error; err != nil {
			return fmt.Errorf("delete tokens: %w", err)
		}
		if err := t.db.Delete(&organisationRow{}, "id = ?", id).Error; err != nil {
			return fmt.Errorf("delete organisation: %w", err)
		}
		for _, tid := range ids {
			if err := t.notifyTokenGone(tid); err != nil {
				return err
			}
		}
		t.record(who, id, "organisation.deleted", "organisation", id, nil,
			cutover.Deleted(map[string]any{"name": row.Name, "kind": row.Kind, "operator": false}))
		return nil
	})
}

// NewToken is a token to create.
type NewToken struct {
	OrgID     uuid.UUID
	Name      string
	Role      cutover.TokenRole
	ExpiresAt *time.Time
	Value     string // "" for a random one
}

// CreateToken creates a token and returns it with its value, the only time the value is seen.
func (s *Store) CreateToken(ctx context.Context, who cutover.Caller, nt NewToken) (tok cutover.Token, value string, err error) {
	value = nt.Value
	if value == "" {
		value = NewTokenValue()
	}
	err = s.write(ctx, func(t *tx) error {
		var org organisationRow
		if err := orgScoped(t.db, who).Where("id = ?", nt.OrgID).Take(&org).Error; err != nil {
			return notFoundOr(err, "load organisation")
		}
		row := tokenRow{ID: cutover.NewID(), OrgID: org.ID, Name: nt.Name, Role: string(nt.Role), Hash: hashToken(value),
			ExpiresAt: utcPtr(nt.ExpiresAt), CreatedAt: t.now}
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		tok = row.toDomain(org.Operator)
		changes := map[string]any{"name": nt.Name, "role": string(nt.Role)}
		if nt.ExpiresAt != nil {
			changes["expires_at"] = nt.ExpiresAt.UTC().Format(time.RFC3339)
		}
		t.record(who, org.ID, "token.created", "token", row.ID, nil, cutover.Created(changes))
		return nil
	})
	return tok, value, err
}

// ListTokens reads one page of live tokens the caller may manage; orgID narrows it to one
// organisation.
func (s *Store) ListTokens(ctx context.Context, who cutover.Caller, orgID *uuid.UUID, p Page) ([]cutover.Token, string, error) {
	q := scoped(s.read.WithContext(ctx), who).Where("revoked_at IS NULL")
	if orgID != nil {
		q = q.Where("org_id = ?", *orgID)
	}
	return pageByID(q, p, "tokens", "list tokens", func(r *tokenRow) uuid.UUID { return r.ID }, func(r *tokenRow) cutover.Token { return r.toDomain(false) })
}

// Token reads one live token the caller may manage.
func (s *Store) Token(ctx context.Context, who cutover.Caller, id uuid.UUID) (cutover.Token, error) {
	var row tokenRow
	if err := scoped(s.read.WithContext(ctx), who).Where("id = ? AND revoked_at IS NULL", id).Take(&row).Error; err != nil {
		return cutover.Token{}, notFoundOr(err, "load token")
	}
	return row.toDomain(false), nil
}

// RevokeToken revokes a live token at once; the row stays for the audit trail.
func (s *Store) RevokeToken(ctx context.Context, who cutover.Caller, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		var row tokenRow
		if err := scoped(t.db, who).Where("id = ? AND revoked_at IS NULL", id).Take(&row).Error; err != nil {
			return notFoundOr(err, "load token")
		}
		if err := t.db.Model(&tokenRow{}).Where("id = ?", id).Update("revoked_at", t.now).Error; err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if err := t.notifyTokenGone(id); err != nil {
			return err
		}
		t.record(who, row.OrgID, "token.revoked", "token", id, nil,
			map[string]cutover.Change{"revoked_at": {From: nil, To: t.now.Format(time.RFC3339Nano)}})
		return nil
	})
}

// ListTokensByOrg lists every live token, with its organisation's name, for the command line.
func (s *Store) ListTokensByOrg(ctx context.Context, orgName string) ([]cutover.Token, map[uuid.UUID]string, error) {
	var orgs []organisationRow
	q := s.read.WithContext(ctx)
	if orgName != "" {
		q = q.Where("name = ?", orgName)
	}
	if err := q.Find(&orgs).Error; err != nil {
		return nil, nil, fmt.Errorf("list organisations: %w", err)
	}
	names := map[uuid.UUID]string{}
	ids := make([]uuid.UUID, len(orgs))
	for i, o := range orgs {
		names[o.ID], ids[i] = o.Name, o.ID
	}
	var rows []tokenRow
	if err := s.read.WithContext(ctx).Where("revoked_at IS NULL AND org_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]cutover.Token, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain(false)
	}
	return out, names, nil
}

// OperatorOrganisation reads the operator organisation.
func (s *Store) OperatorOrganisation(ctx context.Context) (cutover.Organisation, error) {
	var row organisationRow
	if err := s.read.WithContext(ctx).Where("operator = ?", true).Take(&row).Error; err != nil {
		return cutover.Organisation{}, notFoundOr(err, "load operator organisation")
	}
	return row.toDomain(), nil
}
