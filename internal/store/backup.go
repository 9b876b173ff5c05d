package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// BackupInfo describes a database file a backup wrote or a restore installed.
type BackupInfo struct {
	Path          string
	Size          int64
	SchemaVersion int64
	Took          time.Duration
}

// errPostgresBackup says where PostgreSQL backups come from.
var errPostgresBackup = errors.New("backup and restore are for SQLite; back PostgreSQL up with pg_dump and restore it with pg_restore (see the README)")

// BackupSQLite writes a consistent copy of the SQLite database dbURL names to the new file dest,
// while servers keep reading and writing it. VACUUM INTO reads one snapshot (a read transaction,
// which in WAL mode never blocks the writer) and writes it out compacted; the copy holds every
// write committed before the backup began and none that committed after. The copy is checked
// (integrity_check, schema version) and made durable before it appears under dest, so dest is
// never a half-written file.
func BackupSQLite(ctx context.Context, dbURL, dest string) (BackupInfo, error) {
	start := time.Now()
	src := SQLitePath(dbURL)
	if src == "" {
		return BackupInfo{}, errPostgresBackup
	}
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("database %s: %w", src, err)
	}
	if _, err := os.Stat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("%s exists; a backup never overwrites a file", dest)
	}
	tmp, err := tempName(dest)
	if err != nil {
		return BackupInfo{}, err
	}
	defer os.Remove(tmp)
	db, err := openSQLiteFile(src, "mode=ro")
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("copy %s: %w", src, err)
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	info, err := checkSQLiteFile(ctx, tmp)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("check the copy: %w", err)
	}
	// A hard link, not a rename: it fails rather than replace a file that appeared meanwhile.
	if err := os.Link(tmp, dest); err != nil {
		return BackupInfo{}, fmt.Errorf("install backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return BackupInfo{}, err
	}
	info.Path, info.Took = dest, time.Since(start)
	return info, nil
}

// RestoreSQLite replaces the SQLite database dbURL names with the backup file src. It refuses
// while anything has the database open (stop the servers first), and refuses a backup that fails
// integrity_check, has no schema version, or comes from a newer cutover than this one. The
// database left behind passes integrity_check and has its schema version; the next start brings
// the schema up to date if the backup is older.
func RestoreSQLite(ctx context.Context, src, dbURL string) (BackupInfo, error) {
	start := time.Now()
	dest := SQLitePath(dbURL)
	if dest == "" {
		return BackupInfo{}, errPostgresBackup
	}
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", src, err)
	}
	info, err := checkSQLiteFile(ctx, src)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", src, err)
	}
	latest, err := latestVersion(SQLite)
	if err != nil {
		return BackupInfo{}, err
	}
	if info.SchemaVersion > latest {
		return BackupInfo{}, fmt.Errorf("backup %s has schema version %d, newer than this cutover's %d: restore it with the cutover that made it", src, info.SchemaVersion, latest)
	}
	if dir := filepath.Dir(dest); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return BackupInfo{}, fmt.Errorf("create database directory: %w", err)
		}
	}
	if _, err := os.Stat(dest); err == nil {
		release, err := claimSQLiteFile(ctx, dest)
		if err != nil {
			return BackupInfo{}, err
		}
		defer release()
	}
	tmp, err := tempName(dest)
	if err != nil {
		return BackupInfo{}, err
	}
	defer os.Remove(tmp)
	mode := os.FileMode(0o600) // a database holds the organisation's data: its owner's alone
	if st, err := os.Stat(dest); err == nil {
		mode = st.Mode().Perm()
	}
	if err := copyFile(src, tmp, mode); err != nil {
		return BackupInfo{}, err
	}
	// The old database's write-ahead log belongs to the old file: replayed into the restored one
	// it would corrupt it. claimSQLiteFile checkpointed it away; this makes sure.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(dest + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return BackupInfo{}, fmt.Errorf("remove old %s: %w", dest+suffix, err)
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		return BackupInfo{}, fmt.Errorf("install restored database: %w", err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return BackupInfo{}, err
	}
	if info, err = checkSQLiteFile(ctx, dest); err != nil {
		return BackupInfo{}, fmt.Errorf("check restored database: %w", err)
	}
	info.Path, info.Took = dest, time.Since(start)
	return info, nil
}

// claimSQLiteFile makes sure no process has the database open and keeps it that way until
// release. Leaving WAL mode needs the only connection to the file: SQLite refuses it ("database
// is locked") while any server, even an idle one, holds the database open. The exclusive
// transaction then keeps a server that starts meanwhile out.
func claimSQLiteFile(ctx context.Context, path string) (release func(), err error) {
	db, err := openSQLiteFile(path, "_busy_timeout=0")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	fail := func(err error) (func(), error) {
		conn.Close()
		db.Close()
		var se sqlite3.Error
		if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
			return nil, fmt.Errorf("%s is in use: stop every cutover server using it, then restore", path)
		}
		return nil, fmt.Errorf("claim %s: %w", path, err)
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode); err != nil {
		return fail(err)
	}
	if mode != "delete" {
		return fail(fmt.Errorf("journal mode stayed %q", mode))
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		return fail(err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}, nil
}

// checkSQLiteFile runs integrity_check on a database file and reads its schema version.
func checkSQLiteFile(ctx context.Context, path string) (BackupInfo, error) {
	db, err := openSQLiteFile(path, "mode=ro")
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("integrity_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return BackupInfo{}, fmt.Errorf("integrity_check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return BackupInfo{}, fmt.Errorf("integrity_check: %w", err)
	}
	if len(problems) > 0 {
		return BackupInfo{}, fmt.Errorf("integrity_check failed: %s", strings.Join(problems, "; "))
	}
	v, err := appliedVersion(ctx, db)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("not a cutover database: %w", err)
	}
	if v == 0 {
		return BackupInfo{}, errors.New("not a cutover database: no schema version")
	}
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return BackupInfo{Path: path, Size: st.Size(), SchemaVersion: v}, nil
}

// CheckSQLite runs integrity_check on the SQLite database at dbURL and reads its schema version;
// the database may be in use.
func CheckSQLite(ctx context.Context, dbURL string) (BackupInfo, error) {
	path := SQLitePath(dbURL)
	if path == "" {
		return BackupInfo{}, errPostgresBackup
	}
	if _, err := os.Stat(path); err != nil {
		return BackupInfo{}, fmt.Errorf("database %s: %w", path, err)
	}
	return checkSQLiteFile(ctx, path)
}

func openSQLiteFile(path, params string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// tempName is a new file name beside path, for a file that appears under path only once whole.
func tempName(path string) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("temporary name: %w", err)
	}
	return path + ".partial-" + hex.EncodeToString(b), nil
}

func copyFile(src, dst string, mode os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", dst, cerr)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// syncDir makes a new or renamed directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
