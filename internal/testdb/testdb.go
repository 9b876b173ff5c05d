// Package testdb gives each test a database of its own: a SQLite file in the test's temporary
// directory, or, when CUTOVER_TEST_POSTGRES_URL names a PostgreSQL server, a fresh database on it,
// dropped when the test ends. It exists for tests only; nothing in the service imports it.
//
// A fresh PostgreSQL database is a copy of a template this process migrated once (CREATE DATABASE
// ... TEMPLATE), so a test pays for a file copy, not for the schema migrations.
package testdb

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/store"
	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3" // the driver the store uses, for Exec
)

// EnvPostgres names the variable that points the tests at a PostgreSQL server, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The database it names is used
// only to create and drop the tests' own databases.
const EnvPostgres = "CUTOVER_TEST_POSTGRES_URL"

// URL returns a database of this test's own: on PostgreSQL when CUTOVER_TEST_POSTGRES_URL is set,
// else a SQLite file (which store.Open creates). Either holds no data yet.
func URL(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvPostgres) != "" {
		return PostgresURL(t)
	}
	return SQLiteURL(t)
}

// SQLiteURL returns a fresh SQLite file in the test's temporary directory.
func SQLiteURL(t testing.TB) string {
	return filepath.Join(t.TempDir(), "cutover.db")
}

// PostgresURL returns a fresh PostgreSQL database with the current schema, dropped when the test
// ends. It skips the test, saying why, when CUTOVER_TEST_POSTGRES_URL is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		t.Skipf("needs PostgreSQL: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); .ci/run does", EnvPostgres)
	}
	tmpl, err := template(admin)
	if err != nil {
		t.Fatalf("PostgreSQL test template: %v", err)
	}
	name, err := takeCopy(admin, tmpl)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dropWhenDone(t, admin, name)
	return withDatabase(admin, name)
}

// EmptyPostgresURL returns a fresh PostgreSQL database without even the schema, for tests of
// what happens on a first start. It skips like PostgresURL.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		t.Skipf("needs PostgreSQL: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); .ci/run does", EnvPostgres)
	}
	name, err := createCopy(admin, "template0")
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dropWhenDone(t, admin, name)
	return withDatabase(admin, name)
}

// Copying a database costs a few hundred milliseconds, dropping one as much. Under Main, the copy
// for the next test is made while this one runs, and drops run in the background; Main waits for
// them. Without Main, both happen in line.
var (
	underMain   atomic.Bool
	background  sync.WaitGroup
	spareMu     sync.Mutex
	spareComing bool
	spares      = make(chan spare, 1)
)

type spare struct {
	name string
	err  error
}

func takeCopy(admin, tmpl string) (string, error) {
	spareMu.Lock()
	coming := spareComing
	spareComing = underMain.Load()
	spareMu.Unlock()
	var got spare
	if coming {
		got = <-spares
	} else {
		got.name, got.err = createCopy(admin, tmpl)
	}
	if underMain.Load() {
		background.Add(1)
		go func() {
			defer background.Done()
			name, err := createCopy(admin, tmpl)
			spares <- spare{name, err}
		}()
	}
	return got.name, got.err
}

