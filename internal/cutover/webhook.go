package cutover

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Webhook is an organisation's subscription to its events: every matching event is delivered to
// URL, signed with Secret.
type Webhook struct {
	ID             uuid.UUID
	OrgID          uuid.UUID
	URL            string
	Events         []string // event actions, or "*" for every event
	Description    string
	Secret         string // whsec_<base64>; shown once, on create
	Enabled        bool
	DisabledReason *string // why the server disabled it
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// AllEvents subscribes a webhook to every event.
const AllEvents = "*"

// Wants reports whether the webhook subscribes to events with this action.
func (w *Webhook) Wants(action string) bool {
	return slices.Contains(w.Events, AllEvents) || slices.Contains(w.Events, action)
}

// Fields are the webhook's audited fields. The secret is not one: events are read by everyone
// who may read the feed.
func (w *Webhook) Fields() map[string]any {
	events := make([]string, len(w.Events))
	copy(events, w.Events)
	return map[string]any{
		"url": w.URL, "events": events, "description": w.Description, "enabled": w.Enabled,
		"disabled_reason": strOrNil(w.DisabledReason),
	}
}

// DeliveryStatus is where a webhook delivery stands.
type DeliveryStatus string

// The delivery states: pending until it succeeds or is given up.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is one event on its way to one webhook. Its ID is the webhook-id header of every
// attempt, so a receiver can tell a retry from a new event.
type Delivery struct {
	ID             uuid.UUID
	WebhookID      uuid.UUID
	OrgID          uuid.UUID
	EventID        uuid.UUID
	Action         string
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  *time.Time
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastError      *string
	CreatedAt      time.Time
	DeliveredAt    *time.Time
}
