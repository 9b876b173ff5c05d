package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// deliveryChannel is the PostgreSQL notification channel that wakes the webhook workers of every
// replica when a transaction enqueued deliveries.
const deliveryChannel = "cutover_deliveries"

// enqueueDeliveries creates the webhook delivery jobs for the events of a transaction, in that
// transaction: the outbox. A change is never committed without its deliveries, nor a delivery
// without its change. The organisations' webhooks are read inside the transaction, so that a
// webhook created, changed or disabled in it counts at once (on SQLite from a cache the writer
// drops whenever a webhook changes: see webhookCache).
func (s *Store) enqueueDeliveries(t *tx) error {
	if len(t.events) == 0 {
		return nil
	}
	orgs := make([]uuid.UUID, 0, 1)
	for i := range t.events {
		if org := t.events[i].OrgID; !slices.Contains(orgs, org) {
			orgs = append(orgs, org)
		}
	}
	var subs []cutover.Webhook
	for _, org := range orgs {
		hs, err := t.enabledWebhooks(org)
		if err != nil {
			return err
		}
		subs = append(subs, hs...)
	}
	if len(subs) == 0 {
		return nil
	}
	now := t.now
	var rows []deliveryRow
	for i := range t.events {
		e := &t.events[i]
		for j := range subs {
			h := &subs[j]
			if h.OrgID != e.OrgID || !h.Wants(e.Action) {
				continue
			}
			rows = append(rows, deliveryRow{ID: cutover.NewID(), WebhookID: h.ID, OrgID: h.OrgID, EventID: e.ID,
				Action: e.Action, Status: string(cutover.DeliveryPending), NextAttemptAt: &now, CreatedAt: now})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if t.pending != nil {
		t.deliveryRows = rows // the writer writes them with the batch's
		t.afterCommit(t.s.deliveries.notify)
		return nil
	}
	if err := t.insertDeliveries(rows); err != nil {
		return err
	}
	if t.s.dialect == Postgres {
		if err := t.db.Exec("SELECT pg_notify(?, '')", deliveryChannel).Error; err != nil {
			return fmt.Errorf("notify webhook workers: %w", err)
		}
	}
	t.afterCommit(t.s.deliveries.notify)
	return nil
}

// DeliveriesEnqueued returns a channel that is closed when the next deliveries are enqueued (on
// this server, or on PostgreSQL on any replica). Take it before claiming, so nothing enqueued in
// between is slept through.
func (s *Store) DeliveriesEnqueued() <-chan struct{} { return s.deliveries.next() }

// DueDelivery is a delivery a worker has claimed, with what it needs to send it.
type DueDelivery struct {
	cutover.Delivery
	URL    string
	Secret string
	Event  cutover.Event
}

// ClaimDeliveries claims up to limit pending deliveries that are due, for worker, for lease.
// Each is claimed by exactly one worker however many replicas ask at once: the claim is a
// conditional UPDATE that only takes rows whose lease is free (PostgreSQL also skips rows another
// transaction is claiming; SQLite's claims queue on its one writer). A worker that dies leaves
// its claims to expire with their lease.
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, lease time.Duration, limit int) ([]DueDelivery, error) {
	var out []DueDelivery
	err := s.write(withoutClaim(ctx), func(t *tx) error {
		out = nil
		now := t.now
		pick := `SELECT id FROM webhook_deliveries
			WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
			ORDER BY next_attempt_at LIMIT ?`
		if t.s.dialect == Postgres {
			pick += " FOR UPDATE SKIP LOCKED"
		}
		var claimed []struct{ ID uuid.UUID }
		err := t.db.Raw(`UPDATE webhook_deliveries SET claimed_by = ?, lease_until = ?
			WHERE id IN (`+pick+`) AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)
			RETURNING id`, worker, now.Add(lease), now, now, limit, now).Scan(&claimed).Error
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		if len(claimed) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, len(claimed))
		for i := range claimed {
			ids[i] = claimed[i].ID
		}
		var rows []deliveryRow
		if err := t.db.Where("id IN ?", ids).Order("next_attempt_at, id").Find(&rows).Error; err != nil {
			return fmt.Errorf("load claimed deliveries: %w", err)
		}
		hookIDs, eventIDs := make([]uuid.UUID, 0, len(rows)), make([]uuid.UUID, 0, len(rows))
		for i := range rows {
			hookIDs = append(hookIDs, rows[i].WebhookID)
			eventIDs = append(eventIDs, rows[i].EventID)
		}
		var hooks []webhookRow
		if err := t.db.Where("id IN ?", hookIDs).Find(&hooks).Error; err != nil {
			return fmt.Errorf("load webhooks of deliveries: %w", err)
		}
		var events []eventRow
		if err := t.db.Where("id IN ?", eventIDs).Find(&events).Error; err != nil {
			return fmt.Errorf("load events of deliveries: %w", err)
		}
		hookByID := make(map[uuid.UUID]*webhookRow, len(hooks))
		for i := range hooks {
			hookByID[hooks[i].ID] = &hooks[i]
		}
		eventByID := make(map[uuid.UUID]*eventRow, len(events))
		for i := range events {
			eventByID[events[i].ID] = &events[i]
		}
		for i := range rows {
			h, e := hookByID[rows[i].WebhookID], eventByID[rows[i].EventID]
			if h == nil || e == nil {
				continue // cannot happen while webhooks delete their deliveries and events stay
			}
			out = append(out, DueDelivery{Delivery: rows[i].toDomain(), URL: h.URL, Secret: h.Secret, Event: e.toDomain()})
		}
		return nil
	})
	return out, err
}

