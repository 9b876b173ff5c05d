package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Schema changes are numbered SQL files embedded in the binary, one directory per database where
// the two must differ. They run at start and with `cutover migrate`; never AutoMigrate.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

func migrationDir(d Dialect) string {
	if d == Postgres {
		return "migrations/postgres"
	}
	return "migrations/sqlite"
}

func provider(db *sql.DB, d Dialect) (*goose.Provider, error) {
	dir, gd := migrationDir(d), goose.DialectSQLite3
	var opts []goose.ProviderOption
	if d == Postgres {
		gd = goose.DialectPostgres
		// Replicas starting together: the first takes this lock and migrates, the others wait
		// for it and then find nothing to do.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("schema lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("schema files: %w", err)
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("schema migrations: %w", err)
	}
	return p, nil
}

func migrateSchema(ctx context.Context, db *sql.DB, d Dialect) error {
	p, err := provider(db, d)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// latestVersion is the number of the newest schema migration embedded for a database: the
// version a database must have reached for this binary to serve it.
func latestVersion(d Dialect) (int64, error) {
	entries, err := fs.ReadDir(migrationFiles, migrationDir(d))
	if err != nil {
		return 0, fmt.Errorf("schema files: %w", err)
	}
	var latest int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			return 0, fmt.Errorf("schema file %s: %w", e.Name(), err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// appliedVersion reads the newest schema migration applied to a database (0 for none).
func appliedVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v.Int64, nil
}

// schemaCurrent checks that the database has every migration this binary knows. It is one
// indexed read, cheap enough for every readiness probe. A database ahead of the binary is fine:
// during a rolling upgrade the new replicas migrate first, and migrations only ever add.
func (s *Store) schemaCurrent(ctx context.Context, db *sql.DB) error {
	v, err := appliedVersion(ctx, db)
	if err != nil {
		return err
	}
	if v < s.schemaVersion {
		return fmt.Errorf("schema is at version %d, this binary needs %d: run `cutover migrate`", v, s.schemaVersion)
	}
	return nil
}
