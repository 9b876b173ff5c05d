-- +goose Up
CREATE TABLE organisations (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    operator   BOOLEAN NOT NULL DEFAULT FALSE,
    version    INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organisations_name ON organisations (name);

CREATE TABLE tokens (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES organisations (id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         BYTEA NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);
CREATE INDEX tokens_org ON tokens (org_id, id);

CREATE TABLE migrations (
    id                            UUID PRIMARY KEY,
    org_id                        UUID NOT NULL REFERENCES organisations (id),
    ods_code                      TEXT NOT NULL,
    practice_name                 TEXT NOT NULL,
    current_supplier              TEXT NOT NULL,
    current_product               TEXT NOT NULL,
    new_supplier                  TEXT NOT NULL,
    new_product                   TEXT NOT NULL,
    status                        TEXT NOT NULL,
    notes                         TEXT,
    order_date                    TEXT,
    go_live_date                  TEXT,
    extract_request_date          TEXT,
    kick_off_date                 TEXT,
    technical_survey_date         TEXT,
    hardware_deployment_date      TEXT,
    training_start_date           TEXT,
    training_end_date             TEXT,
    idp_date                      TEXT,
    data_checking_start_date      TEXT,
    data_signoff_date             TEXT,
    cutover_planning_meeting_date TEXT,
    links_off_date                TEXT,
    fdp_date                      TEXT,
    final_extract_date            TEXT,
    legacy_access_end_date        TEXT,
    migration_end_date            TEXT,
    go_live_confirmed             BOOLEAN NOT NULL DEFAULT FALSE,
    final_extract_time            TEXT,
    stages                        TEXT NOT NULL,
    template_version              TEXT NOT NULL,
    version                       INTEGER NOT NULL,
    created_at                    TIMESTAMPTZ NOT NULL,
    updated_at                    TIMESTAMPTZ NOT NULL
);
-- Every list is a keyset range scan on one of these, whatever the filter.
CREATE INDEX migrations_org ON migrations (org_id, id);
CREATE INDEX migrations_org_status ON migrations (org_id, status, id);
CREATE INDEX migrations_org_ods ON migrations (org_id, ods_code, id);
CREATE INDEX migrations_org_fdp ON migrations (org_id, fdp_date, id);
CREATE INDEX migrations_org_current_supplier ON migrations (org_id, lower(current_supplier), id);
CREATE INDEX migrations_org_new_supplier ON migrations (org_id, lower(new_supplier), id);

CREATE TABLE tasks (
    id                    UUID PRIMARY KEY,
    org_id                UUID NOT NULL,
    migration_id          UUID NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    stage                 TEXT NOT NULL,
    stage_position        INTEGER NOT NULL,
    grp                   TEXT NOT NULL,
    template_key          TEXT,
    title                 TEXT NOT NULL,
    guidance              TEXT NOT NULL,
    position              INTEGER NOT NULL,
    owner_role            TEXT NOT NULL,
    status                TEXT NOT NULL,
    not_applicable_reason TEXT,
    notes                 TEXT,
    timing                TEXT,
    due_rule              TEXT,
    due_date              TEXT,
    due_date_source       TEXT NOT NULL,
    gdpr_warning          BOOLEAN NOT NULL DEFAULT FALSE,
    local                 BOOLEAN NOT NULL DEFAULT FALSE,
    completed_at          TIMESTAMPTZ,
    completed_by          TEXT,
    version               INTEGER NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
-- Checklist order within a migration; filters narrow one migration's ~150 rows.
CREATE INDEX tasks_order ON tasks (migration_id, stage_position, position, id);
CREATE INDEX tasks_org_due ON tasks (org_id, due_date) WHERE due_date IS NOT NULL;

CREATE TABLE contacts (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL,
    migration_id UUID NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    name         TEXT,
    email        TEXT,
    phone        TEXT,
    notes        TEXT,
    version      INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_migration ON contacts (migration_id, id);

CREATE TABLE signoffs (
    id             UUID PRIMARY KEY,
    org_id         UUID NOT NULL,
    migration_id   UUID NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    stage          TEXT NOT NULL,
    role           TEXT NOT NULL,
    name           TEXT NOT NULL,
    statement      TEXT NOT NULL,
    signed_at      TIMESTAMPTZ NOT NULL,
    signed_by      TEXT NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_by     TEXT,
    revoked_reason TEXT,
    version        INTEGER NOT NULL
);
CREATE INDEX signoffs_migration ON signoffs (migration_id, id);

-- Append-only. No foreign key to migrations: the history of a deleted migration stays.
CREATE TABLE events (
    seq           BIGSERIAL PRIMARY KEY,
    id            UUID NOT NULL,
    org_id        UUID NOT NULL,
    migration_id  UUID,
    at            TIMESTAMPTZ NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   UUID NOT NULL,
    changes       TEXT NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_org ON events (org_id, seq);
CREATE INDEX events_migration ON events (migration_id, seq);

-- +goose Down
DROP TABLE events;
DROP TABLE signoffs;
DROP TABLE contacts;
DROP TABLE tasks;
DROP TABLE migrations;
DROP TABLE tokens;
DROP TABLE organisations;
