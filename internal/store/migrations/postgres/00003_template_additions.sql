-- +goose Up
-- An organisation's own tasks added to stages of the checklist template; migrations it creates
-- afterwards copy them as local tasks. Deleting the organisation deletes them (their events stay).
CREATE TABLE template_additions (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    grp        TEXT NOT NULL,
    title      TEXT NOT NULL,
    guidance   TEXT NOT NULL,
    owner_role TEXT NOT NULL,
    timing     TEXT,
    due_rule   TEXT,
    after_key  TEXT,
    position   INTEGER,
    version    INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Lists and migration creation read one organisation's additions in creation order.
CREATE INDEX template_additions_org ON template_additions (org_id, id);

-- +goose Down
DROP TABLE template_additions;
