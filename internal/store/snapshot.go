package store

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Snapshot is everything a printout of one migration shows, read at one moment.
type Snapshot struct {
	Migration cutover.Migration
	Tasks     []cutover.Task    // checklist order
	Contacts  []cutover.Contact // oldest first
	Signoffs  []cutover.Signoff // live ones, oldest first
}

// Snapshot reads a migration with all its tasks, contacts and live sign-offs in one read
// transaction, so a printout never mixes two states of the checklist.
func (s *Store) Snapshot(ctx context.Context, who cutover.Caller, id uuid.UUID) (Snapshot, error) {
	var snap Snapshot
	err := s.read.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		var row migrationRow
		if err := scoped(db, who).Where("id = ?", id).Take(&row).Error; err != nil {
			return notFoundOr(err, "load migration")
		}
		var err error
		snap, err = readSnapshot(db, row.toDomain())
		return err
	})
	return snap, err
}

// readSnapshot reads the rest of a snapshot for a migration already loaded (and so already
// known to be the caller's).
func readSnapshot(db *gorm.DB, m cutover.Migration) (Snapshot, error) {
	snap := Snapshot{Migration: m}
	var err error
	if snap.Tasks, err = migrationTasks(db, m.ID); err != nil {
		return Snapshot{}, err
	}
	var contacts []contactRow
	if err := db.Where("migration_id = ?", m.ID).Order("id").Find(&contacts).Error; err != nil {
		return Snapshot{}, fmt.Errorf("load contacts: %w", err)
	}
	snap.Contacts = make([]cutover.Contact, len(contacts))
	for i := range contacts {
		snap.Contacts[i] = contacts[i].toDomain()
	}
	if snap.Signoffs, err = liveSignoffs(db, m.ID); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}
