package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

var forUpdate = clause.Locking{Strength: clause.LockingStrengthUpdate}

// TaskFilter narrows a migration's checklist.
type TaskFilter struct {
	Stage      string
	Status     string
	OwnerRole  string
	Overdue    *bool
	DueBefore  *cutover.Date // on or before
	DueAfter   *cutover.Date // on or after
	Today      cutover.Date  // for Overdue
	StageOrder int           // the stage's position, when Stage is set: keeps the index range tight
}

// taskQuery reads one task with its reminders; taskQueryAll the same for a caller who sees
// every organisation.
const (
	taskQueryFrom = "SELECT " + taskColumns + ", " + reminderColumns +
		" FROM tasks t LEFT JOIN task_reminders r ON r.task_id = t.id WHERE t.id = +? AND t.migration_id = +?"
	taskQuery    = taskQueryFrom + " AND t.org_id = +? ORDER BY r.position"
	taskQueryAll = taskQueryFrom + " ORDER BY r.position"
)

// Task reads one task with its reminders, in one query.
func (s *Store) Task(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID) (cutover.Task, error) {
	var rows *sql.Rows
	var err error
	if who.SeesAll() {
		rows, err = s.reads.query(ctx, taskQueryAll, id, migrationID)
	} else {
		rows, err = s.reads.query(ctx, taskQuery, id, migrationID, who.OrgID)
	}
	if err != nil {
		return cutover.Task{}, fmt.Errorf("load task: %w", err)
	}
	tasks, err := scanTaskRows(rows, 1, true)
	if err != nil {
		return cutover.Task{}, fmt.Errorf("load task: %w", err)
	}
	if len(tasks) == 0 {
		return cutover.Task{}, cutover.ErrNotFound
	}
	return tasks[0], nil
}

