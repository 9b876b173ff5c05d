package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// scoped limits a query to the rows the caller may see: its organisation's, or every
// organisation's for the operator's admins. Every read and write of organisation data goes
// through it.
func scoped(db *gorm.DB, who cutover.Caller) *gorm.DB {
	if who.SeesAll() {
		return db
	}
	return db.Where("org_id = ?", who.OrgID)
}

// MigrationFilter narrows a list of migrations.
type MigrationFilter struct {
	Status   string
	ODSCode  string
	Supplier string // current or new supplier, case-insensitive
	FDPFrom  *cutover.Date
	FDPTo    *cutover.Date
}

// CreateMigration writes a new migration and its checklist, with an event for each, in one
// transaction.
func (s *Store) CreateMigration(ctx context.Context, who cutover.Caller, m cutover.Migration, tasks []cutover.Task) error {
	return s.write(ctx, func(t *tx) error {
		return s.insertMigration(t, who, m, tasks)
	})
}

func (s *Store) insertMigration(t *tx, who cutover.Caller, m cutover.Migration, tasks []cutover.Task) error {
	return insertMigrations(t, who, []MigrationWithTasks{{Migration: m, Tasks: tasks}})
}

// insertMigrations writes new migrations and their checklists, recording an event for each row.
// Rows go in multi-row INSERTs (insertRows), so a checklist is a handful of statements and a bulk
// import a few dozen rather than one per migration.
func insertMigrations(t *tx, who cutover.Caller, ms []MigrationWithTasks) error {
	mrows := make([]migrationRow, len(ms))
	var trows []taskRow
	for i := range ms {
		m := &ms[i].Migration
		mrows[i] = migrationRowOf(m)
		t.record(who, m.OrgID, "migration.created", "migration", m.ID, &m.ID, cutover.Created(m.Fields()))
		for j := range ms[i].Tasks {
			task := &ms[i].Tasks[j] //nolint:gosec // G602: j ranges over ms[i].Tasks
			trows = append(trows, taskRowOf(task))
			t.record(who, m.OrgID, "task.created", "task", task.ID, &m.ID, cutover.Created(task.Fields()))
		}
	}
	if err := insertMigrationRows(t, mrows); err != nil {
		return err
	}
	if len(trows) == 0 {
		return nil
	}
	if err := insertTaskRows(t, trows); err != nil {
		return err
	}
	for i := range ms {
		if err := insertReminders(t, ms[i].Tasks); err != nil {
			return err
		}
	}
	return nil
}

// Migration reads one migration.
func (s *Store) Migration(ctx context.Context, who cutover.Caller, id uuid.UUID) (cutover.Migration, error) {
	var w where
	w.add("id = +?", id)
	w.scope(who, "org_id")
	rows, err := s.reads.query(ctx, "SELECT "+migrationColumns+" FROM migrations WHERE "+w.sql(), w.args...)
	if err != nil {
		return cutover.Migration{}, fmt.Errorf("load migration: %w", err)
	}
	ms, err := scanMigrations(rows, 1)
	if err != nil {
		return cutover.Migration{}, fmt.Errorf("load migration: %w", err)
	}
	if len(ms) == 0 {
		return cutover.Migration{}, cutover.ErrNotFound
	}
	return ms[0], nil
}

// ListMigrations reads one page of the caller's migrations, oldest first.
func (s *Store) ListMigrations(ctx context.Context, who cutover.Caller, f MigrationFilter, p Page) ([]cutover.Migration, string, error) {
	cur, err := decodeCursor(p.Cursor, "migrations")
	if err != nil {
		return nil, "", err
	}
	var w where
	w.scope(who, "org_id")
	if f.Status != "" {
		w.add("status = +?", f.Status)
	}
	if f.ODSCode != "" {
		w.add("ods_code = +?", f.ODSCode)
	}
	if f.Supplier != "" {
		// Either supplier, each through its own expression index: as an OR the planners walked
		// the organisation's migrations in id order, filtering, however few matched.
		sup := strings.ToLower(f.Supplier)
		var cur, nxt where
		cur.scope(who, "org_id")
		cur.add("lower(current_supplier) = +?", sup)
		nxt.scope(who, "org_id")
		nxt.add("lower(new_supplier) = +?", sup)
		w.add("id IN (SELECT id FROM migrations WHERE "+cur.sql()+" UNION SELECT id FROM migrations WHERE "+nxt.sql()+")",
			append(cur.args, nxt.args...)...)
	}
	if f.FDPFrom != nil {
		w.add("fdp_date >= ?", cutover.FormatDate(*f.FDPFrom))
	}
	if f.FDPTo != nil {
		w.add("fdp_date <= ?", cutover.FormatDate(*f.FDPTo))
	}
	if cur.ID != uuid.Nil {
		w.add("id > ?", cur.ID)
	}
	limit := p.limit()
	rows, err := s.reads.query(ctx, "SELECT "+migrationColumns+" FROM migrations WHERE "+w.sql()+" ORDER BY id LIMIT +?",
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list migrations: %w", err)
	}
	ms, err := scanMigrations(rows, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list migrations: %w", err)
	}
	ms, next := nextCursor(ms, limit, func(m *cutover.Migration) cursor { return cursor{Kind: "migrations", ID: m.ID} })
	return ms, next, nil
}

