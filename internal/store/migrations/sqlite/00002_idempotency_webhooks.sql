-- +goose Up
-- One row per (token, Idempotency-Key): the claim while the first request runs, then its
-- response. The primary key is what makes two concurrent requests with one key create one
-- resource: only one INSERT of the claim can succeed.
CREATE TABLE idempotency_keys (
    token_id      TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    state         TEXT NOT NULL,
    owner         TEXT NOT NULL,
    lease_until   DATETIME,
    resource_type TEXT,
    resource_id   TEXT,
    status        INTEGER,
    response      BLOB,
    created_at    DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL,
    PRIMARY KEY (token_id, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    description     TEXT NOT NULL,
    secret          TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since   DATETIME,
    version         INTEGER NOT NULL,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

-- The outbox: a row per (event, webhook), written in the transaction of the change.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    action           TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME,
    last_attempt_at  DATETIME,
    last_status_code INTEGER,
    last_error       TEXT,
    claimed_by       TEXT,
    lease_until      DATETIME,
    created_at       DATETIME NOT NULL,
    delivered_at     DATETIME
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_webhook_status ON webhook_deliveries (webhook_id, status, id);
-- Only pending rows are ever due: the workers' scan stays small however long the history.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE idempotency_keys;
