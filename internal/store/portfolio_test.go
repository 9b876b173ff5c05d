package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"gorm.io/gorm"
)

// TestPortfolioQueryCount checks that the portfolio costs the same few queries whatever the
// number of migrations on the page: no query per migration.
func TestPortfolioQueryCount(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 3, 11, 10, 0, 0, 0, time.UTC)
	s, who := testStore(t, Options{Now: func() time.Time { return now }}, cutover.RoleEditor)

	var queries atomic.Int64
	count := func(*gorm.DB) { queries.Add(1) }
	if err := s.read.Callback().Query().After("gorm:query").Register("test:count", count); err != nil {
		t.Fatal(err)
	}
	if err := s.read.Callback().Row().After("gorm:row").Register("test:count", count); err != nil {
		t.Fatal(err)
	}
	s.reads.counted = func() { queries.Add(1) } // the hand-written reads
	add := func(n int) {
		if err := s.CreateMigrations(ctx, who, testMigrations(t, who, n, now, now.AddDate(0, 0, -3), now)); err != nil {
			t.Fatal(err)
		}
	}
	for _, total := range []int{1, 10, 60} {
		add(total - int(countMigrations(t, s)))
		queries.Store(0)
		pf, _, err := s.Portfolio(ctx, who, PortfolioFilter{Today: cutover.Today(now)}, Page{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		got := queries.Load()
		t.Logf("%d migrations: %d queries", total, got)
		if len(pf.Migrations) != total || pf.Totals.Migrations != total || len(pf.Counts) != total {
			t.Fatalf("%d migrations: page %d, totals %d, counts %d", total, len(pf.Migrations), pf.Totals.Migrations, len(pf.Counts))
		}
		if got != 4 {
			t.Errorf("%d migrations took %d queries, want 4", total, got)
		}
		if pf.Totals.OverdueTasks == 0 {
			t.Error("no overdue tasks counted")
		}
	}
}

func countMigrations(t *testing.T, s *Store) int64 {
	var n int64
	if err := s.read.Model(&migrationRow{}).Count(&n).Error; err != nil {
		t.Fatal(fmt.Errorf("count: %w", err))
	}
	return n
}