// ListTasks reads one page of a migration's checklist in checklist order, with the tasks'
// reminders: two queries. The page is one range scan of the (migration_id, stage_position,
// position, id) index, whatever its depth. The reminders are read for the whole migration (one
// range of the task_reminders_migration index: a few rows, at most ten per task) and matched
// here: cheaper than joining them to the page, which made SQLite carry every task's columns
// through a subquery (pprof: +50 µs on a 50-task page).
func (s *Store) ListTasks(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, f TaskFilter, p Page) ([]cutover.Task, string, error) {
	cur, err := decodeCursor(p.Cursor, "tasks")
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("migration_id = +?", migrationID)
	w.scope(who, "org_id")
	if f.Stage != "" {
		w.add("stage = +?", f.Stage)
		if f.StageOrder > 0 {
			w.add("stage_position = +?", f.StageOrder)
		}
	}
	if f.Status != "" {
		w.add("status = +?", f.Status)
	}
	if f.OwnerRole != "" {
		w.add("owner_role = +?", f.OwnerRole)
	}
	if f.Overdue != nil {
		overdue := "(status IN ('todo', 'in_progress') AND due_date IS NOT NULL AND due_date < ?)"
		if *f.Overdue {
			w.add(overdue, cutover.FormatDate(f.Today))
		} else {
			w.add("NOT "+overdue, cutover.FormatDate(f.Today))
		}
	}
	// +due_date: without statistics SQLite preferred the organisation-wide (org_id, due_date)
	// index for a date range, a scan that grows with every migration's tasks; this keeps the
	// page on the migration's own range of tasks_order. PostgreSQL gets the plain column.
	if f.DueBefore != nil {
		w.add("+due_date <= +?", cutover.FormatDate(*f.DueBefore))
	}
	if f.DueAfter != nil {
		w.add("+due_date >= +?", cutover.FormatDate(*f.DueAfter))
	}
	if cur.ID != uuid.Nil {
		w.add("(stage_position, position, id) > (?, ?, ?)", cur.A, cur.B, cur.ID)
	}
	limit := p.limit()
	rows, err := s.reads.query(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE "+w.sql()+
		" ORDER BY stage_position, position, id LIMIT +?", append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	tasks, err := scanTaskRows(rows, limit+1, false)
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	if len(tasks) > 0 {
		if err := s.attachMigrationReminders(ctx, who, migrationID, tasks); err != nil {
			return nil, "", err
		}
	}
	if len(tasks) == 0 {
		// An empty page: tell "no tasks match" from "no such migration".
		if err := s.migrationVisible(ctx, who, migrationID); err != nil {
			return nil, "", err
		}
	}
	tasks, next := nextCursor(tasks, limit, func(t *cutover.Task) cursor {
		return cursor{Kind: "tasks", ID: t.ID, A: t.StagePosition, B: t.Position}
	})
	return tasks, next, nil
}

// migrationTasks reads every task of a migration inside a transaction, in checklist order, with
// their reminders: a change to the migration's dates moves them.
func migrationTasks(db *gorm.DB, migrationID uuid.UUID) ([]cutover.Task, error) {
	var rows []taskRow
	if err := db.Where("migration_id = ?", migrationID).Order("stage_position, position, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load tasks: %w", err)
	}
	out := make([]cutover.Task, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	if err := attachReminders(db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// saveTask writes a changed task if its version is still the one read, with its event.
func saveTask(t *tx, who cutover.Caller, before, after *cutover.Task) error {
	changes := cutover.Diff(before.Fields(), after.Fields())
	if len(changes) == 0 {
		*after = *before
		return nil
	}
	after.Version = before.Version + 1
	after.UpdatedAt = t.now
	row := taskRowOf(after)
	if err := updateAtVersion(t, &row, before.ID, before.Version, "update task", "id", "org_id", "migration_id", "created_at"); err != nil {
		return err
	}
	if err := saveReminders(t, before, after); err != nil {
		return err
	}
	t.record(who, after.OrgID, "task.updated", "task", after.ID, &after.MigrationID, changes)
	return nil
}

// TaskScene is what a task rule sees inside the write transaction: the migration and its live
// sign-offs.
type TaskScene struct {
	Migration cutover.Migration
	Live      []cutover.Signoff
}

// UpdateTask lets apply change a task, seeing its migration and live sign-offs, and writes the
// task and its event.
//
// The reads and the rule run first, in the request's goroutine on the read pool; the write
// transaction then only re-checks, in the UPDATE itself, that what the rule saw still holds: the
// task's version, the migration's version (its dates and stages) and that no sign-off has come
// to lock the task's stage. On SQLite that keeps the single writer's share of a PATCH to two
// statements, so group commit can gather many PATCHes into one fsync (pprof of the old path: the
// writer spent ~2 ms a request reading through GORM). When the scene moved in between, the request
// starts again from the reads (and answers 412 if its If-Match no longer holds); after a few tries,
// or for changes beyond what the UPDATE writes, it reads and writes inside the writer as before.
func (s *Store) UpdateTask(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int,
	apply func(sc TaskScene, t *cutover.Task) error) (cutover.Task, error) {
	if claimFrom(ctx) == nil {
		for range 3 {
			after, err := s.updateTaskOptimistic(ctx, who, migrationID, id, want, apply)
			if !errors.Is(err, errSceneMoved) {
				return after, err
			}
		}
	}
	return s.updateTaskInWriter(ctx, who, migrationID, id, want, apply)
}

// errSceneMoved: what a change was worked out from changed before it could be written.
var errSceneMoved = errors.New("the task, its migration or its stage's sign-offs changed meanwhile")

// taskPatchColumns are the task fields a patch may change, and the columns
// updateTaskOptimistic writes; reminders are saveReminders'.
var taskPatchColumns = map[string]bool{"title": true, "guidance": true, "owner_role": true, "status": true,
	"not_applicable_reason": true, "notes": true, "due_date": true, "due_date_source": true, "completed_at": true,
	"completed_by": true, "reminders": true}

func (s *Store) updateTaskOptimistic(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int,
	apply func(sc TaskScene, t *cutover.Task) error) (cutover.Task, error) {
	m, err := s.Migration(ctx, who, migrationID)
	if err != nil {
		return cutover.Task{}, err
	}
	before, err := s.Task(ctx, who, m.ID, id)
	if err != nil {
		return cutover.Task{}, err
	}
	if want != nil && *want != before.Version {
		return cutover.Task{}, cutover.ErrStale
	}
	live, err := s.LiveSignoffs(ctx, who, m.ID)
	if err != nil {
		return cutover.Task{}, err
	}
	after := before
	if err := apply(TaskScene{Migration: m, Live: live}, &after); err != nil {
		return cutover.Task{}, err
	}
	changes := cutover.Diff(before.Fields(), after.Fields())
	if len(changes) == 0 {
		return before, nil
	}
	for k := range changes {
		if !taskPatchColumns[k] {
			return cutover.Task{}, errSceneMoved // not this path's to write: the writer's path does
		}
	}
	err = s.write(ctx, func(t *tx) error {
		if t.s.dialect == Postgres {
			// Changes under one migration queue on its row (see loadMigration), so that a
			// sign-off and this change cannot both pass their checks.
			var v int
			if err := t.queryRow("SELECT version FROM migrations WHERE id = ? FOR UPDATE", m.ID).Scan(&v); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return errSceneMoved
				}
				return fmt.Errorf("lock migration: %w", err)
			}
			if v != m.Version {
				return errSceneMoved
			}
		}
		after.Version, after.UpdatedAt = before.Version+1, t.now
		res, err := t.exec(updateTaskSQL,
			after.Title, after.Guidance, after.OwnerRole, string(after.Status), after.NotApplicableReason,
			after.Notes, dateColOf(after.DueDate), after.DueDateSource, utcPtr(after.CompletedAt), after.CompletedBy,
			after.Version, dbTime(after.UpdatedAt),
			before.ID, before.Version, m.ID, m.Version, m.ID, before.Stage)
		if err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update task: %w", err)
		} else if n == 0 {
			return errSceneMoved
		}
		if err := saveReminders(t, &before, &after); err != nil {
			return err
		}
		t.record(who, after.OrgID, "task.updated", "task", after.ID, &after.MigrationID, changes)
		return nil
	})
	return after, err
}

