package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/jsonappend"
	"github.com/google/uuid"
)

// Tasks are what integrations read most, a page of fifty at a time. encoding/json spends most
// of a page's encoding in reflection and in the MarshalJSON of the ten nullable fields of
// api.Task (each a map), so task responses are written by hand here: the same bytes, field for
// field, that encoding/json writes for taskToAPI(t) (TestTaskJSON compares the two over tasks
// with every field set and unset, and every response is checked against the spec in tests).
// Other resources keep the generated encoders.

// jsonBuf is a pooled response buffer.
type jsonBuf struct{ b []byte }

var jsonBufs = sync.Pool{New: func() any { return &jsonBuf{b: make([]byte, 0, 4096)} }}

func getJSONBuf() *jsonBuf { return jsonBufs.Get().(*jsonBuf) }

func putJSONBuf(j *jsonBuf) {
	if cap(j.b) > 1<<20 {
		return // a rare huge page: let it go rather than pin it
	}
	j.b = j.b[:0]
	jsonBufs.Put(j)
}

// contentTypeJSON is shared and read-only, like securityHeaders' values.
var contentTypeJSON = []string{"application/json"}

// writeJSON writes a pooled JSON body with its status and headers and returns the buffer.
func writeJSON(w http.ResponseWriter, status int, body *jsonBuf, headers ...string) error {
	defer putJSONBuf(body)
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	// The length is known: no chunked encoding.
	h["Content-Length"] = []string{strconv.Itoa(len(body.b))}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			h[headers[i]] = []string{headers[i+1]}
		}
	}
	w.WriteHeader(status)
	_, err := w.Write(body.b)
	return err
}

// taskJSON is a task response: the task encoded by appendTask.
type taskJSON struct {
	body     *jsonBuf
	status   int
	etag     string
	location string
}

func newTaskJSON(t *cutover.Task, warnings *[]api.Warning, status int) taskJSON {
	body := getJSONBuf()
	body.b = append(appendTask(body.b, t, warnings), '\n')
	return taskJSON{body: body, status: status, etag: etag(t.Version)}
}

func (r taskJSON) write(w http.ResponseWriter) error {
	return writeJSON(w, r.status, r.body, "Etag", r.etag, "Location", r.location)
}

// VisitGetTaskResponse implements api.GetTaskResponseObject.
func (r taskJSON) VisitGetTaskResponse(w http.ResponseWriter) error { return r.write(w) }

// VisitUpdateTaskResponse implements api.UpdateTaskResponseObject.
func (r taskJSON) VisitUpdateTaskResponse(w http.ResponseWriter) error { return r.write(w) }

// VisitCreateTaskResponse implements api.CreateTaskResponseObject.
func (r taskJSON) VisitCreateTaskResponse(w http.ResponseWriter) error { return r.write(w) }

// taskListJSON is a page of tasks.
type taskListJSON struct {
	body *jsonBuf
	link string
}

func newTaskListJSON(tasks []cutover.Task, next string, link *string) taskListJSON {
	body := getJSONBuf()
	b := append(body.b, `{"items":[`...)
	for i := range tasks {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTask(b, &tasks[i], nil)
	}
	b = append(b, `],"next_cursor":`...)
	if next == "" {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, next)
	}
	body.b = append(b, "}\n"...)
	return taskListJSON{body: body, link: deref(link)}
}

// VisitListTasksResponse implements api.ListTasksResponseObject.
func (r taskListJSON) VisitListTasksResponse(w http.ResponseWriter) error {
	return writeJSON(w, http.StatusOK, r.body, "Link", r.link)
}

