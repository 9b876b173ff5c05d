package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// PortfolioFilter narrows the portfolio; it only ever holds active migrations.
type PortfolioFilter struct {
	Status   string // one of the active statuses; "" for all of them
	Supplier string // current or new supplier, case-insensitive
	FDPFrom  *cutover.Date
	FDPTo    *cutover.Date
	Today    cutover.Date // for overdue tasks
}

// Portfolio is one page of the portfolio with what it takes to report on it.
type Portfolio struct {
	Migrations []cutover.Migration
	// Counts holds each migration's task counts by stage.
	Counts map[uuid.UUID]map[string]TaskCounts
	// Signoffs holds each migration's live sign-offs, oldest first.
	Signoffs map[uuid.UUID][]cutover.Signoff
	Totals   PortfolioTotals
}

// PortfolioTotals cover every migration the filter selects, not only one page.
type PortfolioTotals struct {
	Migrations   int
	OverdueTasks int
	ByStatus     map[string]int
}

// where builds the filter as SQL on the migrations table under the given alias prefix ("" or
// "m."), scoped to what the caller may see.
func (f PortfolioFilter) where(who cutover.Caller, p string) (string, []any) {
	conds := []string{p + "status NOT IN ('closed', 'cancelled')"}
	var args []any
	if !who.SeesAll() {
		conds = append(conds, p+"org_id = ?")
		args = append(args, who.OrgID)
	}
	if f.Status != "" {
		conds = append(conds, p+"status = ?")
		args = append(args, f.Status)
	}
	if f.Supplier != "" {
		sup := strings.ToLower(f.Supplier)
		conds = append(conds, "(lower("+p+"current_supplier) = ? OR lower("+p+"new_supplier) = ?)")
		args = append(args, sup, sup)
	}
	if f.FDPFrom != nil {
		conds = append(conds, p+"fdp_date >= ?")
		args = append(args, cutover.FormatDate(*f.FDPFrom))
	}
	if f.FDPTo != nil {
		conds = append(conds, p+"fdp_date <= ?")
		args = append(args, cutover.FormatDate(*f.FDPTo))
	}
	return strings.Join(conds, " AND "), args
}

// Portfolio reads one page of the caller's active migrations with their task counts per stage and
// live sign-offs, and the totals over every page. It costs four queries whatever the number of
// migrations: the page, one aggregate over the page's tasks, the page's sign-offs, and one
// aggregate for the totals.
func (s *Store) Portfolio(ctx context.Context, who cutover.Caller, f PortfolioFilter, p Page) (Portfolio, string, error) {
	cur, err := decodeCursor(p.Cursor, "portfolio")
	if err != nil {
		return Portfolio{}, "", err
	}
	db := s.read.WithContext(ctx)
	cond, args := f.where(who, "")
	q := db.Where(cond, args...)
	if cur.ID != uuid.Nil {
		q = q.Where("id > ?", cur.ID)
	}
	var rows []migrationRow
	limit := p.limit()
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Portfolio{}, "", fmt.Errorf("list portfolio: %w", err)
	}
	rows, next := nextCursor(rows, limit, func(r *migrationRow) cursor { return cursor{Kind: "portfolio", ID: r.ID} })
	out := Portfolio{
		Migrations: make([]cutover.Migration, len(rows)),
		Counts:     map[uuid.UUID]map[string]TaskCounts{},
		Signoffs:   map[uuid.UUID][]cutover.Signoff{},
	}
	ids := make([]uuid.UUID, len(rows))
	for i := range rows {
		out.Migrations[i] = rows[i].toDomain()
		ids[i] = rows[i].ID
	}
	today := cutover.FormatDate(f.Today)
	if len(ids) > 0 {
		type countRow struct {
			MigrationID                               uuid.UUID
			Stage                                     string
			Total, Done, NotApplicable, Open, Overdue int
		}
		var counts []countRow
		err := scoped(db.Model(&taskRow{}), who).Where("migration_id IN ?", ids).
			Select(`migration_id, stage, count(*) AS total,
				sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done,
				sum(CASE WHEN status = 'not_applicable' THEN 1 ELSE 0 END) AS not_applicable,
				sum(CASE WHEN status IN ('todo', 'in_progress') THEN 1 ELSE 0 END) AS open,
				sum(CASE WHEN status IN ('todo', 'in_progress') AND due_date < ? THEN 1 ELSE 0 END) AS overdue`, today).
			Group("migration_id, stage").Scan(&counts).Error
		if err != nil {
			return Portfolio{}, "", fmt.Errorf("count portfolio tasks: %w", err)
		}
		for _, c := range counts {
			if out.Counts[c.MigrationID] == nil {
				out.Counts[c.MigrationID] = map[string]TaskCounts{}
			}
			out.Counts[c.MigrationID][c.Stage] = TaskCounts{Total: c.Total, Done: c.Done,
				NotApplicable: c.NotApplicable, Open: c.Open, Overdue: c.Overdue}
		}
		var sos []signoffRow
		if err := scoped(db, who).Where("migration_id IN ? AND revoked_at IS NULL", ids).Order("id").Find(&sos).Error; err != nil {
			return Portfolio{}, "", fmt.Errorf("load portfolio sign-offs: %w", err)
		}
		for i := range sos {
			out.Signoffs[sos[i].MigrationID] = append(out.Signoffs[sos[i].MigrationID], sos[i].toDomain())
		}
	}
	if out.Totals, err = s.portfolioTotals(ctx, who, f, today); err != nil {
		return Portfolio{}, "", err
	}
	return out, next, nil
}

// portfolioTotals counts the filtered migrations by status and their overdue tasks in one query.
func (s *Store) portfolioTotals(ctx context.Context, who cutover.Caller, f PortfolioFilter, today string) (PortfolioTotals, error) {
	cond, args := f.where(who, "m.")
	overdue := "SELECT migration_id, count(*) AS n FROM tasks WHERE status IN ('todo', 'in_progress') AND due_date < ?"
	oargs := []any{today}
	if !who.SeesAll() {
		// Narrows the scan to the organisation's dated tasks (the tasks_org_due index).
		overdue += " AND org_id = ?"
		oargs = append(oargs, who.OrgID)
	}
	overdue += " GROUP BY migration_id"
	var rows []struct {
		Status     string
		Migrations int
		Overdue    int
	}
	sql := "SELECT m.status AS status, count(*) AS migrations, coalesce(sum(o.n), 0) AS overdue FROM migrations m " +
		"LEFT JOIN (" + overdue + ") o ON o.migration_id = m.id WHERE " + cond + " GROUP BY m.status"
	if err := s.read.WithContext(ctx).Raw(sql, append(oargs, args...)...).Scan(&rows).Error; err != nil {
		return PortfolioTotals{}, fmt.Errorf("total portfolio: %w", err)
	}
	t := PortfolioTotals{ByStatus: map[string]int{}}
	for _, r := range rows {
		t.Migrations += r.Migrations
		t.OverdueTasks += r.Overdue
		t.ByStatus[r.Status] = r.Migrations
	}
	return t, nil
}
