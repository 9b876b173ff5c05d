-- +goose Up
-- Calendar apps cannot send a bearer token, so each feed URL carries its own secret. Only the
-- secret's SHA-256 is kept; a revoked feed stays for the record but no longer answers.
CREATE TABLE calendar_feeds (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    migration_id TEXT NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    hash         BLOB NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    revoked_at   DATETIME
);
CREATE INDEX calendar_feeds_migration ON calendar_feeds (migration_id, id);

-- +goose Down
DROP TABLE calendar_feeds;
