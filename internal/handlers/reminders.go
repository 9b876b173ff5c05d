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
	"github.com/cutoverhq/cutover/internal/workflow"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ListReminders answers the digest: per active migration, what is overdue, what falls due within
// the window and which reminders go off in it.
func (s *Server) ListReminders(ctx context.Context, req api.ListRemindersRequestObject) (api.ListRemindersResponseObject, error) {
	p := req.Params
	within := "7d"
	if p.DueWithin != nil {
		within = *p.DueWithin
	}
	days, err := strconv.Atoi(strings.TrimSuffix(within, "d"))
	if err != nil || !strings.HasSuffix(within, "d") || days < 1 || days > 90 {
		return nil, cutover.BadRequest(cutover.FieldError{Field: "due_within", Message: "must be 1d to 90d, such as 7d"})
	}
	now := s.now().UTC()
	today := cutover.Today(now)
	w := store.DigestWindow{Today: today, Until: today.AddDate(0, 0, days), Now: now,
		Horizon: now.Add(time.Duration(days) * 24 * time.Hour)}
	ds, next, err := s.store.ReminderDigest(ctx, callerFrom(ctx), w, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("reminder digest: %w", err)
	}
	items := make([]api.MigrationDigest, len(ds))
	for i := range ds {
		items[i] = migrationDigestToAPI(&ds[i], today)
	}
	return api.ListReminders200JSONResponse{
		Body: api.ReminderDigest{DueWithin: within, Today: openapi_types.Date{Time: today},
			DueUntil: openapi_types.Date{Time: w.Until}, RemindersUntil: w.Horizon, Items: items,
			NextCursor: nullableString(next)},
		Headers: api.ListReminders200ResponseHeaders{Link: nextLink(ctx, next)},
	}, nil
}

func migrationDigestToAPI(d *store.MigrationDigest, today cutover.Date) api.MigrationDigest {
	m := &d.Migration
	out := api.MigrationDigest{
		Migration: api.DigestMigration{Id: m.ID, Practice: api.Practice{OdsCode: m.ODSCode, Name: m.PracticeName},
			Status: api.MigrationStatus(m.Status), FdpDate: dateOf(m.Dates, "fdp_date"), GoLiveDate: dateOf(m.Dates, "go_live_date")},
		Overdue: []api.DigestTask{}, DueSoon: []api.DigestTask{}, Reminders: make([]api.DigestReminder, len(d.Reminders)),
	}
	for i := range d.Tasks {
		t := &d.Tasks[i]
		if t.Overdue(today) {
			out.Overdue = append(out.Overdue, digestTaskToAPI(t))
		} else {
			out.DueSoon = append(out.DueSoon, digestTaskToAPI(t))
		}
	}
	for i, r := range d.Reminders {
		out.Reminders[i] = api.DigestReminder{Id: r.Reminder.ID, FireAt: deref(r.Reminder.FireAt), Task: digestTaskToAPI(&r.Task)}
	}
	return out
}

func digestTaskToAPI(t *cutover.Task) api.DigestTask {
	out := api.DigestTask{Id: t.ID, Stage: t.Stage, Title: t.Title, OwnerRole: api.Role(t.OwnerRole), Status: api.TaskStatus(t.Status)}
	if t.DueDate != nil {
		out.DueDate.Set(openapi_types.Date{Time: *t.DueDate})
	} else {
		out.DueDate.SetNull()
	}
	return out
}

func dateOf(dates map[string]cutover.Date, field string) nullable.Nullable[openapi_types.Date] {
	if d, ok := dates[field]; ok {
		return nullable.NewNullableWithValue(openapi_types.Date{Time: d})
	}
	return nullable.NewNullNullable[openapi_types.Date]()
}

func remindersToAPI(rs []cutover.Reminder) []api.TaskReminder {
	out := make([]api.TaskReminder, len(rs))
	for i := range rs {
		r := &rs[i]
		a := api.TaskReminder{Id: r.ID, At: nullableOf(r.At), OffsetDays: nullableOf(r.OffsetDays), FireAt: nullableOf(r.FireAt)}
		if r.Relative() {
			a.Time.Set(r.Time)
		} else {
			a.Time.SetNull()
		}
		out[i] = a
	}
	return out
}

// remindersFromAPI checks the reminders of a request body.
func remindersFromAPI(in []api.ReminderInput) ([]cutover.Reminder, error) {
	rs := make([]workflow.ReminderInput, len(in))
	for i, r := range in {
		rs[i] = workflow.ReminderInput{At: r.At, OffsetDays: r.OffsetDays, Time: r.Time}
	}
	return workflow.Reminders("reminders", rs)
}