func createCopy(admin, tmpl string) (string, error) {
	name := fmt.Sprintf("%s%d", prefix(), seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := exec(ctx, admin, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		return "", err
	}
	return name, nil
}

func dropWhenDone(t testing.TB, admin, name string) {
	t.Cleanup(func() {
		if underMain.Load() {
			background.Add(1)
			go func() {
				defer background.Done()
				if err := drop(admin, name); err != nil {
					fmt.Fprintln(os.Stderr, "testdb:", err)
				}
			}()
			return
		}
		if err := drop(admin, name); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
}

func drop(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// FORCE: a test that failed half way may leave a connection open; the database goes anyway.
	return exec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// Main runs a package's tests, then waits for the databases being dropped and drops the spare
// copy and this process's template: call it from TestMain as os.Exit(testdb.Main(m)). Without it
// the template stays until a later run on this host sweeps it.
func Main(m *testing.M) int {
	underMain.Store(true)
	code := m.Run()
	underMain.Store(false)
	admin := os.Getenv(EnvPostgres)
	spareMu.Lock()
	if spareComing {
		if sp := <-spares; sp.err == nil {
			background.Add(1)
			go func() {
				defer background.Done()
				if err := drop(admin, sp.name); err != nil {
					fmt.Fprintln(os.Stderr, "testdb:", err)
				}
			}()
		}
		spareComing = false
	}
	spareMu.Unlock()
	background.Wait()
	if admin != "" && templateName != "" {
		if err := drop(admin, templateName); err != nil {
			fmt.Fprintln(os.Stderr, "testdb:", err)
		}
	}
	return code
}

var (
	seq          atomic.Int64
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// prefix names this process's databases: the host and the process id, so that a later run can
// tell the leftovers of a killed run (same host, process gone) from another run's live databases.
func prefix() string {
	host, _ := os.Hostname()
	h := fnv.New32a()
	h.Write([]byte(host))
	return fmt.Sprintf("cutover_t_%08x_%d_", h.Sum32(), os.Getpid())
}

// template creates and migrates this process's template database, once, after dropping what
// killed test runs on this host left behind.
func template(admin string) (string, error) {
	templateOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sweep(ctx, admin)
		templateName = prefix() + "template"
		if templateErr = exec(ctx, admin, "CREATE DATABASE "+templateName); templateErr != nil {
			return
		}
		var st *store.Store
		st, templateErr = store.Open(ctx, withDatabase(admin, templateName), store.Options{})
		if templateErr != nil {
			return
		}
		// Closed, so that nothing is connected to the template when it is copied.
		templateErr = st.Close()
	})
	return templateName, templateErr
}

// sweep drops the databases of test processes on this host that no longer run. Their own
// cleanup never ran: they were killed, or their template outlived them by design.
func sweep(ctx context.Context, admin string) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	mine := strings.TrimSuffix(prefix(), fmt.Sprintf("%d_", os.Getpid()))
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", mine)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(n, mine), "_")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Exec runs statements on a test's database behind the service's back, to set up what the API
// cannot (a schema that is behind, say).
func Exec(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if path := store.SQLitePath(dbURL); path != "" {
		db, err := gosql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_busy_timeout=10000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return
	}
	if err := exec(ctx, dbURL, sql); err != nil {
		t.Fatal(err)
	}
}

// QueryRow reads one row of a query on a test's database into dest.
func QueryRow(t testing.TB, dbURL, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if path := store.SQLitePath(dbURL); path != "" {
		db, err := gosql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro&_busy_timeout=10000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, sql).Scan(dest...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", redact(dbURL), err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func exec(ctx context.Context, dbURL, sql string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(dbURL), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// withDatabase returns the server URL with another database name.
func withDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = "/" + name
	return u.String()
}

func redact(dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil {
		return u.Redacted()
	}
	return "the database"
}

// Contents returns everything the database holds as bytes to search: the SQLite files (the WAL
// included) or, on PostgreSQL, every row of every table as text. Tests use it to prove what is
// never stored, such as token values.
func Contents(t testing.TB, dbURL string) []byte {
	t.Helper()
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		var out []byte
		dir := filepath.Dir(store.SQLitePath(dbURL))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name())) //nolint:gosec // G304: the test's own database directory
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		return out
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, tbl := range tables {
		var text string
		q := "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM " + pgx.Identifier{tbl}.Sanitize() + " t"
		if err := conn.QueryRow(ctx, q).Scan(&text); err != nil {
			t.Fatalf("read %s: %v", tbl, err)
		}
		out = append(out, text...)
		out = append(out, '\n')
	}
	return out
}