// updateTaskSQL writes a patched task if the task, its migration and its stage's sign-offs are
// still as the patch saw them.
const updateTaskSQL = `UPDATE tasks SET title = ?, guidance = ?, owner_role = ?, status = ?, not_applicable_reason = ?,
	notes = ?, due_date = ?, due_date_source = ?, completed_at = ?, completed_by = ?, version = ?, updated_at = ?
	WHERE id = +? AND version = +? AND (SELECT version FROM migrations WHERE id = +?) = +?
	AND NOT EXISTS (SELECT 1 FROM signoffs WHERE migration_id = +? AND stage = +? AND revoked_at IS NULL)`

// updateTaskInWriter reads and writes inside the write transaction.
func (s *Store) updateTaskInWriter(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int,
	apply func(sc TaskScene, t *cutover.Task) error) (after cutover.Task, err error) {
	err = s.write(ctx, func(t *tx) error {
		sc, before, err := loadTaskScene(t, who, migrationID, id, want)
		if err != nil {
			return err
		}
		after = before
		if err := apply(sc, &after); err != nil {
			return err
		}
		return saveTask(t, who, &before, &after)
	})
	return after, err
}

// DeleteTask deletes a task that check allows to go, with its event.
func (s *Store) DeleteTask(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID, want *int,
	check func(sc TaskScene, t *cutover.Task) error) error {
	return s.write(ctx, func(t *tx) error {
		sc, task, err := loadTaskScene(t, who, migrationID, id, want)
		if err != nil {
			return err
		}
		if err := check(sc, &task); err != nil {
			return err
		}
		res := t.db.Where("id = ? AND version = ?", task.ID, task.Version).Delete(&taskRow{})
		if err := checked(res, "delete task"); err != nil {
			return err
		}
		t.record(who, task.OrgID, "task.deleted", "task", task.ID, &task.MigrationID, cutover.Deleted(task.Fields()))
		return nil
	})
}