// DeliveryAttempt is the outcome of one attempt to send a delivery.
type DeliveryAttempt struct {
	At         time.Time
	Succeeded  bool
	StatusCode int        // 0 when there was no response
	Error      string     // why it failed; "" on success
	Next       *time.Time // when to try again after a failure; nil to give up
}

// RecordDeliveryAttempt writes the outcome of worker's attempt at a delivery it claimed and
// releases the claim. A webhook whose deliveries have failed, with no success in between, for
// disableAfter is disabled with the reason recorded, and its pending deliveries are given up.
// An attempt whose claim was lost (the delivery was deleted, or given up when its webhook was
// disabled) is dropped.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, id uuid.UUID, worker string, a DeliveryAttempt, disableAfter time.Duration) error {
	return s.write(withoutClaim(ctx), func(t *tx) error {
		var d deliveryRow
		err := t.db.Where("id = ? AND claimed_by = ? AND status = ?", id, worker, cutover.DeliveryPending).Take(&d).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load delivery: %w", err)
		}
		at := dbTime(a.At)
		upd := map[string]any{"attempts": d.Attempts + 1, "last_attempt_at": at, "claimed_by": nil, "lease_until": nil,
			"last_status_code": nil, "last_error": nil, "next_attempt_at": nil}
		if a.StatusCode != 0 {
			upd["last_status_code"] = a.StatusCode
		}
		switch {
		case a.Succeeded:
			upd["status"], upd["delivered_at"] = string(cutover.DeliverySucceeded), at
		case a.Next != nil:
			upd["last_error"], upd["next_attempt_at"] = truncate(a.Error, 500), dbTime(*a.Next)
		default:
			upd["last_error"], upd["status"] = truncate(a.Error, 500), string(cutover.DeliveryFailed)
		}
		if err := t.db.Model(&deliveryRow{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return fmt.Errorf("record delivery attempt: %w", err)
		}
		return s.webhookHealth(t, d.WebhookID, at, a, disableAfter)
	})
}

