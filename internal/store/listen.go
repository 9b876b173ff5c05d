package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// tokenChannel carries the id of every token revoked or deleted, so that each replica forgets
// its cached look-up at once instead of honouring the token until the cache entry expires.
const tokenChannel = "cutover_tokens"

// listener holds one PostgreSQL connection of its own, outside the pool, LISTENing for what other
// replicas (and this one) commit: events, which wake this replica's long polls, enqueued webhook
// deliveries and changed reminders, which wake its delivery worker and reminder scheduler, and
// token revocations, which empty its token cache. A pooled connection cannot do this: LISTEN belongs
// to a session, and notifications arrive only on the session that asked.
type listener struct {
	s       *Store
	dbURL   string
	cancel  context.CancelFunc
	stopped chan struct{}
}

// Reconnection waits: short at first (a restarting server is back in seconds), growing to a cap
// so that a long outage does not hammer the server.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// startListener connects and listens before it returns, so that a store that opened hears every
// commit from then on; after that a lost connection is re-established in the background.
func startListener(ctx context.Context, dbURL string, s *Store) (*listener, error) {
	conn, err := listenConn(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	l := &listener{s: s, dbURL: dbURL, cancel: cancel, stopped: make(chan struct{})}
	go l.run(lctx, conn) //nolint:gosec // G118: the listener lives as long as the store, not a request
	return l, nil
}

// listenerName is the listener's application_name, so that pg_stat_activity tells it apart.
const listenerName = "cutover listener"

func listenConn(ctx context.Context, dbURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("listener connection: %w", err)
	}
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect the listener: %w", err)
	}
	for _, ch := range []string{eventChannel, deliveryChannel, reminderChannel, tokenChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("listen on %s: %w", ch, err)
		}
	}
	return conn, nil
}

func (l *listener) run(ctx context.Context, conn *pgx.Conn) {
	defer close(l.stopped)
	wait := listenRetryMin
	for {
		if conn != nil {
			err := l.receive(ctx, conn)
			conn.Close(context.Background())
			if ctx.Err() != nil {
				return
			}
			l.s.log.Warn("lost the database listener connection; reconnecting", "error", err)
			wait = listenRetryMin
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		var err error
		if conn, err = listenConn(ctx, l.dbURL); err != nil {
			conn = nil
			if ctx.Err() != nil {
				return
			}
			wait = min(wait*2, listenRetryMax)
			l.s.log.Warn("database listener cannot reconnect; retrying", "error", err, "in", wait)
			continue
		}
		l.s.log.Info("database listener reconnected")
		// Nobody listened for a while: events may have committed and tokens been revoked
		// unheard. Long polls read again, and every cached token is looked up afresh.
		l.s.tokens.clear()
		l.s.feed.notify()
		l.s.deliveries.notify()
		l.s.reminders.notify()
	}
}

// receive hands notifications on until the connection fails or ctx ends.
func (l *listener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case eventChannel:
			l.s.feed.notify()
		case deliveryChannel:
			l.s.deliveries.notify()
		case reminderChannel:
			l.s.reminders.notify()
		case tokenChannel:
			if id, err := uuid.Parse(n.Payload); err == nil {
				l.s.tokens.forget(id)
			} else {
				l.s.tokens.clear() // not ours to understand: forget them all, to be safe
			}
		}
	}
}

func (l *listener) close() error {
	l.cancel()
	<-l.stopped
	return nil
}

// notifyTokenGone makes every replica forget a revoked or deleted token as this transaction
// commits: PostgreSQL delivers notifications at commit, and never for a rolled-back transaction.
func (t *tx) notifyTokenGone(id uuid.UUID) error {
	t.afterCommit(func() { t.s.tokens.forget(id) })
	if t.s.dialect != Postgres {
		return nil
	}
	if err := t.db.Exec("SELECT pg_notify(?, ?)", tokenChannel, id.String()).Error; err != nil {
		return fmt.Errorf("tell replicas token %s is gone: %w", id, err)
	}
	return nil
}
