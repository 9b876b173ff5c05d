package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// writeStore opens a SQLite store with its organisation's admin.
func writeStore(t *testing.T) (*Store, cutover.Caller) {
	t.Helper()
	return testStore(t, Options{}, cutover.RoleAdmin)
}

// holdWriter holds the store's writer in a request until release is called, so that the
// requests queued meanwhile commit together, in the order they were queued.
func holdWriter(t *testing.T, s *Store) (queue func(func() error) <-chan error, release func()) {
	t.Helper()
	ctx := context.Background()
	hold, started := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.write(ctx, func(*tx) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	queued := 0
	queue = func(f func() error) <-chan error {
		done := make(chan error, 1)
		go func() { done <- f() }()
		queued++
		for deadline := time.Now().Add(5 * time.Second); s.WriteQueueLength() < queued; {
			if time.Now().After(deadline) {
				t.Fatal("request did not queue")
			}
			time.Sleep(time.Millisecond)
		}
		return done
	}
	return queue, func() { close(hold) }
}

// TestDeferredRowsBeforeWebhookChange: a batch's events and deliveries are written together at
// its end, but a request that changes a webhook has them written first, so that a delivery
// enqueued earlier in the batch to a webhook the request deletes goes with it, as it would have
// in two separate commits.
func TestDeferredRowsBeforeWebhookChange(t *testing.T) {
	ctx := context.Background()
	s, who := writeStore(t)
	hook, err := s.CreateWebhook(ctx, who, cutover.Webhook{ID: cutover.NewID(), URL: "https://example.net/h",
		Events: []string{cutover.AllEvents}, Secret: "whsec_x", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	queue, release := holdWriter(t, s)
	resource := uuid.New()
	recorded := queue(func() error {
		return s.write(ctx, func(t *tx) error {
			t.record(who, who.OrgID, "organisation.updated", "organisation", resource, nil, nil)
			return nil
		})
	})
	deleted := queue(func() error { return s.DeleteWebhook(ctx, who, hook.ID, nil) })
	release()
	if err := <-recorded; err != nil {
		t.Fatalf("record: %v", err)
	}
	if err := <-deleted; err != nil {
		t.Fatalf("delete webhook: %v", err)
	}
	var deliveries int64
	if err := s.read.Model(&deliveryRow{}).Where("webhook_id = ?", hook.ID).Count(&deliveries).Error; err != nil {
		t.Fatal(err)
	}
	if deliveries != 0 {
		t.Errorf("%d deliveries outlived their webhook", deliveries)
	}
	var events int64
	if err := s.read.Model(&eventRow{}).Where("resource_id = ?", resource).Count(&events).Error; err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d events of the first request, want 1", events)
	}
}

// TestBatchIsolatesFailures: in one batch, a failing request leaves no trace (no row, no event)
// and the others commit with their events, in order.
func TestBatchIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s, who := writeStore(t)
	queue, release := holdWriter(t, s)
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	boom := errors.New("boom")
	var results []<-chan error
	for i, id := range ids {
		results = append(results, queue(func() error {
			return s.write(ctx, func(t *tx) error {
				t.record(who, who.OrgID, "organisation.updated", "organisation", id, nil, nil)
				if i == 1 {
					return boom
				}
				return nil
			})
		}))
	}
	release()
	for i, r := range results {
		err := <-r
		if (i == 1) != errors.Is(err, boom) {
			t.Errorf("request %d: %v", i, err)
		}
	}
	var got []eventRow
	if err := s.read.Where("resource_id IN ?", ids).Order("seq").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ResourceID != ids[0] || got[1].ResourceID != ids[2] {
		t.Errorf("events %+v, want the first and third requests' in order", got)
	}
}

// TestBackgroundCheckpoint: the writer leaves checkpoints to the checkpointer (its own
// threshold is only a backstop), which copies every committed page of the WAL back into the
// database file soon after writes stop, without losing any of them.
func TestBackgroundCheckpoint(t *testing.T) {
	s, who := writeStore(t)
	ctx := context.Background()
	var pages int
	if err := s.writeDB.Raw("PRAGMA wal_autocheckpoint").Scan(&pages).Error; err != nil || pages != writerCheckpointPages {
		t.Fatalf("writer's checkpoint threshold %d (%v), want %d", pages, err, writerCheckpointPages)
	}
	now := time.Now()
	ms := testMigrations(t, who, 3, now, now.AddDate(0, 0, 20), now.AddDate(0, 0, 22))
	if err := s.CreateMigrations(ctx, who, ms); err != nil {
		t.Fatal(err)
	}
	var last *checkpointResult
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		last = s.checkpoints.last.Load()
		if last != nil && !last.Busy && last.Pages > 100 && last.Copied == last.Pages {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no complete checkpoint of the migrations' pages: %+v", last)
		}
	}
	for _, m := range ms {
		tasks, _, err := s.ListTasks(ctx, who, m.Migration.ID, TaskFilter{}, Page{Limit: 200})
		if err != nil || len(tasks) != len(m.Tasks) {
			t.Fatalf("after the checkpoint: %d of %d tasks (%v)", len(tasks), len(m.Tasks), err)
		}
	}
}
