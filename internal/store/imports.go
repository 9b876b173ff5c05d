package store

import (
	"context"

	"github.com/cutoverhq/cutover/internal/cutover"
)

// MigrationWithTasks is one new migration and its checklist.
type MigrationWithTasks struct {
	Migration cutover.Migration
	Tasks     []cutover.Task
}

// CreateMigrations writes many new migrations, their checklists and their events in one
// transaction: all of them or, on any error, none.
func (s *Store) CreateMigrations(ctx context.Context, who cutover.Caller, ms []MigrationWithTasks) error {
	return s.write(ctx, func(t *tx) error {
		return insertMigrations(t, who, ms)
	})
}
