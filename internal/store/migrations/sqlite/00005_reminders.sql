-- +goose Up
-- A task's reminders, in the order the task lists them. fire_at is when one goes off: its instant,
-- or for one relative to the task's due date, that date read in Europe/London (NULL while the task
-- has no due date). fired_for is the fire_at it last went off for, or was passed over for because
-- its task was closed by then: the scheduler claims a reminder by setting it (a conditional UPDATE,
-- so one replica wins), and moving the due date moves fire_at away from it, which arms the reminder
-- again. Firing never touches the task row, so a task's version and ETag stay as they were.
CREATE TABLE task_reminders (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    migration_id TEXT NOT NULL,
    task_id      TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    at           DATETIME,
    offset_days  INTEGER,
    time_of_day  TEXT,
    fire_at      DATETIME,
    fired_for    DATETIME,
    created_at   DATETIME NOT NULL,
    CHECK ((at IS NULL) <> (offset_days IS NULL))
);
-- A page of tasks loads its reminders in one range scan per task.
CREATE INDEX task_reminders_task ON task_reminders (task_id, position);
-- The scheduler's queue: only reminders not yet dealt with, by time, so a pass costs what is due,
-- not what has ever fired.
CREATE INDEX task_reminders_pending ON task_reminders (fire_at)
    WHERE fire_at IS NOT NULL AND (fired_for IS NULL OR fired_for <> fire_at);
-- The digest: a migration's reminders in a window.
CREATE INDEX task_reminders_migration ON task_reminders (migration_id, fire_at);

-- The due date a task.overdue event was last recorded for: one event per task per due date.
ALTER TABLE tasks ADD COLUMN overdue_notified_for TEXT;
-- The digest: a migration's open tasks by due date.
CREATE INDEX tasks_open_due ON tasks (migration_id, due_date)
    WHERE status IN ('todo', 'in_progress') AND due_date IS NOT NULL;
-- The scheduler: open tasks whose overdue event is still owed, by due date.
CREATE INDEX tasks_overdue_pending ON tasks (due_date)
    WHERE status IN ('todo', 'in_progress') AND due_date IS NOT NULL
      AND (overdue_notified_for IS NULL OR overdue_notified_for <> due_date);

-- +goose Down
DROP INDEX tasks_overdue_pending;
DROP INDEX tasks_open_due;
ALTER TABLE tasks DROP COLUMN overdue_notified_for;
DROP TABLE task_reminders;
