package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// tx is one write request's view of the open transaction. The request's changes and the events
// it records commit together or not at all.
type tx struct {
	db     *gorm.DB
	s      *Store
	now    time.Time
	events []eventRow
	after  []func()
	// remindersNoted: the schedulers are already to be woken when this transaction commits.
	remindersNoted bool
	claim          *IdempotencyClaim // the request's Idempotency-Key, confirmed with its change
	// pending, on SQLite's writer, gathers the batch's events and deliveries, written together
	// before it commits (deferredRows); nil on PostgreSQL, where flush writes them.
	pending      *deferredRows
	deliveryRows []deliveryRow // this request's deliveries, when pending
}

// record adds an audit event of organisation org (the owner of the resource, which is not the
// caller's when an operator admin acts); it is written with the change, in the same transaction.
func (t *tx) record(who cutover.Caller, org uuid.UUID, action, resourceType string, resourceID uuid.UUID, migrationID *uuid.UUID, changes map[string]cutover.Change) {
	if r := t.s.redact; r != nil {
		for k, c := range changes {
			changes[k] = cutover.Change{From: redactValue(r, c.From), To: redactValue(r, c.To)}
		}
	}
	t.events = append(t.events, newEventRow(who, org, t.now, action, resourceType, resourceID, migrationID, changes))
}

func redactValue(r func(string) string, v any) any {
	if s, ok := v.(string); ok {
		return r(s)
	}
	return v
}

// afterCommit runs f once the transaction has committed (never if it did not).
func (t *tx) afterCommit(f func()) { t.after = append(t.after, f) }

// flush confirms the request's idempotency claim and writes the recorded events with their
// webhook deliveries. It runs last in the request's transaction so that, on PostgreSQL, the lock
// that orders events is held only for the moment before the commit.
func (t *tx) flush() error {
	if err := t.confirmClaim(); err != nil {
		return err
	}
	if len(t.events) == 0 {
		return nil
	}
	// Deliveries need the events' ids, not their sequence numbers: they are enqueued before the
	// event order lock, which then covers only the events' own insert.
	if err := t.s.enqueueDeliveries(t); err != nil {
		return err
	}
	if t.pending != nil {
		t.afterCommit(t.s.feed.notify)
		return nil // the writer writes them with the batch's
	}
	if t.s.dialect == Postgres {
		// Events are numbered in commit order: a transaction takes this lock before it draws
		// sequence numbers and keeps it until it commits, so no reader of the feed can see
		// event n+1 before event n has committed.
		if err := t.db.Exec("SELECT pg_advisory_xact_lock(?)", eventOrderLock).Error; err != nil {
			return fmt.Errorf("lock event order: %w", err)
		}
	}
	if err := insertEvents(t, t.events); err != nil {
		return err
	}
	if t.s.dialect == Postgres {
		if err := t.db.Exec("SELECT pg_notify(?, '')", eventChannel).Error; err != nil {
			return fmt.Errorf("notify event listeners: %w", err)
		}
	}
	t.afterCommit(t.s.feed.notify)
	return nil
}

func (t *tx) committed() {
	for _, f := range t.after {
		f()
	}
}

const (
	eventOrderLock = 0x63757476 // "cutv": an arbitrary, fixed advisory lock id
	bootstrapLock  = 0x63757462 // "cutb"
	eventChannel   = "cutover_events"
)

