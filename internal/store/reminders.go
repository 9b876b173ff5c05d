package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// reminderRow is one reminder of a task. fired_for is deliberately not a field: only the scheduler
// writes it, with its own conditional UPDATE, so no write of a task's reminders can reset it.
type reminderRow struct {
	ID          uuid.UUID `gorm:"primaryKey"`
	OrgID       uuid.UUID
	MigrationID uuid.UUID
	TaskID      uuid.UUID
	Position    int
	At          *time.Time
	OffsetDays  *int
	TimeOfDay   *string
	FireAt      *time.Time
	CreatedAt   time.Time
}

func (reminderRow) TableName() string { return "task_reminders" }

func reminderRowOf(t *cutover.Task, pos int, r *cutover.Reminder, now time.Time) reminderRow {
	row := reminderRow{ID: r.ID, OrgID: t.OrgID, MigrationID: t.MigrationID, TaskID: t.ID, Position: pos,
		At: utcPtr(r.At), OffsetDays: r.OffsetDays, FireAt: utcPtr(r.FireAt), CreatedAt: now.UTC()}
	if r.Relative() {
		clock := r.Time
		row.TimeOfDay = &clock
	}
	return row
}

func (r *reminderRow) toDomain() cutover.Reminder {
	out := cutover.Reminder{ID: r.ID, At: utcPtr(r.At), OffsetDays: r.OffsetDays, FireAt: utcPtr(r.FireAt)}
	if r.TimeOfDay != nil {
		out.Time = *r.TimeOfDay
	}
	return out
}

// attachReminders loads the reminders of tasks in one query per 500 tasks (one for any page), never
// one per task.
func attachReminders(db *gorm.DB, tasks []cutover.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	at := make(map[uuid.UUID]int, len(tasks))
	ids := make([]uuid.UUID, len(tasks))
	for i := range tasks {
		at[tasks[i].ID] = i
		ids[i] = tasks[i].ID
		tasks[i].Reminders = nil
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var rows []reminderRow
		if err := db.Where("task_id IN ?", chunk).Order("task_id, position").Find(&rows).Error; err != nil {
			return fmt.Errorf("load reminders: %w", err)
		}
		for i := range rows {
			t := &tasks[at[rows[i].TaskID]]
			t.Reminders = append(t.Reminders, rows[i].toDomain())
		}
	}
	return nil
}