// loadMigration reads a migration inside a write transaction, checking the If-Match version.
func loadMigration(t *tx, who cutover.Caller, id uuid.UUID, want *int) (cutover.Migration, error) {
	var row migrationRow
	q := scoped(t.db, who).Where("id = ?", id)
	if t.s.dialect == Postgres {
		// Changes under one migration (its tasks, sign-offs, dates) queue on its row, so a
		// sign-off and a task reopening cannot both pass their checks. SQLite has one writer.
		q = q.Clauses(forUpdate)
	}
	if err := q.Take(&row).Error; err != nil {
		return cutover.Migration{}, notFoundOr(err, "load migration")
	}
	if want != nil && *want != row.Version {
		return cutover.Migration{}, cutover.ErrStale
	}
	return row.toDomain(), nil
}

// saveMigration writes a changed migration if its version is still the one read.
func saveMigration(t *tx, before, after *cutover.Migration) error {
	after.Version = before.Version + 1
	after.UpdatedAt = t.now
	row := migrationRowOf(after)
	return updateAtVersion(t, &row, before.ID, before.Version, "update migration", "id", "org_id", "created_at")
}

// UpdateMigration lets apply change a migration (seeing its live sign-offs) and writes it; when
// key dates move, every derived task due date moves with them in the same transaction.
func (s *Store) UpdateMigration(ctx context.Context, who cutover.Caller, id uuid.UUID, want *int,
	apply func(m *cutover.Migration, live []cutover.Signoff) error,
	rederive func(m *cutover.Migration, tasks []cutover.Task) []int) (after cutover.Migration, err error) {
	err = s.write(ctx, func(t *tx) error {
		before, err := loadMigration(t, who, id, want)
		if err != nil {
			return err
		}
		live, err := liveSignoffs(t.db, before.ID)
		if err != nil {
			return err
		}
		after = before
		after.Dates = cloneDates(before.Dates)
		if err := apply(&after, live); err != nil {
			return err
		}
		changes := cutover.Diff(before.Fields(), after.Fields())
		if len(changes) == 0 {
			return nil // nothing changed: no new version, no event
		}
		if err := saveMigration(t, &before, &after); err != nil {
			return err
		}
		t.record(who, after.OrgID, "migration.updated", "migration", after.ID, &after.ID, changes)
		if rederive == nil {
			return nil
		}
		tasks, err := migrationTasks(t.db, after.ID)
		if err != nil {
			return err
		}
		olds := make([]cutover.Task, len(tasks))
		copy(olds, tasks)
		for _, i := range rederive(&after, tasks) {
			if err := saveTask(t, who, &olds[i], &tasks[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return after, err
}

// DeleteMigration deletes a migration with its tasks, contacts and sign-offs; its events stay.
func (s *Store) DeleteMigration(ctx context.Context, who cutover.Caller, id uuid.UUID, want *int, check func(m *cutover.Migration, live []cutover.Signoff) error) error {
	return s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, id, want)
		if err != nil {
			return err
		}
		live, err := liveSignoffs(t.db, m.ID)
		if err != nil {
			return err
		}
		if err := check(&m, live); err != nil {
			return err
		}
		res := t.db.Where("id = ? AND version = ?", m.ID, m.Version).Delete(&migrationRow{})
		if err := checked(res, "delete migration"); err != nil {
			return err
		}
		t.record(who, m.OrgID, "migration.deleted", "migration", m.ID, &m.ID, cutover.Deleted(m.Fields()))
		return nil
	})
}

// migrationVisible reports whether the caller can see the migration (cutover.ErrNotFound if not).
func (s *Store) migrationVisible(ctx context.Context, who cutover.Caller, id uuid.UUID) error {
	var w where
	w.add("id = +?", id)
	w.scope(who, "org_id")
	if err := s.exists(ctx, "SELECT 1 FROM migrations WHERE "+w.sql(), w.args...); err != nil {
		return fmt.Errorf("find migration: %w", err)
	}
	return nil
}

func cloneDates(d map[string]cutover.Date) map[string]cutover.Date {
	out := make(map[string]cutover.Date, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}
