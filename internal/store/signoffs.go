package store

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// liveSignoffs reads a migration's sign-offs that are not revoked, oldest first.
func liveSignoffs(db *gorm.DB, migrationID uuid.UUID) ([]cutover.Signoff, error) {
	var rows []signoffRow
	if err := db.Where("migration_id = ? AND revoked_at IS NULL", migrationID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load sign-offs: %w", err)
	}
	out := make([]cutover.Signoff, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// LiveSignoffs reads a migration's live sign-offs, oldest first.
func (s *Store) LiveSignoffs(ctx context.Context, who cutover.Caller, migrationID uuid.UUID) ([]cutover.Signoff, error) {
	var w where
	w.add("migration_id = +? AND revoked_at IS NULL", migrationID)
	w.scope(who, "org_id")
	rows, err := s.reads.query(ctx, "SELECT "+signoffColumns+" FROM signoffs WHERE "+w.sql()+" ORDER BY id", w.args...)
	if err != nil {
		return nil, fmt.Errorf("load sign-offs: %w", err)
	}
	out, err := scanSignoffs(rows)
	if err != nil {
		return nil, fmt.Errorf("load sign-offs: %w", err)
	}
	return out, nil
}

// SignoffScene is what the sign-off gate sees inside the write transaction.
type SignoffScene struct {
	Migration  cutover.Migration
	Live       []cutover.Signoff
	StageTasks func(stage string) ([]cutover.Task, error)
}

// CreateSignoff writes the sign-off that sign makes after checking the gate against the state
// inside the transaction. want is the migration's If-Match version.
func (s *Store) CreateSignoff(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, want *int,
	sign func(sc SignoffScene) (cutover.Signoff, error)) (so cutover.Signoff, err error) {
	err = s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, migrationID, want)
		if err != nil {
			return err
		}
		live, err := liveSignoffs(t.db, m.ID)
		if err != nil {
			return err
		}
		so, err = sign(SignoffScene{Migration: m, Live: live, StageTasks: func(stage string) ([]cutover.Task, error) {
			return stageTasks(t.db, m.ID, stage)
		}})
		if err != nil {
			return err
		}
		row := signoffRowOf(&so)
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert sign-off: %w", err)
		}
		t.record(who, so.OrgID, "signoff.created", "signoff", so.ID, &m.ID, cutover.Created(so.Fields()))
		return nil
	})
	return so, err
}

// RevokeSignoff lets revoke mark a sign-off revoked and writes it with its event.
func (s *Store) RevokeSignoff(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int,
	revoke func(so *cutover.Signoff) error) (after cutover.Signoff, err error) {
	err = s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, migrationID, nil)
		if err != nil {
			return err
		}
		var row signoffRow
		if err := t.db.Where("id = ? AND migration_id = ?", id, m.ID).Take(&row).Error; err != nil {
			return notFoundOr(err, "load sign-off")
		}
		before := row.toDomain()
		if want != nil && *want != before.Version {
			return cutover.ErrStale
		}
		after = before
		if err := revoke(&after); err != nil {
			return err
		}
		after.Version = before.Version + 1
		upd := signoffRowOf(&after)
		res := t.db.Model(&signoffRow{}).Where("id = ? AND version = ?", before.ID, before.Version).
			Select("revoked_at", "revoked_by", "revoked_reason", "version").Updates(&upd)
		if err := checked(res, "revoke sign-off"); err != nil {
			return err
		}
		t.record(who, after.OrgID, "signoff.revoked", "signoff", after.ID, &m.ID, cutover.Diff(before.Fields(), after.Fields()))
		return nil
	})
	return after, err
}

// Signoff reads one sign-off.
func (s *Store) Signoff(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID) (cutover.Signoff, error) {
	var row signoffRow
	if err := scoped(s.read.WithContext(ctx), who).Where("id = ? AND migration_id = ?", id, migrationID).Take(&row).Error; err != nil {
		return cutover.Signoff{}, notFoundOr(err, "load sign-off")
	}
	return row.toDomain(), nil
}

// ListSignoffs reads one page of a migration's sign-offs, revoked ones included, oldest first.
func (s *Store) ListSignoffs(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, stage string, p Page) ([]cutover.Signoff, string, error) {
	db := s.read.WithContext(ctx)
	q := scoped(db, who).Where("migration_id = ?", migrationID)
	if stage != "" {
		q = q.Where("stage = ?", stage)
	}
	out, next, err := pageByID(q, p, "signoffs", "list sign-offs", func(r *signoffRow) uuid.UUID { return r.ID }, (*signoffRow).toDomain)
	if err == nil && len(out) == 0 {
		err = s.migrationVisible(ctx, who, migrationID) // an empty page: no such migration, or none yet
	}
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
