package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/webhook"
	"github.com/oapi-codegen/nullable"
)

// ListWebhooks lists the webhooks the caller manages.
func (s *Server) ListWebhooks(ctx context.Context, req api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	hooks, next, err := s.store.ListWebhooks(ctx, callerFrom(ctx), page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	items := make([]api.Webhook, len(hooks))
	for i := range hooks {
		items[i] = webhookToAPI(&hooks[i])
	}
	return api.ListWebhooks200JSONResponse{
		Body:    api.WebhookList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListWebhooks200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateWebhook subscribes a URL to the caller's organisation's events and returns its secret,
// the only time it is shown.
func (s *Server) CreateWebhook(ctx context.Context, req api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	b := req.Body
	ws, err := s.checkFreeText(ctx, patientguard.Field{Name: "description", Text: deref(b.Description)})
	if err != nil {
		return nil, err
	}
	if err := webhook.CheckURL(ctx, b.Url, s.allowPrivateNetworks, s.resolver); err != nil {
		return nil, err
	}
	w := cutover.Webhook{ID: cutover.NewID(), URL: b.Url, Events: eventTypesFromAPI(b.Events), Description: deref(b.Description),
		Secret: webhook.NewSecret(), Enabled: b.Enabled == nil || *b.Enabled}
	w, err = s.store.CreateWebhook(ctx, callerFrom(ctx), w)
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	a := webhookToAPI(&w)
	return api.CreateWebhook201JSONResponse{
		Body: api.WebhookCreated{Id: a.Id, Url: a.Url, Events: a.Events, Description: a.Description, Enabled: a.Enabled,
			DisabledReason: a.DisabledReason, Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
			Secret: w.Secret, Warnings: ws},
		Headers: api.CreateWebhook201ResponseHeaders{ETag: etag(w.Version), Location: "/v1/webhooks/" + w.ID.String()},
	}, nil
}

// GetWebhook reads one webhook, without its secret.
func (s *Server) GetWebhook(ctx context.Context, req api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	w, err := s.store.Webhook(ctx, callerFrom(ctx), req.WebhookId)
	if err != nil {
		return nil, fmt.Errorf("get webhook %s: %w", req.WebhookId, err)
	}
	tag := etag(w.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetWebhook304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetWebhook200JSONResponse{Body: webhookToAPI(&w), Headers: api.GetWebhook200ResponseHeaders{ETag: tag}}, nil
}

// UpdateWebhook applies a merge patch to a webhook. Enabling it clears the reason it was
// disabled for.
func (s *Server) UpdateWebhook(ctx context.Context, req api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, cutover.BadRequest(cutover.FieldError{Field: "body", Message: "is required"})
	}
	var ws *[]api.Warning
	if b.Description != nil {
		var err error
		if ws, err = s.checkFreeText(ctx, patientguard.Field{Name: "description", Text: *b.Description}); err != nil {
			return nil, err
		}
	}
	if b.Url != nil {
		if err := webhook.CheckURL(ctx, *b.Url, s.allowPrivateNetworks, s.resolver); err != nil {
			return nil, err
		}
	}
	w, err := s.store.UpdateWebhook(ctx, callerFrom(ctx), req.WebhookId, ifMatch(req.Params.IfMatch), func(w *cutover.Webhook) error {
		if b.Url != nil {
			w.URL = *b.Url
		}
		if b.Events != nil {
			w.Events = eventTypesFromAPI(*b.Events)
		}
		if b.Description != nil {
			w.Description = *b.Description
		}
		if b.Enabled != nil {
			if *b.Enabled && !w.Enabled {
				w.DisabledReason = nil
			}
			w.Enabled = *b.Enabled
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update webhook %s: %w", req.WebhookId, err)
	}
	body := webhookToAPI(&w)
	body.Warnings = ws
	return api.UpdateWebhook200JSONResponse{Body: body, Headers: api.UpdateWebhook200ResponseHeaders{ETag: etag(w.Version)}}, nil
}

// DeleteWebhook deletes a webhook; its pending deliveries are abandoned.
func (s *Server) DeleteWebhook(ctx context.Context, req api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	if err := s.store.DeleteWebhook(ctx, callerFrom(ctx), req.WebhookId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, fmt.Errorf("delete webhook %s: %w", req.WebhookId, err)
	}
	return api.DeleteWebhook204Response{}, nil
}

// ListWebhookDeliveries lists a webhook's deliveries, newest first.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	p := req.Params
	status := ""
	if p.Status != nil {
		status = string(*p.Status)
	}
	ds, next, err := s.store.ListDeliveries(ctx, callerFrom(ctx), req.WebhookId, status, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %s: %w", req.WebhookId, err)
	}
	items := make([]api.Delivery, len(ds))
	for i := range ds {
		items[i] = deliveryToAPI(&ds[i])
	}
	return api.ListWebhookDeliveries200JSONResponse{
		Body:    api.DeliveryList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListWebhookDeliveries200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// WebhookPayload renders the body of an event's webhook delivery: the Standard Webhooks
// envelope ({type, timestamp, data}) around the event exactly as the feed shows it.
func WebhookPayload(e cutover.Event) ([]byte, error) {
	// The spec's WebhookPayload schema; no operation uses it, so oapi-codegen prunes its type.
	payload := struct {
		Type      api.EventAction `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      api.Event       `json:"data"`
	}{api.EventAction(e.Action), e.At.UTC(), eventToAPI(&e)}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("render webhook payload of event %s: %w", e.ID, err)
	}
	return b, nil
}

func eventTypesFromAPI(ts []api.WebhookEventType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func webhookToAPI(w *cutover.Webhook) api.Webhook {
	events := make([]api.WebhookEventType, len(w.Events))
	for i, e := range w.Events {
		events[i] = api.WebhookEventType(e)
	}
	return api.Webhook{Id: w.ID, Url: w.URL, Events: events, Description: w.Description, Enabled: w.Enabled,
		DisabledReason: nullableOf(w.DisabledReason), Version: w.Version, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func deliveryToAPI(d *cutover.Delivery) api.Delivery {
	return api.Delivery{Id: d.ID, WebhookId: d.WebhookID, EventId: d.EventID, Action: api.EventAction(d.Action),
		Status: api.DeliveryStatus(d.Status), Attempts: d.Attempts, LastAttemptAt: nullableTime(d.LastAttemptAt),
		LastStatusCode: nullableOf(d.LastStatusCode), LastError: nullableOf(d.LastError),
		NextAttemptAt: nullableTime(d.NextAttemptAt), CreatedAt: d.CreatedAt, DeliveredAt: nullableTime(d.DeliveredAt)}
}

func nullableTime(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t.UTC())
}
