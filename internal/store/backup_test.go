package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/testdb"
)

func TestBackupAndRestoreRefuse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	st, err := store.Open(ctx, live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Bootstrap(ctx, ""); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.db")
	if _, err := store.BackupSQLite(ctx, live, good); err != nil {
		t.Fatal(err)
	}
	st.Close()

	notCutover := filepath.Join(dir, "other.db")
	testdb.Exec(t, notCutover, "CREATE TABLE x (a)")
	newer := filepath.Join(dir, "newer.db")
	if _, err := store.BackupSQLite(ctx, live, newer); err != nil {
		t.Fatal(err)
	}
	testdb.Exec(t, newer, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)")
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"backup of no database", func() error {
			_, err := store.BackupSQLite(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "b1.db"))
			return err
		}, "no such file"},
		{"backup over a file", func() error { _, err := store.BackupSQLite(ctx, live, good); return err }, "exists"},
		{"backup of PostgreSQL", func() error {
			_, err := store.BackupSQLite(ctx, "postgres://x@127.0.0.1/db", filepath.Join(dir, "b2.db"))
			return err
		}, "pg_dump"},
		{"restore of another kind of database", func() error { _, err := store.RestoreSQLite(ctx, notCutover, live); return err }, "not a cutover database"},
		{"restore of a newer cutover's backup", func() error { _, err := store.RestoreSQLite(ctx, newer, live); return err }, "newer than this cutover's"},
		{"restore of a file that is no database", func() error { _, err := store.RestoreSQLite(ctx, garbage, live); return err }, "not a database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	// The refused restores left the live database as it was.
	if _, err := store.CheckSQLite(ctx, live); err != nil {
		t.Fatal(err)
	}

	// A restore to where no database is yet creates it.
	fresh := filepath.Join(dir, "new", "cutover.db")
	info, err := store.RestoreSQLite(ctx, good, fresh)
	if err != nil || info.SchemaVersion < 1 {
		t.Fatalf("restore to a new place: %+v %v", info, err)
	}
	st, err = store.Open(ctx, fresh, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OperatorOrganisation(ctx); err != nil {
		t.Fatalf("the restored database lost its data: %v", err)
	}
}
