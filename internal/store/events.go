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
	var w where
	w.scope(who, "org_id")
	w.add("seq > ?", cur.Seq)
	if f.MigrationID != nil {
		w.add("migration_id = +?", *f.MigrationID)
	}
	if f.Action != "" {
		w.add("action = +?", f.Action)
	}
	limit := p.limit()
	rows, err := s.reads.query(ctx, "SELECT "+eventColumns+" FROM events WHERE "+w.sql()+" ORDER BY seq LIMIT +?",
		append(w.args, limit)...)
	if err != nil {
		return nil, "", fmt.Errorf("read event feed: %w", err)
	}
	out, err := scanEvents(rows, limit)
	if err != nil {
		return nil, "", fmt.Errorf("read event feed: %w", err)
	}
	if len(out) > 0 {
		cur.Seq = out[len(out)-1].Seq
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
	var w where
	w.scope(who, "org_id")
	w.add("migration_id = +?", migrationID)
	history := w // the condition without the cursor and action: does the migration have any history?
	w.add("seq > ?", cur.Seq)
	if action != "" {
		w.add("action = +?", action)
	}
	limit := p.limit()
	rows, err := s.reads.query(ctx, "SELECT "+eventColumns+" FROM events WHERE "+w.sql()+" ORDER BY seq LIMIT +?",
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	out, err := scanEvents(rows, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	if len(out) == 0 && cur.Seq == 0 {
		if err := s.exists(ctx, "SELECT 1 FROM events WHERE "+history.sql()+" LIMIT 1", history.args...); err != nil {
			return nil, "", fmt.Errorf("find events: %w", err)
		}
	}
	out, next := nextCursor(out, limit, func(e *cutover.Event) cursor { return cursor{Kind: "events", Seq: e.Seq} })
	return out, next, nil
}