// appendTask appends the JSON of taskToAPI(t) (with warnings), keys in api.Task's order.
func appendTask(b []byte, t *cutover.Task, warnings *[]api.Warning) []byte {
	b = append(b, `{"completed_at":`...)
	b = appendTimePtr(b, t.CompletedAt)
	b = append(b, `,"completed_by":`...)
	b = appendStringPtr(b, t.CompletedBy)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, t.CreatedAt)
	b = append(b, `,"due_date":`...)
	if t.DueDate != nil {
		b = append(b, '"')
		b = t.DueDate.AppendFormat(b, time.DateOnly)
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"due_date_source":`...)
	b = jsonappend.String(b, t.DueDateSource)
	b = append(b, `,"due_rule":`...)
	b = appendStringPtr(b, t.DueRule)
	b = append(b, `,"gdpr_warning":`...)
	b = strconv.AppendBool(b, t.GDPRWarning)
	b = append(b, `,"group":`...)
	b = jsonappend.String(b, t.Group)
	b = append(b, `,"guidance":`...)
	b = jsonappend.String(b, t.Guidance)
	b = append(b, `,"id":`...)
	b = appendUUID(b, t.ID)
	if t.Key != nil {
		b = append(b, `,"key":`...)
		b = jsonappend.String(b, *t.Key)
	}
	b = append(b, `,"local":`...)
	b = strconv.AppendBool(b, t.Local)
	b = append(b, `,"migration_id":`...)
	b = appendUUID(b, t.MigrationID)
	b = append(b, `,"not_applicable_reason":`...)
	b = appendStringPtr(b, t.NotApplicableReason)
	b = append(b, `,"notes":`...)
	b = appendStringPtr(b, t.Notes)
	b = append(b, `,"owner_role":`...)
	b = jsonappend.String(b, t.OwnerRole)
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(t.Position), 10)
	b = append(b, `,"reminders":[`...)
	for i := range t.Reminders {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendReminder(b, &t.Reminders[i])
	}
	b = append(b, `],"stage":`...)
	b = jsonappend.String(b, t.Stage)
	b = append(b, `,"status":`...)
	b = jsonappend.String(b, string(t.Status))
	b = append(b, `,"timing":`...)
	b = appendStringPtr(b, t.Timing)
	b = append(b, `,"title":`...)
	b = jsonappend.String(b, t.Title)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, t.UpdatedAt)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(t.Version), 10)
	if warnings != nil {
		b = append(b, `,"warnings":`...)
		w, _ := json.Marshal(*warnings) // a slice of plain string pairs always encodes
		b = append(b, w...)
	}
	return append(b, '}')
}

// appendReminder appends the JSON of one reminder as remindersToAPI makes it.
func appendReminder(b []byte, r *cutover.Reminder) []byte {
	b = append(b, `{"at":`...)
	b = appendTimePtr(b, r.At)
	b = append(b, `,"fire_at":`...)
	b = appendTimePtr(b, r.FireAt)
	b = append(b, `,"id":`...)
	b = appendUUID(b, r.ID)
	b = append(b, `,"offset_days":`...)
	if r.OffsetDays != nil {
		b = strconv.AppendInt(b, int64(*r.OffsetDays), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"time":`...)
	if r.Relative() {
		b = jsonappend.String(b, r.Time)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

func appendUUID(b []byte, id uuid.UUID) []byte {
	var s [36]byte
	hexOf := "0123456789abcdef"
	j := 0
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexOf[c>>4], hexOf[c&0xf]
		j += 2
	}
	b = append(b, '"')
	b = append(b, s[:]...)
	return append(b, '"')
}

// appendTime writes a timestamp as time.Time's MarshalJSON does (RFC 3339 with nanoseconds).
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendTime(b, *t)
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return jsonappend.String(b, *s)
}

// eventListJSON is a page of events (the feed, or a migration's history), their changes passed
// on as the store keeps them.
type eventListJSON struct {
	body *jsonBuf
	link string
}

// newEventListJSON encodes a page as encoding/json encodes api.EventList (nullable next cursor,
// for a migration's history) or api.EventFeedPage (a cursor always, for the feed).
func newEventListJSON(evs []cutover.Event, next string, alwaysNext bool, link *string) (eventListJSON, error) {
	body := getJSONBuf()
	b := append(body.b, `{"items":[`...)
	for i := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendEvent(b, &evs[i]); err != nil {
			putJSONBuf(body)
			return eventListJSON{}, err
		}
	}
	b = append(b, `],"next_cursor":`...)
	if next == "" && !alwaysNext {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, next)
	}
	body.b = append(b, "}\n"...)
	return eventListJSON{body: body, link: deref(link)}, nil
}

// VisitListEventsResponse implements api.ListEventsResponseObject.
func (r eventListJSON) VisitListEventsResponse(w http.ResponseWriter) error {
	return writeJSON(w, http.StatusOK, r.body, "Link", r.link)
}

// VisitListMigrationEventsResponse implements api.ListMigrationEventsResponseObject.
func (r eventListJSON) VisitListMigrationEventsResponse(w http.ResponseWriter) error {
	return writeJSON(w, http.StatusOK, r.body, "Link", r.link)
}

// appendEvent appends the JSON of eventToAPI(e), keys in api.Event's order. The stored changes
// are what encoding/json writes for the decoded map (sorted keys, the same escaping, and integers
// as integers), so they go in as they are; TestEventListJSON compares the two. An event with
// decoded changes only is encoded through the API type.
func appendEvent(b []byte, e *cutover.Event) ([]byte, error) {
	if e.RawChanges == nil {
		j, err := json.Marshal(eventToAPI(e))
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		return append(b, j...), nil
	}
	b = append(b, `{"action":`...)
	b = jsonappend.String(b, e.Action)
	b = append(b, `,"actor":`...)
	b = jsonappend.String(b, e.Actor)
	b = append(b, `,"at":`...)
	b = appendTime(b, e.At)
	b = append(b, `,"changes":`...)
	b = append(b, e.RawChanges...)
	b = append(b, `,"id":`...)
	b = appendUUID(b, e.ID)
	b = append(b, `,"migration_id":`...)
	if e.MigrationID != nil {
		b = appendUUID(b, *e.MigrationID)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"resource":{"id":`...)
	b = appendUUID(b, e.ResourceID)
	b = append(b, `,"type":`...)
	b = jsonappend.String(b, e.ResourceType)
	b = append(b, `},"sequence":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	return append(b, '}'), nil
}
