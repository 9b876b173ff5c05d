package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// feed wakes long polls when events commit.
type feed struct {
	mu sync.Mutex
	ch chan struct{}
}

func newFeed() *feed { return &feed{ch: make(chan struct{})} }

// notify wakes everyone waiting for the next commit.
func (f *feed) notify() {
	f.mu.Lock()
	close(f.ch)
	f.ch = make(chan struct{})
	f.mu.Unlock()
}

func (f *feed) next() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ch
}

// EventsCommitted returns a channel that is closed when the next events commit (on this server,
// or on PostgreSQL on any replica). Take it before reading the feed, so nothing is missed
// between the read and the wait.
func (s *Store) EventsCommitted() <-chan struct{} { return s.feed.next() }

// EventFilter narrows the event feed.
type EventFilter struct {
	MigrationID *uuid.UUID
	Action      string
}

// ListEvents reads the feed: the caller's events after the cursor, in commit order. The next
// cursor is always returned (the given one when nothing is new), so a poller never loses its
// place.
func (s *Store) ListEvents(ctx context.Context, who cutover.Caller, f EventFilter, p Page) ([]cutover.Event, string, error) {
	cur, err := decodeCursor(p.Cursor, "feed")
	if err != nil {
		return nil, "", err
	}
	q := scoped(s.read.WithContext(ctx), who).Where("seq > ?", cur.Seq)
	if f.MigrationID != nil {
		q = q.Where("migration_id = ?", *f.MigrationID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	var rows []eventRow
	if err := q.Order("seq").Limit(p.limit()).Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("read event feed: %w", err)
	}
	if len(rows) > 0 {
		cur.Seq = rows[len(rows)-1].Seq
	}
	out := make([]cutover.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, cur.encode(), nil
}

// ListMigrationEvents reads one page of a migration's history, oldest first. The history outlives
// the migration: a deleted migration's events are still listed.
func (s *Store) ListMigrationEvents(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, action string, p Page) ([]cutover.Event, string, error) {
	cur, err := decodeCursor(p.Cursor, "events")
	if err != nil {
		return nil, "", err
	}
	db := s.read.WithContext(ctx)
	q := scoped(db, who).Where("migration_id = ? AND seq > ?", migrationID, cur.Seq)
	if action != "" {
		q = q.Where("action = ?", action)
	}
	var rows []eventRow
	limit := p.limit()
	if err := q.Order("seq").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	if len(rows) == 0 && cur.Seq == 0 {
		var n int64
		if err := scoped(db.Model(&eventRow{}), who).Where("migration_id = ?", migrationID).Limit(1).Count(&n).Error; err != nil {
			return nil, "", fmt.Errorf("find events: %w", err)
		}
		if n == 0 {
			return nil, "", cutover.ErrNotFound
		}
	}
	rows, next := nextCursor(rows, limit, func(r *eventRow) cursor { return cursor{Kind: "events", Seq: r.Seq} })
	out := make([]cutover.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, next, nil
}
