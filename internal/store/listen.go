package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenPostgres keeps a connection that LISTENs for the notifications transactions send when
// they commit events or enqueue deliveries, so that a long poll or a webhook worker on this
// replica wakes for a commit on any replica. Losing the connection costs latency only: every
// waiter is woken on reconnect, and workers also poll.
func (s *Store) listenPostgres(dbURL string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			err := s.listenOnce(ctx, dbURL)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("notification listener lost its connection; reconnecting", "error", err.Error())
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	s.closers = append(s.closers, func() error {
		cancel()
		<-done
		return nil
	})
}

func (s *Store) listenOnce(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{eventChannel, deliveryChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	// Whatever committed while nobody listened: let every waiter look again.
	s.feed.notify()
	s.deliveries.notify()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		switch n.Channel {
		case eventChannel:
			s.feed.notify()
		case deliveryChannel:
			s.deliveries.notify()
		}
	}
}
