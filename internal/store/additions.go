package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

type additionRow struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	OrgID     uuid.UUID
	Stage     string
	Grp       string
	Title     string
	Guidance  string
	OwnerRole string
	Timing    *string
	DueRule   *string
	AfterKey  *string
	Position  *int
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (additionRow) TableName() string { return "template_additions" }

func additionRowOf(a *cutover.TemplateAddition) additionRow {
	return additionRow{ID: a.ID, OrgID: a.OrgID, Stage: a.Stage, Grp: a.Group, Title: a.Title, Guidance: a.Guidance,
		OwnerRole: a.OwnerRole, Timing: a.Timing, DueRule: a.DueRule, AfterKey: a.AfterKey, Position: a.Position,
		Version: a.Version, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

func (r *additionRow) toDomain() cutover.TemplateAddition {
	return cutover.TemplateAddition{ID: r.ID, OrgID: r.OrgID, Stage: r.Stage, Group: r.Grp, Title: r.Title,
		Guidance: r.Guidance, OwnerRole: r.OwnerRole, Timing: r.Timing, DueRule: r.DueRule, AfterKey: r.AfterKey,
		Position: r.Position, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// additionsOf checks that the caller may see organisation org and limits a query to its additions.
// Another organisation's additions are a 404, as if they did not exist.
func additionsOf(db *gorm.DB, who cutover.Caller, org uuid.UUID) (*gorm.DB, error) {
	var n int64
	if err := orgScoped(db.Model(&organisationRow{}), who).Where("id = ?", org).Limit(1).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("find organisation: %w", err)
	}
	if n == 0 {
		return nil, cutover.ErrNotFound
	}
	return db.Model(&additionRow{}).Where("org_id = ?", org), nil
}

// ListTemplateAdditions reads one page of an organisation's template additions, oldest first;
// stage narrows it to one stage.
func (s *Store) ListTemplateAdditions(ctx context.Context, who cutover.Caller, org uuid.UUID, stage string, p Page) ([]cutover.TemplateAddition, string, error) {
	q, err := additionsOf(s.read.WithContext(ctx), who, org)
	if err != nil {
		return nil, "", err
	}
	if stage != "" {
		q = q.Where("stage = ?", stage)
	}
	return pageByID(q, p, "template-additions", "list template additions",
		func(r *additionRow) uuid.UUID { return r.ID }, (*additionRow).toDomain)
}

// OrganisationAdditions reads every template addition of the caller's own organisation in
// creation order: what a migration it creates now gets as local tasks. An organisation has a
// handful, so there is no paging.
func (s *Store) OrganisationAdditions(ctx context.Context, who cutover.Caller) ([]cutover.TemplateAddition, error) {
	var rows []additionRow
	if err := s.read.WithContext(ctx).Where("org_id = ?", who.OrgID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load template additions: %w", err)
	}
	out := make([]cutover.TemplateAddition, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// TemplateAddition reads one template addition.
func (s *Store) TemplateAddition(ctx context.Context, who cutover.Caller, org, id uuid.UUID) (cutover.TemplateAddition, error) {
	q, err := additionsOf(s.read.WithContext(ctx), who, org)
	if err != nil {
		return cutover.TemplateAddition{}, err
	}
	var row additionRow
	if err := q.Where("id = ?", id).Take(&row).Error; err != nil {
		return cutover.TemplateAddition{}, notFoundOr(err, "load template addition")
	}
	return row.toDomain(), nil
}

// CreateTemplateAddition writes a new template addition of organisation a.OrgID with its event.
func (s *Store) CreateTemplateAddition(ctx context.Context, who cutover.Caller, a cutover.TemplateAddition) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := additionsOf(t.db, who, a.OrgID); err != nil {
			return err
		}
		row := additionRowOf(&a)
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert template addition: %w", err)
		}
		t.record(who, a.OrgID, "template_addition.created", "template_addition", a.ID, nil, cutover.Created(a.Fields()))
		return nil
	})
}

func loadAddition(t *tx, who cutover.Caller, org, id uuid.UUID, want *int) (cutover.TemplateAddition, error) {
	q, err := additionsOf(t.db, who, org)
	if err != nil {
		return cutover.TemplateAddition{}, err
	}
	var row additionRow
	if err := q.Where("id = ?", id).Take(&row).Error; err != nil {
		return cutover.TemplateAddition{}, notFoundOr(err, "load template addition")
	}
	if want != nil && *want != row.Version {
		return cutover.TemplateAddition{}, cutover.ErrStale
	}
	return row.toDomain(), nil
}

// UpdateTemplateAddition lets apply change a template addition and writes it with its event.
func (s *Store) UpdateTemplateAddition(ctx context.Context, who cutover.Caller, org, id uuid.UUID, want *int,
	apply func(a *cutover.TemplateAddition) error) (after cutover.TemplateAddition, err error) {
	err = s.write(ctx, func(t *tx) error {
		before, err := loadAddition(t, who, org, id, want)
		if err != nil {
			return err
		}
		after = before
		if err := apply(&after); err != nil {
			return err
		}
		changes := cutover.Diff(before.Fields(), after.Fields())
		if len(changes) == 0 {
			after = before
			return nil
		}
		after.Version, after.UpdatedAt = before.Version+1, t.now
		row := additionRowOf(&after)
		if err := updateAtVersion(t, &row, before.ID, before.Version, "update template addition", "id", "org_id", "created_at"); err != nil {
			return err
		}
		t.record(who, org, "template_addition.updated", "template_addition", id, nil, changes)
		return nil
	})
	return after, err
}

// DeleteTemplateAddition deletes a template addition with its event. Migrations that already have
// its task keep it.
func (s *Store) DeleteTemplateAddition(ctx context.Context, who cutover.Caller, org, id uuid.UUID, want *int) error {
	return s.write(ctx, func(t *tx) error {
		a, err := loadAddition(t, who, org, id, want)
		if err != nil {
			return err
		}
		res := t.db.Where("id = ? AND version = ?", a.ID, a.Version).Delete(&additionRow{})
		if err := checked(res, "delete template addition"); err != nil {
			return err
		}
		t.record(who, org, "template_addition.deleted", "template_addition", id, nil, cutover.Deleted(a.Fields()))
		return nil
	})
}
