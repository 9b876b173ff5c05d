// Package store keeps cutover's data: GORM rows and repositories, transactions, the versioned
// schema migrations, and the SQLite and PostgreSQL specifics. Every query is scoped by the
// caller's organisation. Every write goes through Store.write, which writes the change and its
// audit events in one transaction. It speaks cutover's types and errors; it never imports HTTP,
// echo or the generated API.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database behind a Store.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options tune a Store; the zero value is a sensible default.
type Options struct {
	Logger    *slog.Logger
	Templates *checklist.Library // the checklist templates; checklist.Builtin() when nil
	Now       func() time.Time   // the clock; time.Now when nil
	// MaxBatch caps how many write requests one SQLite commit gathers (group commit).
	MaxBatch int
	// Redact rewrites free text before it is copied into the audit trail. A server that accepts
	// suspected patient data (the guard's warn mode) keeps it in the resource, where it can be
	// corrected, but not in the append-only history, where it could never be removed.
	Redact func(string) string
	// OnWriteBatch, when set, is told how many write requests each SQLite commit gathered (for
	// metrics). It runs on the writer goroutine, so it must be quick.
	OnWriteBatch func(size int)
}

// Store is the database of one cutover server.
type Store struct {
	dialect   Dialect
	read      *gorm.DB  // reads: a pool of connections
	reads     *sqlReads // the hot reads, hand-written on the same pool
	writeDB   *gorm.DB  // writes: the single SQLite writer, or the PostgreSQL pool
	writer    *writer   // SQLite only: gathers concurrent writes into one commit
	log       *slog.Logger
	templates *checklist.Library
	now       func() time.Time
	feed      *feed
	reminders *feed // wakes the reminder scheduler when reminders change
	tokens    tokenCache
	hooks     webhookCache // SQLite: the organisations' enabled webhooks, for enqueueing deliveries
	// writeStmts are the hand-written write statements, prepared on the write pool (tx.stmt).
	writeStmts sync.Map
	redact     func(string) string
	closers    []func() error
	// schemaVersion is the newest schema migration this binary embeds, for readiness.
	schemaVersion int64
	onBatch       func(size int)
	checkpoints   *checkpointer // SQLite only: copies the WAL back into the database file

	deliveries *feed // wakes webhook workers when deliveries are enqueued
	purgeMu    sync.Mutex
	lastPurge  time.Time // of expired idempotency keys
}

// Open connects to the database named by url and brings its schema up to date. url is a file path
// or a sqlite: URL for SQLite (the default, "cutover.db"), or a postgres:// URL.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	s := &Store{log: opt.Logger, templates: opt.Templates, now: opt.Now, feed: newFeed(), deliveries: newFeed(), reminders: newFeed(),
		tokens: tokenCache{ttl: 30 * time.Second}, redact: opt.Redact, onBatch: opt.OnWriteBatch}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.templates == nil {
		s.templates = checklist.Builtin()
	}
	if s.now == nil {
		s.now = time.Now
	}
	clock := s.now
	s.now = func() time.Time { return dbTime(clock()) }
	var err error
	switch {
	case isPostgres(url):
		err = s.openPostgres(ctx, url)
	default:
		err = s.openSQLite(ctx, url, opt.MaxBatch)
	}
	if err == nil {
		s.schemaVersion, err = latestVersion(s.dialect)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func isPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// SQLitePath returns the file a SQLite database URL names ("" when url is not SQLite).
func SQLitePath(dbURL string) string {
	switch {
	case isPostgres(dbURL):
		return ""
	case dbURL == "":
		return "cutover.db"
	case strings.HasPrefix(dbURL, "sqlite://"):
		return strings.TrimPrefix(dbURL, "sqlite://")
	case strings.HasPrefix(dbURL, "sqlite:"):
		return strings.TrimPrefix(dbURL, "sqlite:")
	case strings.HasPrefix(dbURL, "file:"):
		p := strings.TrimPrefix(dbURL, "file:")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	return dbURL
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // every write already runs in our own transaction
		PrepareStmt:            true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

func (s *Store) openSQLite(ctx context.Context, dbURL string, maxBatch int) error {
	path := SQLitePath(dbURL)
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create database directory: %w", err)
		}
	}
	s.dialect = SQLite
	// synchronous=FULL: a write is acknowledged only once it is on disk, even in WAL mode.
	// _txlock=immediate: every write transaction takes the write lock when it begins, so a
	// read-then-write never fails half way with SQLITE_BUSY.
	// _mutex=no: database/sql hands a connection to one goroutine at a time, so SQLite's own
	// per-connection mutex only costs a lock and unlock around every call into it (pprof: 23% of
	// reading a 50-task page went to pthread_mutex_lock and unlock).
	common := "_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000&_mutex=no"
	w, err := gorm.Open(sqlite.Open("file:"+url.PathEscape(path)+"?"+common+"&_txlock=immediate"), gormConfig())
	if err != nil {
		return fmt.Errorf("open sqlite writer %s: %w", path, err)
	}
	wdb, err := w.DB()
	if err != nil {
		return fmt.Errorf("sqlite writer pool: %w", err)
	}
	wdb.SetMaxOpenConns(1) // one writer: SQLite serialises writes anyway, this makes it explicit
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	s.closers = append(s.closers, wdb.Close)
	s.writeDB = w
	if err := migrateSchema(ctx, wdb, s.dialect); err != nil {
		return err
	}
	if _, err := wdb.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages)); err != nil {
		return fmt.Errorf("sqlite writer checkpoint threshold: %w", err)
	}
	cdb, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+common)
	if err != nil {
		return fmt.Errorf("open sqlite checkpointer %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	s.checkpoints = newCheckpointer(cdb, s.log)
	s.closers = append(s.closers, s.checkpoints.close) // closed after the writer has finished
	r, err := gorm.Open(sqlite.Open("file:"+url.PathEscape(path)+"?"+common+"&_query_only=true"), gormConfig())
	if err != nil {
		return fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	rdb, err := r.DB()
	if err != nil {
		return fmt.Errorf("sqlite reader pool: %w", err)
	}
	// Four readers: the reads are short and the machine this is tuned on has two cores; each
	// connection keeps its own page cache (up to 2 MB), which counts against the memory budget.
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(4)
	s.closers = append(s.closers, rdb.Close)
	s.read = r
	s.reads = newSQLReads(rdb, s.dialect)
	s.closers = append(s.closers, s.reads.close)
	s.closers = append(s.closers, s.closeWriteStmts)
	if err := s.prepareWrites(ctx, wdb); err != nil {
		return err
	}
	s.writer = newWriter(w, s, maxBatch, s.onBatch)
	s.closers = append(s.closers, s.writer.close)
	return nil
}

func (s *Store) openPostgres(ctx context.Context, dbURL string) error {
	s.dialect = Postgres
	db, err := gorm.Open(postgres.Open(dbURL), gormConfig())
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("postgres pool: %w", err)
	}
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s.closers = append(s.closers, sqlDB.Close)
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("reach postgres: %w", err)
	}
	if err := migrateSchema(ctx, sqlDB, s.dialect); err != nil {
		return err
	}
	s.read, s.writeDB = db, db
	s.reads = newSQLReads(sqlDB, s.dialect)
	s.closers = append(s.closers, s.reads.close)
	// Other replicas commit events, enqueue deliveries and revoke tokens too; this connection
	// hears of it.
	l, err := startListener(ctx, dbURL, s)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, l.close)
	return nil
}

