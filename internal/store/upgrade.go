package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// UpgradeScene is what planning a template upgrade sees: the migration, every one of its tasks and
// its live sign-offs.
type UpgradeScene struct {
	Migration cutover.Migration
	Tasks     []cutover.Task
	Live      []cutover.Signoff
}

// TaskUpdate is a task before and after a change.
type TaskUpdate struct {
	Before, After cutover.Task
}

// TemplateWrites are the writes of a template upgrade.
type TemplateWrites struct {
	Migration cutover.Migration // once upgraded: template version and stages
	Create    []cutover.Task
	Update    []TaskUpdate
	// StagePositions moves every task of a stage to the stage's new place in the guide.
	StagePositions map[string]int
	// Accepted are the signed-off stages the request accepted changing: the migration's event
	// records them, so that overriding a sign-off is on the record.
	Accepted []string
}

// UpgradeScene reads a migration, its tasks and its live sign-offs in one read transaction, so
// that the three agree.
func (s *Store) UpgradeScene(ctx context.Context, who cutover.Caller, id uuid.UUID) (sc UpgradeScene, err error) {
	err = s.read.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		var row migrationRow
		if err := scoped(g, who).Where("id = ?", id).Take(&row).Error; err != nil {
			return notFoundOr(err, "load migration")
		}
		sc.Migration = row.toDomain()
		if sc.Tasks, err = migrationTasks(g, id); err != nil {
			return err
		}
		sc.Live, err = liveSignoffs(g, id)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	return sc, err
}

// UpgradeTemplate lets plan work out a migration's template upgrade from the state inside the
// write transaction and applies it there: new tasks, changed tasks and the migration itself, each
// with its event, all or nothing. want is the migration's If-Match version. A plan with nothing to
// write writes nothing.
func (s *Store) UpgradeTemplate(ctx context.Context, who cutover.Caller, id uuid.UUID, want *int,
	plan func(sc UpgradeScene) (TemplateWrites, error)) (after cutover.Migration, err error) {
	err = s.write(ctx, func(t *tx) error {
		before, err := loadMigration(t, who, id, want)
		if err != nil {
			return err
		}
		sc := UpgradeScene{Migration: before}
		if sc.Tasks, err = migrationTasks(t.db, id); err != nil {
			return err
		}
		if sc.Live, err = liveSignoffs(t.db, id); err != nil {
			return err
		}
		w, err := plan(sc)
		if err != nil {
			return err
		}
		after = w.Migration
		changes := cutover.Diff(before.Fields(), after.Fields())
		if len(changes) == 0 && len(w.Create) == 0 && len(w.Update) == 0 && len(w.StagePositions) == 0 {
			after = before
			return nil
		}
		if err := saveMigration(t, &before, &after); err != nil {
			return err
		}
		if len(w.Accepted) > 0 {
			changes["accepted_signed_off_stages"] = cutover.Change{From: nil, To: append([]string(nil), w.Accepted...)}
		}
		t.record(who, after.OrgID, "migration.updated", "migration", after.ID, &after.ID, changes)
		for stage, pos := range w.StagePositions {
			// Where a stage sits in the guide is not an audited task field: it only orders lists.
			if err := t.db.Model(&taskRow{}).Where("migration_id = ? AND stage = ?", id, stage).
				Update("stage_position", pos).Error; err != nil {
				return fmt.Errorf("move stage %s: %w", stage, err)
			}
		}
		for i := range w.Update {
			u := &w.Update[i]
			if err := saveTask(t, who, &u.Before, &u.After); err != nil {
				return err
			}
		}
		if len(w.Create) > 0 {
			rows := make([]taskRow, len(w.Create))
			for i := range w.Create {
				rows[i] = taskRowOf(&w.Create[i])
				t.record(who, after.OrgID, "task.created", "task", w.Create[i].ID, &after.ID, cutover.Created(w.Create[i].Fields()))
			}
			if err := t.db.CreateInBatches(rows, 500).Error; err != nil {
				return fmt.Errorf("insert tasks: %w", err)
			}
			if err := insertReminders(t, w.Create); err != nil {
				return err
			}
		}
		return nil
	})
	return after, err
}
