// Package reminders is the server's reminder scheduler. At a task reminder's time it has a
// task.reminder event recorded; when a due date passes with the task still open it has one
// task.overdue event recorded per task and due date. Events reach the feed and the webhooks like any
// other.
//
// All its state is in the database, so it survives restarts (what fell due while the server was
// down fires late, once) and runs on every replica: each reminder and each overdue task is claimed
// by a conditional UPDATE in the transaction that records its event, so exactly one replica records
// it. The scheduler only decides when to look; the store does the claiming. It is plain Go: no
// HTTP; it knows the database only through the store.
package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
)

// Options tune a Scheduler; the zero value is a sensible default.
type Options struct {
	Now    func() time.Time // the clock; time.Now when nil
	Logger *slog.Logger
	// Batch is how many reminders or tasks one transaction deals with, so that a backlog after
	// downtime is many short transactions rather than one that holds the writer.
	Batch int
	// MaxInterval is the longest the scheduler sleeps. It wakes sooner for the next reminder and
	// when reminders change on this server; this bounds how late it notices a reminder changed on
	// another replica and a due date that has just passed.
	MaxInterval time.Duration
}

// Scheduler fires reminders and overdue notices from the store.
type Scheduler struct {
	st    *store.Store
	now   func() time.Time
	log   *slog.Logger
	batch int
	max   time.Duration
}

// New returns a scheduler on st.
func New(st *store.Store, opt Options) *Scheduler {
	s := &Scheduler{st: st, now: opt.Now, log: opt.Logger, batch: opt.Batch, max: opt.MaxInterval}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.batch <= 0 {
		s.batch = 200
	}
	if s.max <= 0 {
		s.max = 30 * time.Second
	}
	return s
}

// Result is what one pass did.
type Result struct {
	Reminders int // task.reminder events recorded
	Overdue   int // task.overdue events recorded
	Skipped   int // reminders and overdue tasks passed over: closed tasks, ended migrations
}

// Tick makes one pass at instant now: every reminder due by now that has not fired, then every
// open task due before today (in London) that has not had its overdue event, batch by batch until
// none is left.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (Result, error) {
	var res Result
	for {
		p, err := s.st.FireReminders(ctx, now, s.batch)
		if err != nil {
			return res, fmt.Errorf("fire reminders: %w", err)
		}
		res.Reminders += p.Fired
		res.Skipped += p.Skipped
		// A short batch was the end of the queue. A full one that claimed nothing means other
		// replicas are working through the same rows: they will finish them.
		if p.Seen < s.batch || p.Fired+p.Skipped == 0 {
			break
		}
	}
	today := cutover.Today(now)
	for {
		p, err := s.st.NotifyOverdue(ctx, today, s.batch)
		if err != nil {
			return res, fmt.Errorf("notify overdue tasks: %w", err)
		}
		res.Overdue += p.Fired
		res.Skipped += p.Skipped
		if p.Seen < s.batch || p.Fired+p.Skipped == 0 {
			break
		}
	}
	return res, nil
}

// Run ticks until ctx ends: a pass, then sleep until the next reminder is due, reminders change on
// this server, or MaxInterval passes, whichever comes first. A failed pass is logged and retried
// after the sleep: the work it did not do is still in the database.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		// Taken before the pass, so a reminder set while the pass runs still wakes the sleep.
		changed := s.st.RemindersChanged()
		wait := s.max
		if res, err := s.Tick(ctx, s.now()); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("reminder pass failed", slog.Any("error", err))
		} else if res != (Result{}) {
			s.log.Info("reminder pass", slog.Int("reminders", res.Reminders), slog.Int("overdue", res.Overdue),
				slog.Int("skipped", res.Skipped))
		}
		if next, err := s.st.NextReminder(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("find the next reminder", slog.Any("error", err))
		} else if next != nil {
			if d := next.Sub(s.now()); d > 0 {
				wait = min(wait, d)
			} else {
				// Due but not taken by this pass: another replica holds it. Look again soon,
				// without spinning.
				wait = min(wait, time.Second)
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}
