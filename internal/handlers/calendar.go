package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/printout"
	"github.com/cutoverhq/cutover/internal/store"
)

// GetCalendar serves a migration's key dates and due tasks as an iCalendar file.
func (s *Server) GetCalendar(ctx context.Context, req api.GetCalendarRequestObject) (api.GetCalendarResponseObject, error) {
	snap, err := s.store.Snapshot(ctx, callerFrom(ctx), req.MigrationId)
	if err != nil {
		return nil, fmt.Errorf("calendar of %s: %w", req.MigrationId, err)
	}
	body, tag := s.calendar(snap)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetCalendar304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return calendarResponse(body, tag), nil
}

// GetCalendarFeed serves the same calendar to a calendar app, which proves itself with the feed's
// secret key instead of a bearer token.
func (s *Server) GetCalendarFeed(ctx context.Context, req api.GetCalendarFeedRequestObject) (api.GetCalendarFeedResponseObject, error) {
	snap, err := s.store.FeedSnapshot(ctx, req.FeedId, req.Params.Key)
	if err != nil {
		return nil, fmt.Errorf("calendar feed %s: %w", req.FeedId, err)
	}
	body, tag := s.calendar(snap)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetCalendarFeed304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return calendarResponse(body, tag), nil
}

// calendar renders a snapshot's calendar with an entity tag of its content: the same state always
// renders the same bytes, so a polling calendar app gets a 304 until something changes.
func (s *Server) calendar(snap store.Snapshot) ([]byte, string) {
	body := printout.Calendar(s.templateOf(&snap.Migration), &snap.Migration, snap.Tasks)
	sum := sha256.Sum256(body)
	return body, `"` + hex.EncodeToString(sum[:16]) + `"`
}

func calendarResponse(body []byte, tag string) textResponse {
	return textResponse{contentType: "text/calendar; charset=utf-8", header: map[string]string{"ETag": tag}, body: body}
}

// ListCalendarFeeds lists a migration's live calendar feeds, without their keys.
func (s *Server) ListCalendarFeeds(ctx context.Context, req api.ListCalendarFeedsRequestObject) (api.ListCalendarFeedsResponseObject, error) {
	p := req.Params
	feeds, next, err := s.store.ListCalendarFeeds(ctx, callerFrom(ctx), req.MigrationId, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list calendar feeds of %s: %w", req.MigrationId, err)
	}
	items := make([]api.CalendarFeed, len(feeds))
	for i := range feeds {
		items[i] = calendarFeedToAPI(&feeds[i])
	}
	return api.ListCalendarFeeds200JSONResponse{
		Body:    api.CalendarFeedList{Items: items, NextCursor: nullableString(next)},
		Headers: api.ListCalendarFeeds200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

// CreateCalendarFeed creates a feed URL with a fresh secret key and shows the key this once.
func (s *Server) CreateCalendarFeed(ctx context.Context, req api.CreateCalendarFeedRequestObject) (api.CreateCalendarFeedResponseObject, error) {
	ws, err := s.checkFreeText(ctx, patientguard.Field{Name: "label", Text: req.Body.Label})
	if err != nil {
		return nil, err
	}
	key := store.NewFeedKey()
	f, err := s.store.CreateCalendarFeed(ctx, callerFrom(ctx), req.MigrationId, req.Body.Label, key)
	if err != nil {
		return nil, fmt.Errorf("create calendar feed of %s: %w", req.MigrationId, err)
	}
	return api.CreateCalendarFeed201JSONResponse{
		Body: api.CalendarFeedCreated{Id: f.ID, MigrationId: f.MigrationID, Label: f.Label, CreatedBy: f.CreatedBy,
			CreatedAt: f.CreatedAt, Url: feedURL(&f, key), Warnings: ws},
		Headers: api.CreateCalendarFeed201ResponseHeaders{
			Location: fmt.Sprintf("/v1/migrations/%s/calendar-feeds/%s", f.MigrationID, f.ID)},
	}, nil
}

// RevokeCalendarFeed revokes a feed: its URL answers 404 from then on.
func (s *Server) RevokeCalendarFeed(ctx context.Context, req api.RevokeCalendarFeedRequestObject) (api.RevokeCalendarFeedResponseObject, error) {
	if err := s.store.RevokeCalendarFeed(ctx, callerFrom(ctx), req.MigrationId, req.FeedId); err != nil {
		return nil, fmt.Errorf("revoke calendar feed %s: %w", req.FeedId, err)
	}
	return api.RevokeCalendarFeed204Response{}, nil
}

// feedURL is the path a calendar app subscribes to. The key is URL-safe base64, so it needs no
// escaping; it travels in the query, which the request log never records.
func feedURL(f *cutover.CalendarFeed, key string) string {
	return "/v1/calendar-feeds/" + f.ID.String() + "/calendar.ics?key=" + key
}

func calendarFeedToAPI(f *cutover.CalendarFeed) api.CalendarFeed {
	return api.CalendarFeed{Id: f.ID, MigrationId: f.MigrationID, Label: f.Label, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt}
}
