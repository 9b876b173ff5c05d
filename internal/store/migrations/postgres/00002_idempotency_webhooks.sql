-- +goose Up
-- One row per (token, Idempotency-Key): the claim while the first request runs, then its
-- response. The primary key is what makes two concurrent requests with one key create one
-- resource: only one INSERT of the claim can succeed.
CREATE TABLE idempotency_keys (
    token_id      UUID NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    state         TEXT NOT NULL,
    owner         UUID NOT NULL,
    lease_until   TIMESTAMPTZ,
    resource_type TEXT,
    resource_id   UUID,
    status        INTEGER,
    response      BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (token_id, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

CREATE TABLE webhooks (
    id              UUID PRIMARY KEY,
    org_id          UUID NOT NULL REFERENCES organisations (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    description     TEXT NOT NULL,
    secret          TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since   TIMESTAMPTZ,
    version         INTEGER NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

-- The outbox: a row per (event, webhook), written in the transaction of the change.
CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    webhook_id       UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    org_id           UUID NOT NULL,
    event_id         UUID NOT NULL,
    action           TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    last_status_code INTEGER,
    last_error       TEXT,
    claimed_by       TEXT,
    lease_until      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_webhook_status ON webhook_deliveries (webhook_id, status, id);
-- Only pending rows are ever due: the workers' scan stays small however long the history.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE idempotency_keys;
