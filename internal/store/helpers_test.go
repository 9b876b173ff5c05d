package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/workflow"
)

// testStore opens a bootstrapped SQLite store in a temporary directory, with a caller of its
// organisation in the given role.
func testStore(tb testing.TB, opt Options, role cutover.TokenRole) (*Store, cutover.Caller) {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(tb.TempDir(), "cutover.db"), opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Bootstrap(ctx, ""); err != nil {
		tb.Fatal(err)
	}
	var org organisationRow
	if err := s.read.Take(&org).Error; err != nil {
		tb.Fatal(err)
	}
	return s, cutover.Caller{OrgID: org.ID, Name: "test", Role: role}
}

// testMigrations makes n migrations of the built-in checklist with the given FDP and go-live
// dates, not yet stored.
func testMigrations(tb testing.TB, who cutover.Caller, n int, now time.Time, fdp, goLive cutover.Date) []MigrationWithTasks {
	tb.Helper()
	out := make([]MigrationWithTasks, n)
	for i := range out {
		m, tasks, err := workflow.NewMigration(checklist.Builtin().Current(), workflow.MigrationInput{ODSCode: "A81001",
			PracticeName: "P", CurrentSupplier: "A", CurrentProduct: "One", NewSupplier: "B", NewProduct: "Two",
			Dates: map[string]cutover.Date{"fdp_date": fdp, "go_live_date": goLive}}, who, now)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = MigrationWithTasks{m, tasks}
	}
	return out
}
