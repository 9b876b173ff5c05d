package store

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// CreateContact adds a contact that build makes for a migration the caller can see.
func (s *Store) CreateContact(ctx context.Context, who cutover.Caller, migrationID uuid.UUID,
	build func(m *cutover.Migration) (cutover.Contact, error)) (c cutover.Contact, err error) {
	err = s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, migrationID, nil)
		if err != nil {
			return err
		}
		if c, err = build(&m); err != nil {
			return err
		}
		row := contactRowOf(&c)
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert contact: %w", err)
		}
		t.record(who, c.OrgID, "contact.created", "contact", c.ID, &m.ID, cutover.Created(c.Fields()))
		return nil
	})
	return c, err
}

// Contact reads one contact.
func (s *Store) Contact(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID) (cutover.Contact, error) {
	var row contactRow
	if err := scoped(s.read.WithContext(ctx), who).Where("id = ? AND migration_id = ?", id, migrationID).Take(&row).Error; err != nil {
		return cutover.Contact{}, notFoundOr(err, "load contact")
	}
	return row.toDomain(), nil
}

// ListContacts reads one page of a migration's contacts, oldest first.
func (s *Store) ListContacts(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, role string, p Page) ([]cutover.Contact, string, error) {
	db := s.read.WithContext(ctx)
	q := scoped(db, who).Where("migration_id = ?", migrationID)
	if role != "" {
		q = q.Where("role = ?", role)
	}
	out, next, err := pageByID(q, p, "contacts", "list contacts", func(r *contactRow) uuid.UUID { return r.ID }, (*contactRow).toDomain)
	if err == nil && len(out) == 0 {
		err = s.migrationVisible(ctx, who, migrationID) // an empty page: no such migration, or none yet
	}
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// UpdateContact lets apply change a contact and writes it with its event.
func (s *Store) UpdateContact(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int,
	apply func(c *cutover.Contact) error) (after cutover.Contact, err error) {
	err = s.write(ctx, func(t *tx) error {
		before, err := loadContact(t, who, migrationID, id, want)
		if err != nil {
			return err
		}
		after = before
		if err := apply(&after); err != nil {
			return err
		}
		changes := cutover.Diff(before.Fields(), after.Fields())
		if len(changes) == 0 {
			return nil
		}
		after.Version, after.UpdatedAt = before.Version+1, t.now
		row := contactRowOf(&after)
		if err := updateAtVersion(t, &row, before.ID, before.Version, "update contact", "id", "org_id", "migration_id", "created_at"); err != nil {
			return err
		}
		t.record(who, after.OrgID, "contact.updated", "contact", after.ID, &after.MigrationID, changes)
		return nil
	})
	return after, err
}

// DeleteContact deletes a contact with its event.
func (s *Store) DeleteContact(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int) error {
	return s.write(ctx, func(t *tx) error {
		c, err := loadContact(t, who, migrationID, id, want)
		if err != nil {
			return err
		}
		res := t.db.Where("id = ? AND version = ?", c.ID, c.Version).Delete(&contactRow{})
		if err := checked(res, "delete contact"); err != nil {
			return err
		}
		t.record(who, c.OrgID, "contact.deleted", "contact", c.ID, &c.MigrationID, cutover.Deleted(c.Fields()))
		return nil
	})
}

func loadContact(t *tx, who cutover.Caller, migrationID, id uuid.UUID, want *int) (cutover.Contact, error) {
	m, err := loadMigration(t, who, migrationID, nil)
	if err != nil {
		return cutover.Contact{}, err
	}
	var row contactRow
	if err := t.db.Where("id = ? AND migration_id = ?", id, m.ID).Take(&row).Error; err != nil {
		return cutover.Contact{}, notFoundOr(err, "load contact")
	}
	if want != nil && *want != row.Version {
		return cutover.Contact{}, cutover.ErrStale
	}
	return row.toDomain(), nil
}