// insertReminders writes the reminders of new tasks.
func insertReminders(t *tx, tasks []cutover.Task) error {
	var rows []reminderRow
	for i := range tasks {
		task := &tasks[i]
		for j, r := range task.Reminders {
			rows = append(rows, reminderRowOf(task, j, &r, t.now))
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := insertReminderRows(t, rows); err != nil {
		return err
	}
	return t.remindersChanged()
}

// remindersChanged wakes the reminder schedulers once the transaction commits: this server's at
// once, and on PostgreSQL every replica's, so whichever is idle picks up a reminder set soon.
func (t *tx) remindersChanged() error {
	if t.remindersNoted {
		return nil
	}
	t.remindersNoted = true
	t.afterCommit(t.s.reminders.notify)
	if t.s.dialect != Postgres {
		return nil
	}
	if err := t.db.Exec("SELECT pg_notify(?, '')", reminderChannel).Error; err != nil {
		return fmt.Errorf("notify reminder schedulers: %w", err)
	}
	return nil
}

// reminderChannel carries "reminders changed" between replicas.
const reminderChannel = "cutover_reminders"

// saveReminders brings a changed task's reminders from before to after: the ones it no longer has
// go, new ones come, kept ones move (place, fire_at). A reminder that keeps its fire_at keeps
// whether it has fired; one whose fire_at moves is armed again.
func saveReminders(t *tx, before, after *cutover.Task) error {
	old := make(map[uuid.UUID]*cutover.Reminder, len(before.Reminders))
	oldPos := make(map[uuid.UUID]int, len(before.Reminders))
	for i := range before.Reminders {
		old[before.Reminders[i].ID] = &before.Reminders[i]
		oldPos[before.Reminders[i].ID] = i
	}
	rearmed := false
	var create []reminderRow
	for i := range after.Reminders {
		r := &after.Reminders[i]
		o, kept := old[r.ID]
		if !kept {
			create = append(create, reminderRowOf(after, i, r, t.now))
			rearmed = true
			continue
		}
		delete(old, r.ID)
		if oldPos[r.ID] == i && sameInstant(o.FireAt, r.FireAt) {
			continue
		}
		if err := t.db.Model(&reminderRow{}).Where("id = ?", r.ID).
			Updates(map[string]any{"position": i, "fire_at": utcPtr(r.FireAt)}).Error; err != nil {
			return fmt.Errorf("update reminder: %w", err)
		}
		rearmed = rearmed || !sameInstant(o.FireAt, r.FireAt)
	}
	if len(old) > 0 {
		gone := make([]uuid.UUID, 0, len(old))
		for id := range old {
			gone = append(gone, id)
		}
		if err := t.db.Where("id IN ?", gone).Delete(&reminderRow{}).Error; err != nil {
			return fmt.Errorf("delete reminders: %w", err)
		}
	}
	if len(create) > 0 {
		if err := t.db.Create(&create).Error; err != nil {
			return fmt.Errorf("insert reminders: %w", err)
		}
	}
	if rearmed {
		return t.remindersChanged()
	}
	return nil
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// RemindersChanged returns a channel that is closed when reminders next change (on PostgreSQL, on
// any replica): a reminder added, or its time moved. The scheduler takes it before it looks for the next reminder,
// so that it wakes for one set while it slept.
func (s *Store) RemindersChanged() <-chan struct{} { return s.reminders.next() }

// reminderPending is the scheduler's predicate: a reminder whose fire_at has not been dealt with. It is
// the predicate of the partial index task_reminders_pending, written the same way so that both
// databases use that index.
const reminderPending = "r.fire_at IS NOT NULL AND (r.fired_for IS NULL OR r.fired_for <> r.fire_at)"

// openTask is a task that still needs doing, as the partial indexes on tasks write it.
const openTask = "status IN ('todo', 'in_progress')"

// Pass is what one batch of the scheduler did.
type Pass struct {
	Seen    int // rows taken from the queue
	Fired   int // events recorded
	Skipped int // dealt with without an event: the task was closed, or its migration ended
}

// NextReminder is the earliest fire_at not yet dealt with; nil when there is none.
func (s *Store) NextReminder(ctx context.Context) (*time.Time, error) {
	var rows []struct{ FireAt time.Time }
	// ORDER BY ... LIMIT 1 rather than min(): the column keeps its type, which SQLite's min() loses.
	err := s.read.WithContext(ctx).Table("task_reminders AS r").Select("r.fire_at").Where(reminderPending).
		Order("r.fire_at").Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("next reminder: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	at := rows[0].FireAt.UTC()
	return &at, nil
}

// FireReminders fires up to limit reminders whose time has come (fire_at <= now), oldest first, in
// one transaction: for each, a conditional UPDATE claims it (fired_for = fire_at; the replica whose
// UPDATE changes the row wins) and, when its task is open in an active migration, records a
// task.reminder event with it. A reminder whose task is done or not applicable, or whose migration
// is closed or cancelled, is claimed without an event: its moment has passed, and reopening the
// task later does not bring back a stale reminder. Its changes are reminder_id, reminder (its
// setting, as in the task's audited reminders), fire_at and due_date, each from null.
func (s *Store) FireReminders(ctx context.Context, now time.Time, limit int) (p Pass, err error) {
	type due struct {
		ID, TaskID, OrgID, MigrationID uuid.UUID
		At                             *time.Time
		OffsetDays                     *int
		TimeOfDay                      *string
		FireAt                         time.Time
		DueDate                        dateCol
		TaskStatus                     string
		MigrationStatus                string
	}
	err = s.write(ctx, func(t *tx) error {
		p = Pass{}
		q := t.db.Table("task_reminders AS r").
			Select(`r.id, r.task_id, r.org_id, r.migration_id, r.at, r.offset_days, r.time_of_day, r.fire_at,
				tk.due_date, tk.status AS task_status, m.status AS migration_status`).
			Joins("JOIN tasks tk ON tk.id = r.task_id").
			Joins("JOIN migrations m ON m.id = r.migration_id").
			Where(reminderPending).Where("r.fire_at <= ?", now.UTC()).
			Order("r.fire_at, r.id").Limit(limit)
		if s.dialect == Postgres {
			// Replicas ticking together take different reminders instead of queueing on the same.
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Table: clause.Table{Name: "r"},
				Options: clause.LockingOptionsSkipLocked})
		}
		var rows []due
		if err := q.Scan(&rows).Error; err != nil {
			return fmt.Errorf("load due reminders: %w", err)
		}
		p.Seen = len(rows)
		for _, r := range rows {
			res := t.db.Exec("UPDATE task_reminders SET fired_for = fire_at WHERE id = ? AND fire_at IS NOT NULL AND (fired_for IS NULL OR fired_for <> fire_at)", r.ID)
			if res.Error != nil {
				return fmt.Errorf("claim reminder %s: %w", r.ID, res.Error)
			}
			if res.RowsAffected == 0 {
				continue // another replica fired it
			}
			if !cutover.TaskStatus(r.TaskStatus).Open() || !cutover.MigrationStatus(r.MigrationStatus).Active() {
				p.Skipped++
				continue
			}
			rem := cutover.Reminder{ID: r.ID, At: r.At, OffsetDays: r.OffsetDays}
			if r.TimeOfDay != nil {
				rem.Time = *r.TimeOfDay
			}
			var dueDate any
			if d := r.DueDate.ptr(); d != nil {
				dueDate = cutover.FormatDate(*d)
			}
			mid := r.MigrationID
			t.record(cutover.System(r.OrgID), r.OrgID, "task.reminder", "task", r.TaskID, &mid, map[string]cutover.Change{
				"reminder_id": {From: nil, To: r.ID.String()},
				"reminder":    {From: nil, To: rem.String()},
				"fire_at":     {From: nil, To: r.FireAt.UTC().Format(time.RFC3339)},
				"due_date":    {From: nil, To: dueDate},
			})
			p.Fired++
		}
		return nil
	})
	return p, err
}

// NotifyOverdue records up to limit task.overdue events, one per open task whose due date is before
// today and has not had one for that date, in one transaction: a conditional UPDATE of
// overdue_notified_for claims each (one replica wins). The task's version does not change: being
// overdue is the passing of time, not an edit. A task of a closed or cancelled migration is claimed
// without an event. Its changes are overdue (false to true) and due_date (the date that passed,
// unchanged).
func (s *Store) NotifyOverdue(ctx context.Context, today cutover.Date, limit int) (p Pass, err error) {
	type due struct {
		ID, OrgID, MigrationID uuid.UUID
		DueDate                string
		MigrationStatus        string
	}
	err = s.write(ctx, func(t *tx) error {
		p = Pass{}
		q := t.db.Table("tasks AS tk").
			Select("tk.id, tk.org_id, tk.migration_id, tk.due_date, m.status AS migration_status").
			Joins("JOIN migrations m ON m.id = tk.migration_id").
			// The predicate of the partial index tasks_overdue_pending, term by term.
			Where("tk.status IN ('todo', 'in_progress') AND tk.due_date IS NOT NULL AND (tk.overdue_notified_for IS NULL OR tk.overdue_notified_for <> tk.due_date)").
			Where("tk.due_date < ?", cutover.FormatDate(today)).
			Order("tk.due_date, tk.id").Limit(limit)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Table: clause.Table{Name: "tk"},
				Options: clause.LockingOptionsSkipLocked})
		}
		var rows []due
		if err := q.Scan(&rows).Error; err != nil {
			return fmt.Errorf("load overdue tasks: %w", err)
		}
		p.Seen = len(rows)
		for _, r := range rows {
			res := t.db.Exec(`UPDATE tasks SET overdue_notified_for = due_date
				WHERE id = ? AND due_date = ? AND `+openTask+` AND (overdue_notified_for IS NULL OR overdue_notified_for <> due_date)`,
				r.ID, r.DueDate)
			if res.Error != nil {
				return fmt.Errorf("claim overdue task %s: %w", r.ID, res.Error)
			}
			if res.RowsAffected == 0 {
				continue
			}
			if !cutover.MigrationStatus(r.MigrationStatus).Active() {
				p.Skipped++
				continue
			}
			mid := r.MigrationID
			t.record(cutover.System(r.OrgID), r.OrgID, "task.overdue", "task", r.ID, &mid, map[string]cutover.Change{
				"overdue":  {From: false, To: true},
				"due_date": {From: r.DueDate, To: r.DueDate},
			})
			p.Fired++
		}
		return nil
	})
	return p, err
}
