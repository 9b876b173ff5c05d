package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/jsonappend"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// The statements every write runs (the audit events, the webhook deliveries, a task's update) are
// written out here and run through GORM's prepared-statement cache without GORM's statement
// building: on SQLite they run on the single writer, where every microsecond is taken from
// every other write request in the queue. The rest of the writes stay GORM.

// exec runs a statement written for SQLite (see rebind) in the transaction, prepared once.
func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	st, sqlTx, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	if sqlTx == nil {
		return t.db.Statement.ConnPool.ExecContext(t.db.Statement.Context, t.text(q), args...)
	}
	stmt := sqlTx.StmtContext(t.db.Statement.Context, st)
	defer stmt.Close()
	return stmt.ExecContext(t.db.Statement.Context, args...)
}

// queryRow runs a one-row query written for SQLite in the transaction, prepared once.
func (t *tx) queryRow(q string, args ...any) *sql.Row {
	st, sqlTx, err := t.stmt(q)
	if err != nil || sqlTx == nil {
		return t.db.Statement.ConnPool.QueryRowContext(t.db.Statement.Context, t.text(q), args...)
	}
	stmt := sqlTx.StmtContext(t.db.Statement.Context, st)
	defer stmt.Close()
	return stmt.QueryRowContext(t.db.Statement.Context, args...)
}

// stmt returns q prepared on the write pool, and the transaction's *sql.Tx to run it in; nil when
// q is not one of the statements prepared at open (prepareWrites) or GORM's connection is not a
// *sql.Tx: q then runs as text through GORM's connection. Statements are prepared on the pool,
// not in the transaction: database/sql prepares a statement that belongs to a transaction again
// on every later use (GORM's own cache prepares in the transaction: pprof showed SQLite parsing
// every UPDATE and INSERT of the writer anew), while one prepared on the pool is prepared once on
// each connection, which on SQLite is the one writer connection. They are prepared before the
// writer starts because the pool's one connection is then always in a transaction.
func (t *tx) stmt(q string) (*sql.Stmt, *sql.Tx, error) {
	if t.s.dialect == Postgres {
		return nil, nil, nil
	}
	v, ok := t.s.writeStmts.Load(q)
	if !ok {
		return nil, nil, nil
	}
	ptx, ok := t.db.Statement.ConnPool.(*gorm.PreparedStmtTX)
	if !ok {
		return nil, nil, nil
	}
	sqlTx, ok := ptx.Tx.(*sql.Tx)
	if !ok {
		return nil, nil, nil
	}
	return v.(*sql.Stmt), sqlTx, nil
}

// writeStatements are the statements prepared at open on SQLite.
func writeStatements() []string {
	qs := []string{updateTaskSQL, savepointSQL, rollbackToSQL, releaseSQL}
	for n := 1; n <= insertChunk; n *= 2 {
		qs = append(qs, insertValues("events", eventCols, 9, n), insertValues("webhook_deliveries", deliveryCols, 9, n),
			insertValues("tasks", taskInsertCols, 25, n), insertValues("task_reminders", reminderInsertCols, 10, n))
	}
	qs = append(qs, insertValues("migrations", migrationInsertCols, 34, 1))
	return qs
}

// prepareWrites prepares writeStatements on the SQLite writer.
func (s *Store) prepareWrites(ctx context.Context, db *sql.DB) error {
	for _, q := range writeStatements() {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %.40s: %w", q, err)
		}
		s.writeStmts.Store(q, st)
	}
	return nil
}

// text is q as the transaction's database takes it.
func (t *tx) text(q string) string {
	if t.s.dialect == Postgres {
		return pgText(q)
	}
	return q
}

var pgTexts sync.Map // query as written -> PostgreSQL's text

func pgText(q string) string {
	if v, ok := pgTexts.Load(q); ok {
		return v.(string)
	}
	pq := rebind(q)
	pgTexts.Store(q, pq)
	return pq
}