func loadTaskScene(t *tx, who cutover.Caller, migrationID, id uuid.UUID, want *int) (TaskScene, cutover.Task, error) {
	m, err := loadMigration(t, who, migrationID, nil)
	if err != nil {
		return TaskScene{}, cutover.Task{}, err
	}
	var row taskRow
	if err := t.db.Where("id = ? AND migration_id = ?", id, m.ID).Take(&row).Error; err != nil {
		return TaskScene{}, cutover.Task{}, notFoundOr(err, "load task")
	}
	if want != nil && *want != row.Version {
		return TaskScene{}, cutover.Task{}, cutover.ErrStale
	}
	live, err := liveSignoffs(t.db, m.ID)
	if err != nil {
		return TaskScene{}, cutover.Task{}, err
	}
	task := []cutover.Task{row.toDomain()}
	if err := attachReminders(t.db, task); err != nil {
		return TaskScene{}, cutover.Task{}, err
	}
	return TaskScene{Migration: m, Live: live}, task[0], nil
}

// CreateTask adds a custom task that build makes, seeing the migration, its live sign-offs and
// the last position used in a stage.
func (s *Store) CreateTask(ctx context.Context, who cutover.Caller, migrationID uuid.UUID,
	build func(sc TaskScene, lastPosition func(stage string) (int, error)) (cutover.Task, error)) (task cutover.Task, err error) {
	err = s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, migrationID, nil)
		if err != nil {
			return err
		}
		live, err := liveSignoffs(t.db, m.ID)
		if err != nil {
			return err
		}
		last := func(stage string) (int, error) {
			var n *int
			if err := t.db.Model(&taskRow{}).Where("migration_id = ? AND stage = ?", m.ID, stage).
				Select("max(position)").Scan(&n).Error; err != nil {
				return 0, fmt.Errorf("last task position: %w", err)
			}
			if n == nil {
				return 0, nil
			}
			return *n, nil
		}
		task, err = build(TaskScene{Migration: m, Live: live}, last)
		if err != nil {
			return err
		}
		row := taskRowOf(&task)
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert task: %w", err)
		}
		if err := insertReminders(t, []cutover.Task{task}); err != nil {
			return err
		}
		t.record(who, task.OrgID, "task.created", "task", task.ID, &m.ID, cutover.Created(task.Fields()))
		return nil
	})
	return task, err
}

// StageTasks reads the tasks of one stage of a migration inside a transaction.
func stageTasks(db *gorm.DB, migrationID uuid.UUID, stage string) ([]cutover.Task, error) {
	var rows []taskRow
	if err := db.Where("migration_id = ? AND stage = ?", migrationID, stage).Order("position, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load stage tasks: %w", err)
	}
	out := make([]cutover.Task, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// TaskCounts are a stage's task totals.
type TaskCounts struct {
	Total, Done, NotApplicable, Open, Overdue int
}

// StageCounts counts a migration's tasks per stage in one query.
func (s *Store) StageCounts(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, today cutover.Date) (map[string]TaskCounts, error) {
	var w where
	w.add("migration_id = +?", migrationID)
	w.scope(who, "org_id")
	rows, err := s.reads.query(ctx, `SELECT stage, count(*),
			sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END),
			sum(CASE WHEN status = 'not_applicable' THEN 1 ELSE 0 END),
			sum(CASE WHEN status IN ('todo', 'in_progress') THEN 1 ELSE 0 END),
			sum(CASE WHEN status IN ('todo', 'in_progress') AND due_date < ? THEN 1 ELSE 0 END)
		FROM tasks WHERE `+w.sql()+` GROUP BY stage`, append([]any{cutover.FormatDate(today)}, w.args...)...)
	if err != nil {
		return nil, fmt.Errorf("count tasks: %w", err)
	}
	defer rows.Close()
	out := map[string]TaskCounts{}
	for rows.Next() {
		var stage string
		var c TaskCounts
		if err := rows.Scan(&stage, &c.Total, &c.Done, &c.NotApplicable, &c.Open, &c.Overdue); err != nil {
			return nil, fmt.Errorf("count tasks: %w", err)
		}
		out[stage] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count tasks: %w", err)
	}
	return out, nil
}
