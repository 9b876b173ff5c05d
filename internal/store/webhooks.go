package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm/clause"
)

type webhookRow struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrgID          uuid.UUID
	URL            string `gorm:"column:url"`
	Events         jsonCol[[]string]
	Description    string
	Secret         string
	Enabled        bool
	DisabledReason *string
	FailingSince   *time.Time // first failed attempt since the last success; nil while healthy
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

func webhookRowOf(w *cutover.Webhook) webhookRow {
	return webhookRow{ID: w.ID, OrgID: w.OrgID, URL: w.URL, Events: jsonCol[[]string]{w.Events}, Description: w.Description,
		Secret: w.Secret, Enabled: w.Enabled, DisabledReason: w.DisabledReason, Version: w.Version,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

func (r *webhookRow) toDomain() cutover.Webhook {
	return cutover.Webhook{ID: r.ID, OrgID: r.OrgID, URL: r.URL, Events: r.Events.v, Description: r.Description,
		Secret: r.Secret, Enabled: r.Enabled, DisabledReason: r.DisabledReason, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type deliveryRow struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	WebhookID      uuid.UUID
	OrgID          uuid.UUID
	EventID        uuid.UUID
	Action         string
	Status         string
	Attempts       int
	NextAttemptAt  *time.Time
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastError      *string
	ClaimedBy      *string
	LeaseUntil     *time.Time
	CreatedAt      time.Time
	DeliveredAt    *time.Time
}

func (deliveryRow) TableName() string { return "webhook_deliveries" }

func (r *deliveryRow) toDomain() cutover.Delivery {
	return cutover.Delivery{ID: r.ID, WebhookID: r.WebhookID, OrgID: r.OrgID, EventID: r.EventID, Action: r.Action,
		Status: cutover.DeliveryStatus(r.Status), Attempts: r.Attempts, NextAttemptAt: utcPtr(r.NextAttemptAt),
		LastAttemptAt: utcPtr(r.LastAttemptAt), LastStatusCode: r.LastStatusCode, LastError: r.LastError,
		CreatedAt: r.CreatedAt.UTC(), DeliveredAt: utcPtr(r.DeliveredAt)}
}

// CreateWebhook writes a new webhook of the caller's organisation with its event.
func (s *Store) CreateWebhook(ctx context.Context, who cutover.Caller, w cutover.Webhook) (cutover.Webhook, error) {
	err := s.write(ctx, func(t *tx) error {
		if err := t.webhooksChanged(); err != nil {
			return err
		}
		w.OrgID, w.Version, w.CreatedAt, w.UpdatedAt = who.OrgID, 1, t.now, t.now
		row := webhookRowOf(&w)
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		t.record(who, w.OrgID, "webhook.created", "webhook", w.ID, nil, cutover.Created(w.Fields()))
		return nil
	})
	return w, err
}

// Webhook reads one webhook the caller may manage, secret included.
func (s *Store) Webhook(ctx context.Context, who cutover.Caller, id uuid.UUID) (cutover.Webhook, error) {
	var row webhookRow
	if err := scoped(s.read.WithContext(ctx), who).Where("id = ?", id).Take(&row).Error; err != nil {
		return cutover.Webhook{}, notFoundOr(err, "load webhook")
	}
	return row.toDomain(), nil
}

// ListWebhooks reads one page of the webhooks the caller may manage, oldest first.
func (s *Store) ListWebhooks(ctx context.Context, who cutover.Caller, p Page) ([]cutover.Webhook, string, error) {
	q := scoped(s.read.WithContext(ctx), who)
	return pageByID(q, p, "webhooks", "list webhooks", func(r *webhookRow) uuid.UUID { return r.ID }, (*webhookRow).toDomain)
}

// UpdateWebhook lets apply change a webhook and writes it with its event. Enabling a webhook
// forgets its failures, so it gets three more days before it can be disabled again.
func (s *Store) UpdateWebhook(ctx context.Context, who cutover.Caller, id uuid.UUID, want *int,
	apply func(w *cutover.Webhook) error) (after cutover.Webhook, err error) {
	err = s.write(ctx, func(t *tx) error {
		row, err := loadWebhook(t, who, id, want)
		if err != nil {
			return err
		}
		before := row.toDomain()
		after = before
		after.Events = append([]string(nil), before.Events...)
		if err := apply(&after); err != nil {
			return err
		}
		changes := cutover.Diff(before.Fields(), after.Fields())
		if len(changes) == 0 {
			return nil
		}
		after.Version, after.UpdatedAt = before.Version+1, t.now
		upd := webhookRowOf(&after)
		failing := row.FailingSince
		if after.Enabled && !before.Enabled {
			failing = nil
		}
		upd.FailingSince = failing
		res := t.db.Model(&webhookRow{}).Where("id = ? AND version = ?", before.ID, before.Version).
			Select("url", "events", "description", "enabled", "disabled_reason", "failing_since", "version", "updated_at").Updates(&upd)
		if err := checked(res, "update webhook"); err != nil {
			return err
		}
		if !after.Enabled && before.Enabled {
			if err := abandonDeliveries(t, after.ID, "the webhook was disabled"); err != nil {
				return err
			}
		}
		t.record(who, after.OrgID, "webhook.updated", "webhook", after.ID, nil, changes)
		return nil
	})
	return after, err
}

// DeleteWebhook deletes a webhook; its deliveries go with it.
func (s *Store) DeleteWebhook(ctx context.Context, who cutover.Caller, id uuid.UUID, want *int) error {
	return s.write(ctx, func(t *tx) error {
		row, err := loadWebhook(t, who, id, want)
		if err != nil {
			return err
		}
		w := row.toDomain()
		// Deleted explicitly rather than by the cascade alone: SQLite honours ON DELETE CASCADE
		// only with foreign keys on, and a pending delivery must never outlive its webhook.
		if err := t.db.Where("webhook_id = ?", w.ID).Delete(&deliveryRow{}).Error; err != nil {
			return fmt.Errorf("delete deliveries: %w", err)
		}
		res := t.db.Where("id = ? AND version = ?", w.ID, w.Version).Delete(&webhookRow{})
		if err := checked(res, "delete webhook"); err != nil {
			return err
		}
		t.record(who, w.OrgID, "webhook.deleted", "webhook", w.ID, nil, cutover.Deleted(w.Fields()))
		return nil
	})
}

// lockWebhook locks a webhook row against other changes but not against the foreign-key checks
// of deliveries being enqueued for it, which FOR UPDATE would block.
var lockWebhook = clause.Locking{Strength: "NO KEY UPDATE"}

// loadWebhook reads a webhook about to be changed or deleted.
func loadWebhook(t *tx, who cutover.Caller, id uuid.UUID, want *int) (webhookRow, error) {
	if err := t.webhooksChanged(); err != nil {
		return webhookRow{}, err
	}
	var row webhookRow
	q := scoped(t.db, who).Where("id = ?", id)
	if t.s.dialect == Postgres {
		q = q.Clauses(lockWebhook) // the worker disabling it and an admin editing it queue here
	}
	if err := q.Take(&row).Error; err != nil {
		return webhookRow{}, notFoundOr(err, "load webhook")
	}
	if want != nil && *want != row.Version {
		return webhookRow{}, cutover.ErrStale
	}
	return row, nil
}

// deleteOrgWebhooks deletes an organisation's webhooks and their deliveries (with the
// organisation itself).
func deleteOrgWebhooks(t *tx, orgID uuid.UUID) error {
	if err := t.webhooksChanged(); err != nil {
		return err
	}
	if err := t.db.Where("org_id = ?", orgID).Delete(&deliveryRow{}).Error; err != nil {
		return fmt.Errorf("delete deliveries: %w", err)
	}
	if err := t.db.Where("org_id = ?", orgID).Delete(&webhookRow{}).Error; err != nil {
		return fmt.Errorf("delete webhooks: %w", err)
	}
	return nil
}

// ListDeliveries reads one page of a webhook's deliveries, newest first.
func (s *Store) ListDeliveries(ctx context.Context, who cutover.Caller, webhookID uuid.UUID, status string, p Page) ([]cutover.Delivery, string, error) {
	cur, err := decodeCursor(p.Cursor, "deliveries")
	if err != nil {
		return nil, "", err
	}
	db := s.read.WithContext(ctx)
	if _, err := s.Webhook(ctx, who, webhookID); err != nil {
		return nil, "", err
	}
	q := db.Where("webhook_id = ?", webhookID)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if cur.ID != uuid.Nil {
		q = q.Where("id < ?", cur.ID)
	}
	var rows []deliveryRow
	limit := p.limit()
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	rows, next := nextCursor(rows, limit, func(r *deliveryRow) cursor { return cursor{Kind: "deliveries", ID: r.ID} })
	out := make([]cutover.Delivery, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, next, nil
}
