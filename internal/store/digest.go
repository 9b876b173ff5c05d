package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// DigestWindow is the stretch of time a reminder digest looks at: tasks due on or before Until
// (those before Today are overdue) and reminders going off after Now, up to Horizon.
type DigestWindow struct {
	Today, Until cutover.Date
	Now, Horizon time.Time
}

// DigestReminder is a reminder going off within the window, with its task.
type DigestReminder struct {
	Reminder cutover.Reminder
	Task     cutover.Task // id, stage, title, owner role, due date and status only
}

// MigrationDigest is what needs attention in one migration: its open tasks due up to the window's
// end (overdue ones first, by due date) and the reminders going off within it, by time.
type MigrationDigest struct {
	Migration cutover.Migration
	Tasks     []cutover.Task // id, stage, title, owner role, due date and status only
	Reminders []DigestReminder
}

// ReminderDigest reads one page of the caller's active migrations that have something in the
// window, oldest first, each with its due tasks and reminders. A page costs three queries however
// many migrations it holds: the migrations (keyset on id; a migration with nothing due is passed
// over by two index probes), then the tasks of all of them, then their reminders.
func (s *Store) ReminderDigest(ctx context.Context, who cutover.Caller, w DigestWindow, p Page) ([]MigrationDigest, string, error) {
	cur, err := decodeCursor(p.Cursor, "reminder-digest")
	if err != nil {
		return nil, "", err
	}
	db := s.read.WithContext(ctx)
	until := cutover.FormatDate(w.Until)
	q := scoped(db.Table("migrations AS m"), who).Select("m.*").
		Where("m.status NOT IN ('closed', 'cancelled')").
		Where(`EXISTS (SELECT 1 FROM tasks tk WHERE tk.migration_id = m.id
				AND tk.status IN ('todo', 'in_progress') AND tk.due_date IS NOT NULL AND tk.due_date <= ?)
			OR EXISTS (SELECT 1 FROM task_reminders r JOIN tasks tk ON tk.id = r.task_id
				WHERE r.migration_id = m.id AND r.fire_at > ? AND r.fire_at <= ? AND tk.status IN ('todo', 'in_progress'))`,
			until, w.Now.UTC(), w.Horizon.UTC())
	if cur.ID != uuid.Nil {
		q = q.Where("m.id > ?", cur.ID)
	}
	limit := p.limit()
	var mrows []migrationRow
	if err := q.Order("m.id").Limit(limit + 1).Find(&mrows).Error; err != nil {
		return nil, "", fmt.Errorf("list digest migrations: %w", err)
	}
	mrows, next := nextCursor(mrows, limit, func(r *migrationRow) cursor { return cursor{Kind: "reminder-digest", ID: r.ID} })
	if len(mrows) == 0 {
		return []MigrationDigest{}, "", nil
	}
	out := make([]MigrationDigest, len(mrows))
	byID := make(map[uuid.UUID]*MigrationDigest, len(mrows))
	ids := make([]uuid.UUID, len(mrows))
	for i := range mrows {
		out[i].Migration = mrows[i].toDomain()
		byID[mrows[i].ID] = &out[i]
		ids[i] = mrows[i].ID
	}

	var trows []taskRow
	if err := db.Where("migration_id IN ?", ids).
		Where("status IN ('todo', 'in_progress') AND due_date IS NOT NULL AND due_date <= ?", until).
		Order("migration_id, due_date, stage_position, position, id").Find(&trows).Error; err != nil {
		return nil, "", fmt.Errorf("list digest tasks: %w", err)
	}
	for i := range trows {
		d := byID[trows[i].MigrationID]
		d.Tasks = append(d.Tasks, trows[i].toDomain())
	}

	var rrows []struct {
		ID, OrgID, MigrationID, TaskID uuid.UUID
		At                             *time.Time
		OffsetDays                     *int
		TimeOfDay                      *string
		FireAt                         *time.Time
		Stage, Title, OwnerRole        string
		DueDate                        dateCol
		Status                         string
	}
	if err := db.Table("task_reminders AS r").
		Select(`r.id, r.org_id, r.migration_id, r.task_id, r.at, r.offset_days, r.time_of_day, r.fire_at,
			tk.stage, tk.title, tk.owner_role, tk.due_date, tk.status`).
		Joins("JOIN tasks tk ON tk.id = r.task_id").
		Where("r.migration_id IN ?", ids).
		Where("r.fire_at > ? AND r.fire_at <= ? AND tk.status IN ('todo', 'in_progress')", w.Now.UTC(), w.Horizon.UTC()).
		Order("r.migration_id, r.fire_at, r.id").Scan(&rrows).Error; err != nil {
		return nil, "", fmt.Errorf("list digest reminders: %w", err)
	}
	for i := range rrows {
		r := &rrows[i]
		d := byID[r.MigrationID]
		rem := reminderRow{ID: r.ID, At: r.At, OffsetDays: r.OffsetDays, TimeOfDay: r.TimeOfDay, FireAt: r.FireAt}
		d.Reminders = append(d.Reminders, DigestReminder{Reminder: rem.toDomain(), Task: cutover.Task{
			ID: r.TaskID, OrgID: r.OrgID, MigrationID: r.MigrationID, Stage: r.Stage, Title: r.Title,
			OwnerRole: r.OwnerRole, DueDate: r.DueDate.ptr(), Status: cutover.TaskStatus(r.Status)}})
	}
	return out, next, nil
}
