package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cutoverhq/cutover/internal/store"
)

const backupUsage = `Usage:
  cutover backup [--database-url URL] FILE    copy the live SQLite database to the new FILE
  cutover restore [--database-url URL] FILE   replace the (stopped) SQLite database with FILE

backup runs while servers keep serving: the copy is one consistent snapshot, checked with
integrity_check before it is written under FILE. restore refuses while a server has the database
open. For PostgreSQL use pg_dump and pg_restore (see the README).

--database-url defaults to $CUTOVER_DATABASE_URL, or cutover.db.
`

func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	dbURL, file, err := backupArgs("backup", args, getenv, stdout, stderr)
	if err != nil || file == "" {
		return err
	}
	info, err := store.BackupSQLite(ctx, dbURL, file)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "Backed up %s to %s: %s, schema version %d, integrity ok, in %s.\n",
		store.SQLitePath(dbURL), info.Path, size(info.Size), info.SchemaVersion, info.Took.Round(time.Millisecond))
	return nil
}

func restore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	dbURL, file, err := backupArgs("restore", args, getenv, stdout, stderr)
	if err != nil || file == "" {
		return err
	}
	info, err := store.RestoreSQLite(ctx, file, dbURL)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "Restored %s from %s: %s, schema version %d, integrity ok, in %s. Start the server to bring the schema up to date.\n",
		info.Path, file, size(info.Size), info.SchemaVersion, info.Took.Round(time.Millisecond))
	return nil
}

// backupArgs reads --database-url and the one FILE argument; file is "" when help was shown.
func backupArgs(name string, args []string, getenv func(string) string, stdout, stderr io.Writer) (dbURL, file string, err error) {
	fs := flag.NewFlagSet("cutover "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage) }
	u := fs.String("database-url", envOr(getenv, "CUTOVER_DATABASE_URL", "cutover.db"), "SQLite database (env CUTOVER_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", "", nil
		}
		return "", "", errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "cutover %s needs one FILE\n\n%s", name, backupUsage)
		return "", "", errUsage
	}
	return *u, fs.Arg(0), nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
