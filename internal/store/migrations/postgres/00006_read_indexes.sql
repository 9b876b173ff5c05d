-- +goose Up
-- The feed filtered by action (GET /v1/events?action=...): one range of this index, in commit
-- order, however long the history. Without it both databases walked the organisation's events
-- (or, on PostgreSQL, the whole table) in sequence order, keeping the few that matched.
CREATE INDEX events_org_action ON events (org_id, action, seq);
-- Stage progress and the portfolio count a migration's tasks by stage, status and due date:
-- from this index alone, without reading the task rows (the portfolio at 1,000 migrations spent
-- most of its 20 ms reading 7,800 of them for a page of 50).
CREATE INDEX tasks_progress ON tasks (migration_id, stage, status, due_date, org_id);

-- +goose Down
DROP INDEX tasks_progress;
DROP INDEX events_org_action;