func (s *Store) closeWriteStmts() error {
	s.writeStmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		s.writeStmts.Delete(k)
		return true
	})
	return nil
}

// Dialect says which database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Templates returns the checklist templates the store instantiates migrations from.
func (s *Store) Templates() *checklist.Library { return s.templates }

// Close finishes queued writes and closes the database.
func (s *Store) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Ping checks that the database answers and its schema is current.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.read.DB()
	if err != nil {
		return fmt.Errorf("database pool: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return s.schemaCurrent(ctx, sqlDB)
}

// SQLDB returns the database/sql handle of the read pool, for metrics and tests.
func (s *Store) SQLDB() (*sql.DB, error) { return s.read.DB() }

// Pools returns the connection pools by name, for their statistics: on SQLite "read" (the
// readers) and "write" (the one writer); on PostgreSQL "postgres", the one pool.
func (s *Store) Pools() map[string]*sql.DB {
	out := map[string]*sql.DB{}
	if s.dialect == Postgres {
		if db, err := s.read.DB(); err == nil {
			out["postgres"] = db
		}
		return out
	}
	if db, err := s.read.DB(); err == nil {
		out["read"] = db
	}
	if db, err := s.writeDB.DB(); err == nil {
		out["write"] = db
	}
	return out
}

// WriteQueueLength is how many write requests wait for SQLite's writer (always 0 on
// PostgreSQL, where each request writes in its own transaction).
func (s *Store) WriteQueueLength() int {
	if s.writer == nil {
		return 0
	}
	return len(s.writer.queue)
}

// notFoundOr turns GORM's not-found into cutover's and wraps anything else with what was being done.
func notFoundOr(err error, doing string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return cutover.ErrNotFound
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func (d Dialect) String() string { return string(d) }

// checked turns the result of a version-checked write (`WHERE id = ? AND version = ?`) into its
// error: a failure wrapped with what was being done, or cutover.ErrStale when no row matched,
// because another writer (another replica, say) changed the row after it was read.
// updateAtVersion writes row over the stored row id if that is still at version (cutover.ErrStale
// if not), leaving the columns keep names (the row's identity and creation) as they are.
func updateAtVersion[R any](t *tx, row *R, id uuid.UUID, version int, doing string, keep ...string) error {
	var model R
	return checked(t.db.Model(&model).Where("id = ? AND version = ?", id, version).
		Select("*").Omit(keep...).Updates(row), doing)
}

func checked(res *gorm.DB, doing string) error {
	switch {
	case res.Error != nil:
		return fmt.Errorf("%s: %w", doing, res.Error)
	case res.RowsAffected == 0:
		return cutover.ErrStale
	}
	return nil
}
