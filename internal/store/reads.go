package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// The hot reads (one task, a page of tasks, one migration, the migration list, stage counts, the
// event feed, the portfolio) are plain SQL on the read pool, prepared once and scanned by hand
// into rows. The store is otherwise GORM models and repositories; here GORM's statement building
// and reflective scanning cost more than the database's own work (pprof of GET one task: 54% of
// the request in GORM's Take and Find), so these few queries pay for being written out. Writes
// and the cold paths stay on GORM. Every query here is scoped by organisation exactly as
// scoped() scopes GORM's: an org_id condition unless the caller sees every organisation.

// sqlReads runs prepared read statements on a database/sql pool.
type sqlReads struct {
	db    *sql.DB
	pg    bool
	mu    sync.Mutex
	stmts sync.Map // query text as written (with ? placeholders) -> *sql.Stmt
}

func newSQLReads(db *sql.DB, d Dialect) *sqlReads {
	return &sqlReads{db: db, pg: d == Postgres}
}

// query runs q, prepared on first use. The set of query texts is small and fixed by the code
// (one per combination of a list's filters), so the statements are kept for the life of the
// store.
func (r *sqlReads) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return rows, nil
}

func (r *sqlReads) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if v, ok := r.stmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.stmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	text := q
	if r.pg {
		text = rebind(q)
	}
	// Not the request's context: the statement outlives the request that prepared it.
	st, err := r.db.PrepareContext(context.WithoutCancel(ctx), text)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	r.stmts.Store(q, st)
	return st, nil
}

func (r *sqlReads) close() error {
	r.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		r.stmts.Delete(k)
		return true
	})
	return nil
}

// rebind turns the placeholders into PostgreSQL's $1, $2, ...: ? and the +? of SQLite's
// stable plans (see stable). The queries of this file hold no ? inside string literals, and
// write arithmetic with spaces around the operator ("x + ?"), never "x +?".
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == '+' && i+1 < len(q) && q[i+1] == '?':
			continue // the ? that follows becomes $n
		case q[i] == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// where gathers the conditions and arguments of a hand-written query.
