package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
)

// benchStore is a SQLite store with n migrations of the built-in checklist, and a caller of its
// organisation.
func benchStore(b *testing.B, n int) (*Store, cutover.Caller, []MigrationWithTasks) {
	b.Helper()
	s, who := testStore(b, Options{}, cutover.RoleEditor)
	now := time.Now()
	batch := testMigrations(b, who, n, now, now.AddDate(0, 0, 20), now.AddDate(0, 0, 22))
	if err := s.CreateMigrations(context.Background(), who, batch); err != nil {
		b.Fatal(err)
	}
	return s, who, batch
}

// BenchmarkTask reads one task with its reminders.
func BenchmarkTask(b *testing.B) {
	s, who, ms := benchStore(b, 1)
	task := ms[0].Tasks[10]
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Task(ctx, who, task.MigrationID, task.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListTasksPage reads the first 50-task page of a migration's checklist: the store's
// page query.
func BenchmarkListTasksPage(b *testing.B) {
	s, who, ms := benchStore(b, 1)
	ctx := context.Background()
	for b.Loop() {
		tasks, _, err := s.ListTasks(ctx, who, ms[0].Migration.ID, TaskFilter{}, Page{Limit: 50})
		if err != nil || len(tasks) != 50 {
			b.Fatal(len(tasks), err)
		}
	}
}

// BenchmarkAuthenticate resolves a bearer token: from the cache (every request after the first
// in 30 s), and from the database (the first).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "cutover.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	token, err := s.Bootstrap(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("database", func(b *testing.B) {
		for b.Loop() {
			s.tokens.clear()
			if _, err := s.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
}
