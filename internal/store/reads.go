package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"github.com/mattn/go-sqlite3"
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
	// counted, when set, is told of every query (tests count a request's queries with it).
	counted func()
}

func newSQLReads(db *sql.DB, d Dialect) *sqlReads {
	return &sqlReads{db: db, pg: d == Postgres}
}

// query runs q, prepared on first use. The set of query texts is small and fixed by the code
// (one per combination of a list's filters), so the statements are kept for the life of the
// store.
//
// The queries are not interrupted when the request's context ends: each is an index lookup or
// one bounded page, over in microseconds, and a cancellable context makes the SQLite driver arm
// a context.AfterFunc around every query (pprof: 2.5% of serving one task).
func (r *sqlReads) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, q) //nolint:sqlclosecheck // kept for the store's life; sqlReads.close closes it
	if err != nil {
		return nil, err
	}
	if r.counted != nil {
		r.counted()
	}
	rows, err := st.QueryContext(context.WithoutCancel(ctx), args...)
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
	st, err := r.db.PrepareContext(context.WithoutCancel(ctx), text) //nolint:sqlclosecheck // closed by sqlReads.close
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	r.stmts.Store(q, st)
	return st, nil
}

// exists runs a query for a row, and answers cutover.ErrNotFound when there is none.
func (s *Store) exists(ctx context.Context, q string, args ...any) error {
	rows, err := s.reads.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	found := rows.Next()
	if err := rows.Err(); err != nil {
		return err
	}
	if !found {
		return cutover.ErrNotFound
	}
	return nil
}

func (r *sqlReads) close() error {
	r.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		r.stmts.Delete(k)
		return true
	})
	return nil
}

// rebind turns a query written for SQLite into PostgreSQL's: ? and +? become $1, $2, ..., and
// +column (a timestamp read as text, see timeCol) becomes column. The queries of this file hold
// no ? or + inside string literals, and write arithmetic with spaces around the operator
// ("x + ?"), never "x +?".
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == '+' && i+1 < len(q) && (q[i+1] == '?' || q[i+1] == '_' || q[i+1] >= 'a' && q[i+1] <= 'z'):
			continue // the ? that follows becomes $n; a column stays as it is
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

// timeCol is a timestamp column read by hand. On SQLite the hot queries select timestamps as
// +column: an expression has no declared type, so the driver hands over the stored text instead
// of trying its list of layouts with time.ParseInLocation (a third of the driver's time on a page
// of tasks), and timeCol parses the one layout the driver writes. PostgreSQL's driver returns a
// time.Time, and rebind drops the +.
type timeCol struct {
	t     time.Time
	valid bool
}

// Scan implements sql.Scanner.
func (c *timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c = timeCol{}
		return nil
	case time.Time:
		*c = timeCol{t: v.UTC(), valid: true}
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("timestamp column: unexpected %T", v)
}

func (c *timeCol) parse(s string) error {
	t, ok := parseStoredTime(s)
	if !ok {
		// Not the layout the driver writes: the driver's own layouts, as it would have tried.
		var err error
		for _, layout := range sqlite3.SQLiteTimestampFormats {
			if t, err = time.ParseInLocation(layout, strings.TrimSuffix(s, "Z"), time.UTC); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("timestamp column %q: %w", s, err)
		}
	}
	*c = timeCol{t: t.UTC(), valid: true}
	return nil
}

func (c timeCol) ptr() *time.Time {
	if !c.valid {
		return nil
	}
	t := dbTime(c.t)
	return &t
}

