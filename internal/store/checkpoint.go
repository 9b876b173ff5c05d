package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// In WAL mode SQLite copies committed pages from the WAL back into the database file (a
// checkpoint) once the WAL holds wal_autocheckpoint pages, 1,000 by default, and it does so inside
// the commit that crossed the line. On the single writer that put a checkpoint into one batch's
// commit every few hundred requests, and copied the same hot pages (the newest events and
// deliveries, the indexes' right edges) once per thousand pages written. Measured with
// cutover-bench at 1,000 migrations: a threshold of 10,000 pages cut the server's CPU per PATCH
// from 765-841 µs to 630 µs and raised PATCHes/s by a fifth, but the commit that then held the
// checkpoint took ~90 ms (p99 30 ms -> 94 ms).
//
// So the writer's threshold is only a backstop, and a checkpointer with a connection of its own
// copies the WAL back in the background while writes go on: PASSIVE, so it never waits for nor
// blocks the writer or the readers, and at most once per checkpointEvery, so that pages changed
// by many commits are copied once.
const (
	checkpointEvery = 500 * time.Millisecond
	// writerCheckpointPages is the writer's own threshold, reached only if the checkpointer
	// falls behind (~80 MB of WAL).
	writerCheckpointPages = 20000
)

type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	// last is the outcome of the latest checkpoint, for tests and logs.
	last atomic.Pointer[checkpointResult]
}

// checkpointResult is what PRAGMA wal_checkpoint answers: whether it was kept from finishing,
// the pages in the WAL, and how many of them are now in the database file.
type checkpointResult struct {
	Busy   bool
	Pages  int
	Copied int
}

func newCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// written says that a batch has committed; it never blocks the writer.
func (c *checkpointer) written() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointEvery):
		}
		if err := c.checkpoint(); err != nil {
			c.log.Warn("checkpoint", "err", err) // the writer's backstop still bounds the WAL
		}
	}
}

func (c *checkpointer) checkpoint() error {
	var busy, pages, copied int
	if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &pages, &copied); err != nil {
		return fmt.Errorf("wal checkpoint: %w", err)
	}
	c.last.Store(&checkpointResult{Busy: busy != 0, Pages: pages, Copied: copied})
	return nil
}

// close stops the checkpointer; closing the last connection checkpoints what is left.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
