-- +goose Up
-- The feed filtered by action (GET /v1/events?action=...): one range of this index, in commit
-- order, however long the history. Without it both databases walked the organisation's events
-- (or, on PostgreSQL, the whole table) in sequence order, keeping the few that matched.
CREATE INDEX events_org_action ON events (org_id, action, seq);

-- +goose Down
DROP INDEX events_org_action;