//
// A bound value in an equality or a LIMIT is written +? (col = +?, LIMIT +?). SQLite's planner
// looks at the value bound to a plain ? in those places and marks the statement to be planned
// again when the value changes; the driver clears the bindings after every query, which counts
// as a change, so every such statement was parsed and planned again on every execution (20-30 µs
// each: pprof showed the time in the driver's step call, gdb showed sqlite3Reprepare under it).
// Unary plus is SQLite's no-op that hides the parameter from that heuristic; the plan, index use
// included, is the same. PostgreSQL gets a plain $n (see rebind).
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// scope adds the organisation condition scoped() adds to GORM queries.
func (w *where) scope(who cutover.Caller, col string) {
	if !who.SeesAll() {
		w.add(col+" = +?", who.OrgID)
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// taskColumns are a task row's columns in the order scanTask reads them, under the alias t.
const taskColumns = `t.id, t.org_id, t.migration_id, t.stage, t.stage_position, t.grp, t.template_key, t.title,
	t.guidance, t.position, t.owner_role, t.status, t.not_applicable_reason, t.notes, t.timing, t.due_rule,
	t.due_date, t.due_date_source, t.gdpr_warning, t.local, t.completed_at, t.completed_by, t.version,
	t.created_at, t.updated_at`

// reminderColumns are a reminder's columns in the order scanTaskRows reads them, under the alias
// r of a LEFT JOIN: all null for a task without reminders.
const reminderColumns = `r.id, r.position, r.at, r.offset_days, r.time_of_day, r.fire_at`

// taskScan is the scan destination of one task row with one (perhaps absent) reminder.
type taskScan struct {
	t                                              cutover.Task
	key, naReason, notes, timing, dueRule, complBy sql.NullString
	due                                            dateCol
	completedAt                                    sql.NullTime
	status                                         string
	remID                                          uuid.NullUUID
	remPos                                         sql.NullInt64
	remAt, remFire                                 sql.NullTime
	remOffset                                      sql.NullInt64
	remTime                                        sql.NullString
	dest                                           []any
}

func newTaskScan() *taskScan {
	s := &taskScan{}
	t := &s.t
	s.dest = []any{&t.ID, &t.OrgID, &t.MigrationID, &t.Stage, &t.StagePosition, &t.Group, &s.key, &t.Title,
		&t.Guidance, &t.Position, &t.OwnerRole, &s.status, &s.naReason, &s.notes, &s.timing, &s.dueRule,
		&s.due, &t.DueDateSource, &t.GDPRWarning, &t.Local, &s.completedAt, &s.complBy, &t.Version,
		&t.CreatedAt, &t.UpdatedAt,
		&s.remID, &s.remPos, &s.remAt, &s.remOffset, &s.remTime, &s.remFire}
	return s
}

func (s *taskScan) task() cutover.Task {
	t := s.t
	t.Status = cutover.TaskStatus(s.status)
	t.Key, t.NotApplicableReason, t.Notes = strPtr(s.key), strPtr(s.naReason), strPtr(s.notes)
	t.Timing, t.DueRule, t.CompletedBy = strPtr(s.timing), strPtr(s.dueRule), strPtr(s.complBy)
	t.DueDate = s.due.ptr()
	t.CompletedAt = timePtr(s.completedAt)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	t.Reminders = nil
	return t
}

func (s *taskScan) reminder() (cutover.Reminder, bool) {
	if !s.remID.Valid {
		return cutover.Reminder{}, false
	}
	r := cutover.Reminder{ID: s.remID.UUID, At: timePtr(s.remAt), FireAt: timePtr(s.remFire)}
	if s.remOffset.Valid {
		n := int(s.remOffset.Int64)
		r.OffsetDays = &n
	}
	if s.remTime.Valid {
		r.Time = s.remTime.String
	}
	return r, true
}

// scanTaskRows reads tasks joined with their reminders, one row per task and reminder, in any
// order, and returns the tasks in checklist order with their reminders in theirs.
func scanTaskRows(rows *sql.Rows, capacity int) ([]cutover.Task, error) {
	defer rows.Close()
	out := make([]cutover.Task, 0, capacity)
	var remPos map[uuid.UUID]int64 // reminder positions by reminder id, when there are reminders
	at := make(map[uuid.UUID]int, capacity)
	s := newTaskScan()
	for rows.Next() {
		if err := rows.Scan(s.dest...); err != nil {
			return nil, fmt.Errorf("scan task: %w", err)
		}
		i, seen := at[s.t.ID]
		if !seen {
			i = len(out)
			at[s.t.ID] = i
			out = append(out, s.task())
		}
		if r, ok := s.reminder(); ok {
			out[i].Reminders = append(out[i].Reminders, r)
			if remPos == nil {
				remPos = map[uuid.UUID]int64{}
			}
			remPos[r.ID] = s.remPos.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	slices.SortFunc(out, func(a, b cutover.Task) int {
		return cmp.Or(cmp.Compare(a.StagePosition, b.StagePosition), cmp.Compare(a.Position, b.Position),
			bytes.Compare(a.ID[:], b.ID[:]))
	})
	if remPos != nil {
		for i := range out {
			slices.SortFunc(out[i].Reminders, func(a, b cutover.Reminder) int {
				return cmp.Compare(remPos[a.ID], remPos[b.ID])
			})
		}
	}
	return out, nil
}

// migrationColumns are a migration row's columns in the order scanMigration reads them.
const migrationColumns = `id, org_id, ods_code, practice_name, current_supplier, current_product, new_supplier,
	new_product, status, notes, order_date, go_live_date, extract_request_date, kick_off_date,
	technical_survey_date, hardware_deployment_date, training_start_date, training_end_date, idp_date,
	data_checking_start_date, data_signoff_date, cutover_planning_meeting_date, links_off_date, fdp_date,
	final_extract_date, legacy_access_end_date, migration_end_date, go_live_confirmed, final_extract_time,
	stages, template_version, version, created_at, updated_at`

// migrationDateFields are the key date fields in the order of their columns above.
var migrationDateFields = [...]string{"order_date", "go_live_date", "extract_request_date", "kick_off_date",
	"technical_survey_date", "hardware_deployment_date", "training_start_date", "training_end_date", "idp_date",
	"data_checking_start_date", "data_signoff_date", "cutover_planning_meeting_date", "links_off_date", "fdp_date",
	"final_extract_date", "legacy_access_end_date", "migration_end_date"}

// migrationScan is the scan destination of one migration row.
type migrationScan struct {
	m                  cutover.Migration
	status             string
	notes, extractTime sql.NullString
	dates              [len(migrationDateFields)]dateCol
	stages             jsonCol[[]string]
	dest               []any
}

func newMigrationScan() *migrationScan {
	s := &migrationScan{}
	m := &s.m
	s.dest = []any{&m.ID, &m.OrgID, &m.ODSCode, &m.PracticeName, &m.CurrentSupplier, &m.CurrentProduct,
		&m.NewSupplier, &m.NewProduct, &s.status, &s.notes}
	for i := range s.dates {
		s.dest = append(s.dest, &s.dates[i])
	}
	s.dest = append(s.dest, &m.GoLiveConfirmed, &s.extractTime, &s.stages, &m.TemplateVersion, &m.Version,
		&m.CreatedAt, &m.UpdatedAt)
	return s
}

func (s *migrationScan) migration() cutover.Migration {
	m := s.m
	m.Status = cutover.MigrationStatus(s.status)
	m.Notes, m.FinalExtractTime = strPtr(s.notes), strPtr(s.extractTime)
	m.Dates = make(map[string]cutover.Date, 4)
	for i := range s.dates {
		if s.dates[i].valid {
			m.Dates[migrationDateFields[i]] = s.dates[i].t
		}
	}
	m.Stages = s.stages.v
	s.stages.v = nil
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m
}

func scanMigrations(rows *sql.Rows, capacity int) ([]cutover.Migration, error) {
	defer rows.Close()
	out := make([]cutover.Migration, 0, capacity)
	s := newMigrationScan()
	for rows.Next() {
		if err := rows.Scan(s.dest...); err != nil {
			return nil, fmt.Errorf("scan migration: %w", err)
		}
		out = append(out, s.migration())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	return out, nil
}

// signoffColumns are a sign-off row's columns in the order scanSignoffs reads them.
const signoffColumns = `id, org_id, migration_id, stage, role, name, statement, signed_at, signed_by, revoked_at,
	revoked_by, revoked_reason, version`

func scanSignoffs(rows *sql.Rows) ([]cutover.Signoff, error) {
	defer rows.Close()
	var out []cutover.Signoff
	for rows.Next() {
		var so cutover.Signoff
		var revokedAt sql.NullTime
		var revokedBy, reason sql.NullString
		if err := rows.Scan(&so.ID, &so.OrgID, &so.MigrationID, &so.Stage, &so.Role, &so.Name, &so.Statement,
			&so.SignedAt, &so.SignedBy, &revokedAt, &revokedBy, &reason, &so.Version); err != nil {
			return nil, fmt.Errorf("scan sign-off: %w", err)
		}
		so.SignedAt = so.SignedAt.UTC()
		so.RevokedAt, so.RevokedBy, so.RevokedReason = timePtr(revokedAt), strPtr(revokedBy), strPtr(reason)
		out = append(out, so)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sign-offs: %w", err)
	}
	return out, nil
}

// eventColumns are an event row's columns in the order scanEvents reads them.
const eventColumns = `seq, id, org_id, migration_id, at, actor, action, resource_type, resource_id, changes`

func scanEvents(rows *sql.Rows, capacity int) ([]cutover.Event, error) {
	defer rows.Close()
	out := make([]cutover.Event, 0, capacity)
	for rows.Next() {
		var e cutover.Event
		var mid uuid.NullUUID
		var changes jsonCol[map[string]cutover.Change]
		if err := rows.Scan(&e.Seq, &e.ID, &e.OrgID, &mid, &e.At, &e.Actor, &e.Action, &e.ResourceType,
			&e.ResourceID, &changes); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		e.At = e.At.UTC()
		if mid.Valid {
			id := mid.UUID
			e.MigrationID = &id
		}
		e.Changes = changes.v
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return out, nil
}

func strPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := dbTime(t.Time)
	return &v
}