// write runs fn in a write transaction and records its events with it. fn must do all its reads
// through t.db so that it sees the state it changes. On SQLite the writer gathers concurrent
// requests into one commit; on PostgreSQL each request has its own transaction.
func (s *Store) write(ctx context.Context, fn func(t *tx) error) error {
	if s.writer != nil {
		return s.writer.do(ctx, fn)
	}
	for attempt := 0; ; attempt++ {
		var t *tx
		err := s.writeDB.WithContext(ctx).Transaction(func(g *gorm.DB) error {
			t = &tx{db: g, s: s, now: s.now().UTC(), claim: claimFrom(ctx)}
			if err := fn(t); err != nil {
				return err
			}
			return t.flush()
		})
		if err == nil {
			t.committed()
			return nil
		}
		if attempt < 4 && retryable(err) {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

// retryable reports a PostgreSQL serialization failure or deadlock: the transaction did nothing
// and may simply run again.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// writer is SQLite's single writer. Concurrent write requests queue up; the writer takes all that
// are waiting, runs each in its own savepoint (so one request's failure undoes only its own
// changes), and commits them together: one fsync for the batch. A request is answered only after
// its batch has committed. This is how durable writes outrun one-commit-per-fsync.
type writer struct {
	db      *gorm.DB
	s       *Store
	queue   chan *writeReq
	max     int
	mu      sync.RWMutex // guards closed against sends on a closed queue
	closed  bool
	stopped chan struct{}
	onBatch func(size int)
}

type writeReq struct {
	ctx  context.Context
	fn   func(*tx) error
	t    *tx
	err  error
	done chan error
}

var errClosed = errors.New("store is closed")

func newWriter(db *gorm.DB, s *Store, maxBatch int, onBatch func(int)) *writer {
	if maxBatch <= 0 {
		maxBatch = 128
	}
	w := &writer{db: db, s: s, queue: make(chan *writeReq, 1024), max: maxBatch, stopped: make(chan struct{}), onBatch: onBatch}
	go w.run()
	return w
}

func (w *writer) do(ctx context.Context, fn func(*tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errClosed
	}
	select {
	case w.queue <- req:
	case <-ctx.Done():
		w.mu.RUnlock()
		return fmt.Errorf("wait for the writer: %w", ctx.Err())
	}
	w.mu.RUnlock()
	// Once queued, wait for the outcome even if the caller gives up: the change may commit, and
	// nothing may be reported as failed that in fact happened.
	return <-req.done
}

func (w *writer) close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.stopped
	return nil
}

func (w *writer) run() {
	defer close(w.stopped)
	for first := range w.queue {
		batch := []*writeReq{first}
	gather:
		for len(batch) < w.max {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		w.commit(batch)
		w.s.hooks.batchDone()
		w.s.checkpoints.written()
		if w.onBatch != nil {
			w.onBatch(len(batch))
		}
	}
}

func (w *writer) commit(batch []*writeReq) {
	finish := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
			if r.err == nil && r.t != nil {
				r.t.committed()
			}
			r.done <- r.err
		}
	}
	// Statements run without the requests' contexts: cancelling one would interrupt SQLite, which
	// rolls back the whole transaction, and with it the other requests of the batch.
	g := w.db.Begin()
	if g.Error != nil {
		finish(fmt.Errorf("begin write transaction: %w", g.Error))
		return
	}
	bt := &tx{db: g, s: w.s} // the batch's own statements
	fail := func(err error) {
		g.Rollback()
		for _, r := range batch {
			r.t = nil
		}
		finish(err)
	}
	var pending deferredRows
	single := len(batch) == 1
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("request ended before its write: %w", err)
			continue
		}
		for {
			if !single {
				if _, err := bt.exec(savepointSQL); err != nil {
					fail(fmt.Errorf("savepoint: %w", err))
					return
				}
			}
			t := &tx{db: g, s: w.s, now: w.s.now().UTC(), claim: claimFrom(r.ctx), pending: &pending}
			err := runGuarded(r.fn, t)
			if err == nil {
				err = t.flush()
			}
			if err == nil {
				r.t, r.err = t, nil
				pending.add(t)
			} else {
				r.err = err
				if single { // (errFlushFirst cannot happen: nothing is pending before the only request)
					g.Rollback()
					finish(nil)
					return
				}
				if _, rbErr := bt.exec(rollbackToSQL); rbErr != nil {
					// The transaction itself is broken; nothing of the batch can be trusted.
					fail(fmt.Errorf("roll back to savepoint: %w", rbErr))
					return
				}
			}
			if !single {
				if _, err := bt.exec(releaseSQL); err != nil {
					fail(fmt.Errorf("release savepoint: %w", err))
					return
				}
			}
			if !errors.Is(r.err, errFlushFirst) {
				break
			}
			// The request changes webhooks: the earlier requests' events and deliveries go in
			// first, outside any request's savepoint, and the request runs again.
			if err := pending.write(bt); err != nil {
				fail(err)
				return
			}
		}
	}
	if err := pending.write(bt); err != nil {
		fail(err)
		return
	}
	if err := g.Commit().Error; err != nil {
		for _, r := range batch {
			r.t = nil
		}
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	finish(nil)
}

// The savepoint every request of a batch runs in, one after another: one name, so the three
// statements are prepared once.
const (
	savepointSQL  = "SAVEPOINT request"
	rollbackToSQL = "ROLLBACK TO SAVEPOINT request"
	releaseSQL    = "RELEASE SAVEPOINT request"
)

// deferredRows are the audit events and webhook deliveries of a batch's requests, written
// together before the batch commits. One multi-row INSERT per table for the batch costs a
// fraction of one per request inside each request's savepoint, where SQLite copies every page
// it touches into the savepoint's journal first (writer CPU per PATCH, measured on its thread:
// ~200 µs, half of it these two inserts). An event or delivery that fails to insert fails the
// batch, which only a broken database does.
type deferredRows struct {
	events     []eventRow
	deliveries []deliveryRow
}

func (p *deferredRows) add(t *tx) {
	p.events = append(p.events, t.events...)
	p.deliveries = append(p.deliveries, t.deliveryRows...)
}

func (p *deferredRows) empty() bool { return len(p.events) == 0 && len(p.deliveries) == 0 }

// write inserts the rows so far, events first (the deliveries refer to them).
func (p *deferredRows) write(t *tx) error {
	if len(p.events) > 0 {
		if err := insertEvents(t, p.events); err != nil {
			return err
		}
	}
	if len(p.deliveries) > 0 {
		if err := t.insertDeliveries(p.deliveries); err != nil {
			return err
		}
	}
	p.events, p.deliveries = p.events[:0], p.deliveries[:0]
	return nil
}

// errFlushFirst asks the writer to write the batch's pending events and deliveries before the
// request runs (again): it is about to change a webhook they may refer to.
var errFlushFirst = errors.New("write the batch's pending rows first")

// runGuarded turns a panic in a write request into its error, so one bad request cannot stop the
// writer that every other request waits on.
func runGuarded(fn func(*tx) error, t *tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(t)
}
