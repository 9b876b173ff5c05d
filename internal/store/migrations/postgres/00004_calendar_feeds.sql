-- +goose Up
-- Calendar apps cannot send a bearer token, so each feed URL carries its own secret. Only the
-- secret's SHA-256 is kept; a revoked feed stays for the record but no longer answers.
CREATE TABLE calendar_feeds (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL,
    migration_id UUID NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    hash         BYTEA NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX calendar_feeds_migration ON calendar_feeds (migration_id, id);

-- +goose Down
DROP TABLE calendar_feeds;
