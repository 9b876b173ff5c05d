package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/oapi-codegen/nullable"
)

// maxWait caps a long poll, below common proxy idle timeouts.
const maxWait = 60 * time.Second

// ListMigrationEvents lists a migration's audit history, oldest first.
func (s *Server) ListMigrationEvents(ctx context.Context, req api.ListMigrationEventsRequestObject) (api.ListMigrationEventsResponseObject, error) {
	p := req.Params
	action := ""
	if p.Action != nil {
		action = string(*p.Action)
	}
	evs, next, err := s.store.ListMigrationEvents(ctx, callerFrom(ctx), req.MigrationId, action, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", req.MigrationId, err)
	}
	res, err := newEventListJSON(evs, next, false, nextLink(ctx, next))
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ListEvents reads the event feed after a cursor, holding an empty answer open for up to wait.
func (s *Server) ListEvents(ctx context.Context, req api.ListEventsRequestObject) (api.ListEventsResponseObject, error) {
	p := req.Params
	wait, err := parseWait(p.Wait)
	if err != nil {
		return nil, err
	}
	f := store.EventFilter{MigrationID: p.MigrationId}
	if p.Action != nil {
		f.Action = string(*p.Action)
	}
	who := callerFrom(ctx)
	pg := page(p.Limit, p.Cursor)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		// Take the wake-up channel before reading, so a commit between the read and the wait
		// is not slept through.
		woken := s.store.EventsCommitted()
		evs, next, err := s.store.ListEvents(ctx, who, f, pg)
		if err != nil {
			return nil, fmt.Errorf("read event feed: %w", err)
		}
		if len(evs) > 0 || wait == 0 {
			res, err := newEventListJSON(evs, next, true, nextLink(ctx, next))
			if err != nil {
				return nil, err
			}
			return res, nil
		}
		select {
		case <-woken:
		case <-deadline.C:
			wait = 0 // one last read, then answer whatever it finds
		case <-s.stopping:
			// The server is shutting down: answer now rather than hold the shutdown up. The
			// client polls again with the same cursor and loses nothing.
			wait = 0
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for events: %w", ctx.Err())
		}
	}
}

func parseWait(w *string) (time.Duration, error) {
	if w == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(*w, "s"))
	if err != nil || n < 0 || time.Duration(n)*time.Second > maxWait {
		return 0, cutover.BadRequest(cutover.FieldError{Field: "wait", Message: "must be between 0s and 60s, such as 30s"})
	}
	return time.Duration(n) * time.Second, nil
}

func eventToAPI(e *cutover.Event) api.Event {
	a := api.Event{Id: e.ID, Sequence: e.Seq, At: e.At, Actor: e.Actor, Action: api.EventAction(e.Action),
		Changes: make(map[string]api.Change, len(e.Changes))}
	a.Resource.Id, a.Resource.Type = e.ResourceID, api.ResourceType(e.ResourceType)
	if e.MigrationID != nil {
		a.MigrationId = nullable.NewNullableWithValue(*e.MigrationID)
	} else {
		a.MigrationId.SetNull()
	}
	for k, c := range e.Changes {
		a.Changes[k] = api.Change{From: changeValue(c.From), To: changeValue(c.To)}
	}
	return a
}

// changeValue is a change's value as the API carries it: nil encodes as null.
func changeValue(v any) api.ChangeValue { return v }