// insertValues is "INSERT INTO table (cols) VALUES (?, ...), ..." for n rows, kept: a
// transaction's rows go in chunks of at most insertChunk, so there are few distinct texts.
func insertValues(table, cols string, ncols, n int) string {
	key := insertKey{table, n}
	if v, ok := insertTexts.Load(key); ok {
		return v.(string)
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	q := b.String()
	insertTexts.Store(key, q)
	return q
}

type insertKey struct {
	table string
	n     int
}

var insertTexts sync.Map

// insertChunk is the most rows one INSERT takes: well under SQLite's 32766 and PostgreSQL's
// 65535 bound values whatever the table. Chunks are powers of two (157 rows: 128, 16, 8, 4 and 1),
// so a handful of statements, prepared once, serve every count.
const insertChunk = 128

// insert runs an INSERT written for SQLite, prepared once. On SQLite it goes through the
// driver's query path, which binds every value and steps in one call into C, where its exec path
// makes a call per value: 3,900 calls for a checklist's 156 tasks.
func (t *tx) insert(q string, args ...any) error {
	st, sqlTx, err := t.stmt(q)
	if err != nil {
		return err
	}
	if sqlTx == nil {
		_, err := t.db.Statement.ConnPool.ExecContext(t.db.Statement.Context, t.text(q), args...)
		return err
	}
	stmt := sqlTx.StmtContext(t.db.Statement.Context, st)
	defer stmt.Close()
	rows, err := stmt.QueryContext(t.db.Statement.Context, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return rows.Err()
}

// insertRows inserts rows in multi-row INSERTs; row appends one row's values.
func insertRows[T any](t *tx, table, cols string, ncols int, rows []T, row func(args []any, r *T) []any) error {
	args := make([]any, 0, min(len(rows), insertChunk)*ncols)
	for start := 0; start < len(rows); {
		n := insertChunk
		for n > len(rows)-start {
			n /= 2
		}
		chunk := rows[start : start+n]
		start += n
		args = args[:0]
		for i := range chunk {
			args = row(args, &chunk[i])
		}
		if err := t.insert(insertValues(table, cols, ncols, len(chunk)), args...); err != nil {
			return err
		}
	}
	return nil
}

const eventCols = "id, org_id, migration_id, at, actor, action, resource_type, resource_id, changes"

// insertEvents writes events in their order (their sequence numbers follow it). Chunks keep each
// INSERT under the databases' limits on bound variables: a bulk import records tens of thousands
// of events in one transaction.
func insertEvents(t *tx, events []eventRow) error {
	changes := make([]string, len(events))
	var buf []byte
	for i := range events {
		var err error
		if buf, err = appendChanges(buf[:0], events[i].Changes.v); err != nil {
			return fmt.Errorf("encode changes of %s: %w", events[i].Action, err)
		}
		changes[i] = string(buf)
	}
	i := 0
	err := insertRows(t, "events", eventCols, 9, events, func(args []any, e *eventRow) []any {
		i++
		return append(args, e.ID, e.OrgID, e.MigrationID, e.At, e.Actor, e.Action, e.ResourceType, e.ResourceID, changes[i-1])
	})
	if err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}

const (
	migrationInsertCols = `id, org_id, ods_code, practice_name, current_supplier, current_product, new_supplier, new_product,
	status, notes, order_date, go_live_date, extract_request_date, kick_off_date, technical_survey_date,
	hardware_deployment_date, training_start_date, training_end_date, idp_date, data_checking_start_date,
	data_signoff_date, cutover_planning_meeting_date, links_off_date, fdp_date, final_extract_date,
	legacy_access_end_date, migration_end_date, go_live_confirmed, final_extract_time, stages, template_version,
	version, created_at, updated_at`
	taskInsertCols = `id, org_id, migration_id, stage, stage_position, grp, template_key, title, guidance, position,
	owner_role, status, not_applicable_reason, notes, timing, due_rule, due_date, due_date_source, gdpr_warning,
	local, completed_at, completed_by, version, created_at, updated_at`
	reminderInsertCols = "id, org_id, migration_id, task_id, position, at, offset_days, time_of_day, fire_at, created_at"
)

// insertMigrationRows, insertTaskRows and insertReminderRows write new rows as GORM's Create
// did, column for column.
func insertMigrationRows(t *tx, rows []migrationRow) error {
	err := insertRows(t, "migrations", migrationInsertCols, 34, rows, func(a []any, r *migrationRow) []any {
		a = append(a, r.ID, r.OrgID, r.OdsCode, r.PracticeName, r.CurrentSupplier, r.CurrentProduct, r.NewSupplier,
			r.NewProduct, r.Status, r.Notes)
		for _, d := range [...]dateCol{r.OrderDate, r.GoLiveDate, r.ExtractRequestDate, r.KickOffDate,
			r.TechnicalSurveyDate, r.HardwareDeploymentDate, r.TrainingStartDate, r.TrainingEndDate, r.IdpDate,
			r.DataCheckingStartDate, r.DataSignoffDate, r.CutoverPlanningMeetingDate, r.LinksOffDate, r.FdpDate,
			r.FinalExtractDate, r.LegacyAccessEndDate, r.MigrationEndDate} {
			a = append(a, d)
		}
		return append(a, r.GoLiveConfirmed, r.FinalExtractTime, r.Stages, r.TemplateVersion, r.Version, r.CreatedAt, r.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("insert migrations: %w", err)
	}
	return nil
}

func insertTaskRows(t *tx, rows []taskRow) error {
	err := insertRows(t, "tasks", taskInsertCols, 25, rows, func(a []any, r *taskRow) []any {
		return append(a, r.ID, r.OrgID, r.MigrationID, r.Stage, r.StagePosition, r.Grp, r.TemplateKey, r.Title,
			r.Guidance, r.Position, r.OwnerRole, r.Status, r.NotApplicableReason, r.Notes, r.Timing, r.DueRule, r.DueDate,
			r.DueDateSource, r.GdprWarning, r.Local, r.CompletedAt, r.CompletedBy, r.Version, r.CreatedAt, r.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("insert tasks: %w", err)
	}
	return nil
}

func insertReminderRows(t *tx, rows []reminderRow) error {
	err := insertRows(t, "task_reminders", reminderInsertCols, 10, rows, func(a []any, r *reminderRow) []any {
		return append(a, r.ID, r.OrgID, r.MigrationID, r.TaskID, r.Position, r.At, r.OffsetDays, r.TimeOfDay, r.FireAt, r.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("insert reminders: %w", err)
	}
	return nil
}

const deliveryCols = "id, webhook_id, org_id, event_id, action, status, attempts, next_attempt_at, created_at"

func (t *tx) insertDeliveries(rows []deliveryRow) error {
	err := insertRows(t, "webhook_deliveries", deliveryCols, 9, rows, func(args []any, d *deliveryRow) []any {
		return append(args, d.ID, d.WebhookID, d.OrgID, d.EventID, d.Action, d.Status, d.Attempts, d.NextAttemptAt, d.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	return nil
}

// webhookCache holds each organisation's enabled webhooks for enqueueDeliveries, on SQLite: every
// write there goes through this store's one writer, which drops the cache whenever a transaction
// touches a webhook (tx.webhooksChanged). On PostgreSQL another replica may change a webhook at
// any moment, so every transaction reads them, as before.
type webhookCache struct {
	mu   sync.Mutex
	orgs map[uuid.UUID][]cutover.Webhook
	// dirty: a transaction of the batch being written changed webhooks, so until the batch ends
	// they are read inside the transaction (which sees that change) and not cached.
	dirty bool
}

func (c *webhookCache) get(org uuid.UUID) ([]cutover.Webhook, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty {
		return nil, false
	}
	hs, ok := c.orgs[org]
	return hs, ok
}

func (c *webhookCache) put(org uuid.UUID, hs []cutover.Webhook) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty {
		return
	}
	if c.orgs == nil || len(c.orgs) > 10000 {
		c.orgs = map[uuid.UUID][]cutover.Webhook{}
	}
	c.orgs[org] = hs
}

// changed drops the cache and keeps it off until batchDone.
func (c *webhookCache) changed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.orgs, c.dirty = nil, true
}

// batchDone ends a batch: whatever it committed or rolled back, the next reads start afresh if it
// touched webhooks.
func (c *webhookCache) batchDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty {
		c.orgs, c.dirty = nil, false
	}
}

// webhooksChanged is called by every write to the webhooks table, before it is made. On SQLite's
// writer it first has the batch's pending deliveries written (errFlushFirst): they may be to the
// webhook about to change or go.
func (t *tx) webhooksChanged() error {
	t.s.hooks.changed()
	if t.pending != nil && !t.pending.empty() {
		return errFlushFirst
	}
	return nil
}

// enabledWebhooks returns the organisation's enabled webhooks, oldest first, as the transaction
// sees them.
func (t *tx) enabledWebhooks(org uuid.UUID) ([]cutover.Webhook, error) {
	cache := t.s.dialect == SQLite
	if cache {
		if hs, ok := t.s.hooks.get(org); ok {
			return hs, nil
		}
	}
	var rows []webhookRow
	if err := t.db.Where("org_id = ? AND enabled = ?", org, true).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("find webhooks: %w", err)
	}
	hs := make([]cutover.Webhook, len(rows))
	for i := range rows {
		hs[i] = rows[i].toDomain()
	}
	if cache {
		t.s.hooks.put(org, hs)
	}
	return hs, nil
}

// appendChanges appends the JSON of an event's changes exactly as encoding/json writes the map
// (keys sorted, HTML-escaped strings): the audit events of a new checklist (157 of them, ~20 fields
// each) spent most of their insert in json.Marshal's reflection. Values of a type written here
// otherwise go through json.Marshal. TestChangesJSON compares the two.
func appendChanges(b []byte, changes map[string]cutover.Change) ([]byte, error) {
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		c := changes[k]
		b = jsonappend.String(b, k)
		b = append(b, `:{"from":`...)
		if b, err = appendChangeValue(b, c.From); err != nil {
			return nil, err
		}
		b = append(b, `,"to":`...)
		if b, err = appendChangeValue(b, c.To); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendChangeValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonappend.String(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(b, s)
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode change value: %w", err)
	}
	return append(b, j...), nil
}