// webhookHealth tracks how long a webhook's deliveries have been failing and disables it once
// that is disableAfter.
func (s *Store) webhookHealth(t *tx, webhookID uuid.UUID, at time.Time, a DeliveryAttempt, disableAfter time.Duration) error {
	if err := t.webhooksChanged(); err != nil {
		return err
	}
	var h webhookRow
	q := t.db.Where("id = ?", webhookID)
	if t.s.dialect == Postgres {
		q = q.Clauses(lockWebhook)
	}
	if err := q.Take(&h).Error; err != nil {
		return notFoundOr(err, "load webhook")
	}
	switch {
	case a.Succeeded:
		if h.FailingSince == nil {
			return nil
		}
		return t.db.Model(&webhookRow{}).Where("id = ?", h.ID).Update("failing_since", nil).Error
	case h.FailingSince == nil:
		return t.db.Model(&webhookRow{}).Where("id = ?", h.ID).Update("failing_since", at).Error
	case !h.Enabled || at.Sub(*h.FailingSince) < disableAfter:
		return nil
	}
	before := h.toDomain()
	after := before
	reason := fmt.Sprintf("Deliveries have failed since %s with no success (last error: %s); fix the receiver and enable the webhook again.",
		h.FailingSince.UTC().Format(time.RFC3339), truncate(a.Error, 200))
	after.Enabled, after.DisabledReason = false, &reason
	after.Version, after.UpdatedAt = before.Version+1, t.now
	res := t.db.Model(&webhookRow{}).Where("id = ? AND version = ?", h.ID, h.Version).
		Updates(map[string]any{"enabled": false, "disabled_reason": reason, "version": after.Version, "updated_at": after.UpdatedAt})
	switch {
	case res.Error != nil:
		return fmt.Errorf("disable webhook: %w", res.Error)
	case res.RowsAffected == 0:
		return nil // changed meanwhile (the row lock makes this all but impossible): the next failure decides
	}
	if err := abandonDeliveries(t, h.ID, "the webhook was disabled"); err != nil {
		return err
	}
	t.record(cutover.System(h.OrgID), h.OrgID, "webhook.updated", "webhook", h.ID, nil, cutover.Diff(before.Fields(), after.Fields()))
	return nil
}

// abandonDeliveries gives up a webhook's pending deliveries.
func abandonDeliveries(t *tx, webhookID uuid.UUID, why string) error {
	err := t.db.Model(&deliveryRow{}).Where("webhook_id = ? AND status = ?", webhookID, cutover.DeliveryPending).
		Updates(map[string]any{"status": string(cutover.DeliveryFailed), "next_attempt_at": nil, "claimed_by": nil,
			"lease_until": nil, "last_error": why}).Error
	if err != nil {
		return fmt.Errorf("give up deliveries: %w", err)
	}
	return nil
}

// ReleaseDelivery hands back a claim without counting an attempt (the worker is stopping), so
// another worker can send it at once.
func (s *Store) ReleaseDelivery(ctx context.Context, id uuid.UUID, worker string) error {
	return s.write(withoutClaim(ctx), func(t *tx) error {
		err := t.db.Model(&deliveryRow{}).Where("id = ? AND claimed_by = ?", id, worker).
			Updates(map[string]any{"claimed_by": nil, "lease_until": nil}).Error
		if err != nil {
			return fmt.Errorf("release delivery: %w", err)
		}
		return nil
	})
}

// PurgeDeliveries deletes finished deliveries created before before; pending ones stay.
func (s *Store) PurgeDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(withoutClaim(ctx), func(t *tx) error {
		res := t.db.Where("status <> ? AND created_at < ?", cutover.DeliveryPending, dbTime(before)).Delete(&deliveryRow{})
		if res.Error != nil {
			return fmt.Errorf("purge deliveries: %w", res.Error)
		}
		n = res.RowsAffected
		return nil
	})
	return n, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// PendingDeliveries counts the deliveries waiting for a first or next attempt, on every replica:
// the webhook queue depth. It reads the partial index of pending deliveries only.
func (s *Store) PendingDeliveries(ctx context.Context) (int, error) {
	var n int64
	if err := s.read.WithContext(ctx).Model(&deliveryRow{}).Where("status = 'pending'").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return int(n), nil
}