// parseStoredTime parses "2006-01-02 15:04:05.999999999-07:00" (or "+07:00", or "Z"), the layout
// the SQLite driver stores time.Time arguments in.
func parseStoredTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != ' ' && s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		i++
		digits := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if digits < 9 {
				nsec = nsec*10 + int(s[i]-'0')
				digits++
			}
			i++
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	offset := 0
	switch {
	case i == len(s)-1 && s[i] == 'Z':
	case i == len(s)-6 && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		oh, ok1 := num(i+1, i+3)
		om, ok2 := num(i+4, i+6)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 February and the like
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// taskColumns are a task row's columns in the order scanTask reads them, under the alias t.
const taskColumns = `t.id, t.org_id, t.migration_id, t.stage, t.stage_position, t.grp, t.template_key, t.title,
	t.guidance, t.position, t.owner_role, t.status, t.not_applicable_reason, t.notes, t.timing, t.due_rule,
	t.due_date, t.due_date_source, t.gdpr_warning, t.local, +t.completed_at, t.completed_by, t.version,
	+t.created_at, +t.updated_at`

// reminderColumns are a reminder's columns in the order scanTaskRows reads them, under the alias
// r of a LEFT JOIN: all null for a task without reminders.
const reminderColumns = `r.id, r.position, +r.at, r.offset_days, r.time_of_day, +r.fire_at`

// attachMigrationReminders reads the reminders of a migration and gives tasks theirs, in order.
func (s *Store) attachMigrationReminders(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, tasks []cutover.Task) error {
	var w where
	w.add("migration_id = +?", migrationID)
	w.scope(who, "org_id")
	rows, err := s.reads.query(ctx, "SELECT task_id, id, +at, offset_days, time_of_day, +fire_at FROM task_reminders WHERE "+
		w.sql()+" ORDER BY task_id, position", w.args...)
	if err != nil {
		return fmt.Errorf("load reminders: %w", err)
	}
	defer rows.Close()
	var at map[uuid.UUID]int
	for rows.Next() {
		var taskID uuid.UUID
		var r cutover.Reminder
		var when, fire timeCol
		var offset sql.NullInt64
		var clock sql.NullString
		if err := rows.Scan(&taskID, &r.ID, &when, &offset, &clock, &fire); err != nil {
			return fmt.Errorf("scan reminder: %w", err)
		}
		if at == nil {
			at = make(map[uuid.UUID]int, len(tasks))
			for i := range tasks {
				at[tasks[i].ID] = i
			}
		}
		i, ok := at[taskID]
		if !ok {
			continue // a task of another page
		}
		r.At, r.FireAt = when.ptr(), fire.ptr()
		if offset.Valid {
			n := int(offset.Int64)
			r.OffsetDays = &n
		}
		if clock.Valid {
			r.Time = clock.String
		}
		tasks[i].Reminders = append(tasks[i].Reminders, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load reminders: %w", err)
	}
	return nil
}

// taskScan is the scan destination of one task row with one (perhaps absent) reminder.
type taskScan struct {
	t                                              cutover.Task
	key, naReason, notes, timing, dueRule, complBy sql.NullString
	due                                            dateCol
	completedAt, createdAt, updatedAt              timeCol
	status                                         string
	remID                                          uuid.NullUUID
	remPos                                         sql.NullInt64
	remAt, remFire                                 timeCol
	remOffset                                      sql.NullInt64
	remTime                                        sql.NullString
	dest, remDest                                  []any // the task's and then the reminder's; remDest is dest's tail
}

// taskScans are reused: a scan destination is 31 pointers and a dozen scanners.
var taskScans = sync.Pool{New: func() any { return newTaskScan() }}

func newTaskScan() *taskScan {
	s := &taskScan{}
	t := &s.t
	s.dest = []any{&t.ID, &t.OrgID, &t.MigrationID, &t.Stage, &t.StagePosition, &t.Group, &s.key, &t.Title,
		&t.Guidance, &t.Position, &t.OwnerRole, &s.status, &s.naReason, &s.notes, &s.timing, &s.dueRule,
		&s.due, &t.DueDateSource, &t.GDPRWarning, &t.Local, &s.completedAt, &s.complBy, &t.Version,
		&s.createdAt, &s.updatedAt,
		&s.remID, &s.remPos, &s.remAt, &s.remOffset, &s.remTime, &s.remFire}
	s.remDest = s.dest[25:]
	return s
}

func (s *taskScan) task() cutover.Task {
	t := s.t
	t.Status = cutover.TaskStatus(s.status)
	t.Key, t.NotApplicableReason, t.Notes = strPtr(s.key), strPtr(s.naReason), strPtr(s.notes)
	t.Timing, t.DueRule, t.CompletedBy = strPtr(s.timing), strPtr(s.dueRule), strPtr(s.complBy)
	t.DueDate = s.due.ptr()
	t.CompletedAt = s.completedAt.ptr()
	t.CreatedAt, t.UpdatedAt = s.createdAt.t, s.updatedAt.t
	t.Reminders = nil
	return t
}

func (s *taskScan) reminder() (cutover.Reminder, bool) {
	if !s.remID.Valid {
		return cutover.Reminder{}, false
	}
	r := cutover.Reminder{ID: s.remID.UUID, At: s.remAt.ptr(), FireAt: s.remFire.ptr()}
	if s.remOffset.Valid {
		n := int(s.remOffset.Int64)
		r.OffsetDays = &n
	}
	if s.remTime.Valid {
		r.Time = s.remTime.String
	}
	return r, true
}

// scanTaskRows reads tasks, in the query's order. With reminders, the rows are tasks LEFT
// JOINed with their reminders, a task's rows together and its reminders in order.
func scanTaskRows(rows *sql.Rows, capacity int, reminders bool) ([]cutover.Task, error) {
	defer rows.Close()
	out := make([]cutover.Task, 0, capacity)
	s := taskScans.Get().(*taskScan)
	defer taskScans.Put(s)
	dest := s.dest
	if !reminders {
		dest = dest[:len(dest)-len(s.remDest)]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan task: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != s.t.ID {
			out = append(out, s.task())
		}
		if !reminders {
			continue
		}
		if r, ok := s.reminder(); ok {
			last := &out[len(out)-1]
			last.Reminders = append(last.Reminders, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	return out, nil
}

// migrationColumns are a migration row's columns in the order scanMigration reads them.
const migrationColumns = `id, org_id, ods_code, practice_name, current_supplier, current_product, new_supplier,
	new_product, status, notes, order_date, go_live_date, extract_request_date, kick_off_date,
	technical_survey_date, hardware_deployment_date, training_start_date, training_end_date, idp_date,
	data_checking_start_date, data_signoff_date, cutover_planning_meeting_date, links_off_date, fdp_date,
	final_extract_date, legacy_access_end_date, migration_end_date, go_live_confirmed, final_extract_time,
	stages, template_version, version, +created_at, +updated_at`

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
	stages             stagesCol
	created, updated   timeCol
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
		&s.created, &s.updated)
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
	m.CreatedAt, m.UpdatedAt = s.created.t, s.updated.t
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
const signoffColumns = `id, org_id, migration_id, stage, role, name, statement, +signed_at, signed_by, +revoked_at,
	revoked_by, revoked_reason, version`

func scanSignoffs(rows *sql.Rows) ([]cutover.Signoff, error) {
	defer rows.Close()
	var out []cutover.Signoff
	for rows.Next() {
		var so cutover.Signoff
		var signedAt, revokedAt timeCol
		var revokedBy, reason sql.NullString
		if err := rows.Scan(&so.ID, &so.OrgID, &so.MigrationID, &so.Stage, &so.Role, &so.Name, &so.Statement,
			&signedAt, &so.SignedBy, &revokedAt, &revokedBy, &reason, &so.Version); err != nil {
			return nil, fmt.Errorf("scan sign-off: %w", err)
		}
		so.SignedAt = signedAt.t
		so.RevokedAt, so.RevokedBy, so.RevokedReason = revokedAt.ptr(), strPtr(revokedBy), strPtr(reason)
		out = append(out, so)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sign-offs: %w", err)
	}
	return out, nil
}

// eventColumns are an event row's columns in the order scanEvents reads them.
const eventColumns = `seq, id, org_id, migration_id, +at, actor, action, resource_type, resource_id, changes`

// scanEvents reads events with their changes as stored (RawChanges), not decoded.
func scanEvents(rows *sql.Rows, capacity int) ([]cutover.Event, error) {
	defer rows.Close()
	out := make([]cutover.Event, 0, capacity)
	for rows.Next() {
		var e cutover.Event
		var at timeCol
		var mid uuid.NullUUID
		if err := rows.Scan(&e.Seq, &e.ID, &e.OrgID, &mid, &at, &e.Actor, &e.Action, &e.ResourceType,
			&e.ResourceID, &e.RawChanges); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		e.At = at.t
		if mid.Valid {
			id := mid.UUID
			e.MigrationID = &id
		}
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
