package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/reminders"
	"github.com/jackc/pgx/v5"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

type reminder struct {
	ID         string  `json:"id"`
	At         *string `json:"at"`
	OffsetDays *int    `json:"offset_days"`
	Time       *string `json:"time"`
	FireAt     *string `json:"fire_at"`
}

// rtask is a task with its reminders.
type rtask struct {
	task
	Reminders []reminder `json:"reminders"`
}

func (a *testApp) rtask(t *testing.T, tk task) (rtask, string) {
	t.Helper()
	var out rtask
	res := must(t, a.get(t, tk.url()), http.StatusOK)
	res.decode(t, &out)
	return out, etagOf(res)
}

// actionEvents lists a migration's events with the given action, oldest first.
func (a *testApp) actionEvents(t *testing.T, migrationID, action string) []event {
	t.Helper()
	var out []event
	path := "/v1/migrations/" + migrationID + "/events?limit=200&action=" + action
	for p := path; ; {
		var pg page[event]
		must(t, a.get(t, p), http.StatusOK).decode(t, &pg)
		out = append(out, pg.Items...)
		if pg.NextCursor == nil {
			return out
		}
		p = path + "&cursor=" + *pg.NextCursor
	}
}

func (a *testApp) scheduler(c *clock) *reminders.Scheduler {
	return reminders.New(a.store, reminders.Options{Now: c.now})
}

func tick(t *testing.T, s *reminders.Scheduler, now time.Time) reminders.Result {
	t.Helper()
	res, err := s.Tick(context.Background(), now)
	if err != nil {
		t.Fatalf("tick at %s: %v", now, err)
	}
	return res
}

func eventsFor(evs []event, resourceID string) []event {
	var out []event
	for _, e := range evs {
		if e.Resource.ID == resourceID {
			out = append(out, e)
		}
	}
	return out
}

func fireTimes(rs []reminder) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = deref(r.FireAt)
	}
	return out
}

func TestTaskReminderSettings(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil) // go live 2027-03-12, in winter
	sample, _ := app.rtask(t, app.seedTask(t, m.ID, "random-sample-reminder"))
	// The seed's own reminder: 09:00 on go-live day.
	if len(sample.Reminders) != 1 || deref(sample.Reminders[0].OffsetDays) != 0 || deref(sample.Reminders[0].Time) != "09:00" ||
		sample.Reminders[0].At != nil || deref(sample.Reminders[0].FireAt) != "2027-03-12T09:00:00Z" {
		t.Fatalf("template reminder: %s", fmtJSON(sample.Reminders))
	}
	if other := app.seedTask(t, m.ID, "archive-leavers"); len(must2(app.rtask(t, other)).Reminders) != 0 {
		t.Fatal("a task without template reminders has some")
	}

	// PATCH replaces the list; the reminder sent back unchanged keeps its id.
	var got rtask
	must(t, app.patch(t, sample.url(), map[string]any{"reminders": []any{
		map[string]any{"offset_days": 0},
		map[string]any{"offset_days": -2, "time": "17:00"},
		map[string]any{"at": "2027-03-01T10:00:00+01:00"},
	}}, ""), http.StatusOK).decode(t, &got)
	if got.Reminders[0].ID != sample.Reminders[0].ID || got.Version != sample.Version+1 {
		t.Errorf("kept reminder %s (was %s), version %d", got.Reminders[0].ID, sample.Reminders[0].ID, got.Version)
	}
	if ft := fireTimes(got.Reminders); !slices.Equal(ft, []string{"2027-03-12T09:00:00Z", "2027-03-10T17:00:00Z", "2027-03-01T09:00:00Z"}) {
		t.Errorf("fire times %v", ft)
	}
	if r := got.Reminders[2]; deref(r.At) != "2027-03-01T09:00:00Z" || r.OffsetDays != nil || r.Time != nil {
		t.Errorf("absolute reminder %s", fmtJSON(r))
	}
	// The change is in the task's audit trail, as settings.
	upd := eventsFor(app.actionEvents(t, m.ID, "task.updated"), sample.ID)
	if len(upd) != 1 || fmtJSON(upd[0].Changes["reminders"]) != `{"from":["0d 09:00"],"to":["0d 09:00","-2d 17:00","at 2027-03-01T09:00:00Z"]}` {
		t.Fatalf("task.updated: %s", fmtJSON(upd))
	}

	for _, tc := range []struct {
		name   string
		body   any
		status int
		kind   string
		fields []string
	}{
		{"both forms", []any{map[string]any{"offset_days": 0}, map[string]any{"at": "2027-03-01T10:00:00Z", "offset_days": 1}}, 422, "invalid-reminder", []string{"reminders[1]"}},
		{"time without offset", []any{map[string]any{"time": "09:00"}}, 422, "invalid-reminder", []string{"reminders[0]"}},
		{"empty reminder", []any{map[string]any{}}, 400, "invalid-request", nil},
		{"offset out of range", []any{map[string]any{"offset_days": 400}}, 400, "invalid-request", nil},
		{"bad time", []any{map[string]any{"offset_days": 0, "time": "9:00"}}, 400, "invalid-request", nil},
		{"unknown field", []any{map[string]any{"offset_days": 0, "fire_at": "2027-03-01T10:00:00Z"}}, 400, "invalid-request", nil},
		{"eleven", slices.Repeat([]any{map[string]any{"offset_days": 0}}, 11), 400, "invalid-request", nil},
		{"not a list", map[string]any{"offset_days": 0}, 400, "invalid-request", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.patch(t, sample.url(), map[string]any{"reminders": tc.body}, "")
			if res.Status != tc.status || res.kind(t) != tc.kind {
				t.Fatalf("got %d %s, want %d %s: %s", res.Status, res.kind(t), tc.status, tc.kind, res.Body)
			}
			if tc.fields != nil && !slices.Equal(res.fields(t), tc.fields) {
				t.Fatalf("fields %v, want %v", res.fields(t), tc.fields)
			}
			if tc.fields == nil && !strings.Contains(strings.Join(res.fields(t), " "), "reminders") {
				t.Fatalf("the problem does not name reminders: %s", res.Body)
			}
		})
	}

	// null and [] both clear; clearing what is already clear changes nothing.
	for _, body := range []string{`{"reminders":null}`, `{"reminders":[]}`} {
		before, tag := app.rtask(t, sample.task)
		res := must(t, app.patch(t, sample.url(), body, ""), http.StatusOK)
		res.decode(t, &got)
		wantVersion := before.Version + 1
		if len(before.Reminders) == 0 {
			wantVersion = before.Version
		}
		if len(got.Reminders) != 0 || got.Version != wantVersion || (wantVersion == before.Version && etagOf(res) != tag) {
			t.Errorf("%s: %d reminders, version %d (was %d)", body, len(got.Reminders), got.Version, before.Version)
		}
	}

	// A custom task takes reminders on create; a relative one waits for a due date.
	var custom rtask
	res := must(t, app.post(t, "/v1/migrations/"+m.ID+"/tasks", map[string]any{"stage": fdpStage, "title": "Ring the pathology lab",
		"reminders": []any{map[string]any{"offset_days": -1, "time": "08:30"}}}), http.StatusCreated)
	res.decode(t, &custom)
	if len(custom.Reminders) != 1 || custom.Reminders[0].FireAt != nil {
		t.Fatalf("relative reminder without a due date: %s", fmtJSON(custom.Reminders))
	}
	must(t, app.patch(t, custom.url(), map[string]any{"due_date": "2027-07-01"}, ""), http.StatusOK).decode(t, &custom)
	// 08:30 on 30 June in British Summer Time is 07:30Z.
	if deref(custom.Reminders[0].FireAt) != "2027-06-30T07:30:00Z" {
		t.Fatalf("after setting the due date: %s", fmtJSON(custom.Reminders))
	}
	if k := app.post(t, "/v1/migrations/"+m.ID+"/tasks", map[string]any{"stage": fdpStage, "title": "X",
		"reminders": []any{map[string]any{"at": "2027-03-01T10:00:00Z", "time": "10:00"}}}).kind(t); k != "invalid-reminder" {
		t.Errorf("create with both forms: %s", k)
	}
}

func must2[T any](v T, _ string) T { return v }

func TestReminderFiresOnce(t *testing.T) {
	c := newClock(at("2027-03-11T12:00:00Z"))
	app := newTestApp(t, withClock(c.now))
	sched := app.scheduler(c)
	m := app.createMigration(t, nil)
	sample, tag := app.rtask(t, app.seedTask(t, m.ID, "random-sample-reminder"))

	if r := tick(t, sched, c.set("2027-03-12T08:59:59Z")); r.Reminders != 0 {
		t.Fatalf("a second early: %+v", r)
	}
	if r := tick(t, sched, c.set("2027-03-12T09:00:00Z")); r.Reminders != 1 {
		t.Fatalf("on time: %+v", r)
	}
	for _, s := range []string{"2027-03-12T09:00:30Z", "2027-03-12T10:00:00Z", "2027-03-20T10:00:00Z"} {
		if r := tick(t, sched, c.set(s)); r.Reminders != 0 {
			t.Fatalf("fired again at %s: %+v", s, r)
		}
	}
	evs := app.actionEvents(t, m.ID, "task.reminder")
	if len(evs) != 1 {
		t.Fatalf("%d task.reminder events", len(evs))
	}
	e := evs[0]
	if e.Actor != "cutover" || e.Resource.ID != sample.ID || e.Resource.Type != "task" || deref(e.MigrationID) != m.ID ||
		fmtJSON(e.Changes) != fmt.Sprintf(`{"due_date":{"from":null,"to":"2027-03-12"},"fire_at":{"from":null,"to":"2027-03-12T09:00:00Z"},"reminder":{"from":null,"to":"0d 09:00"},"reminder_id":{"from":null,"to":%q}}`, sample.Reminders[0].ID) {
		t.Fatalf("event %s", fmtJSON(e))
	}
	// The feed integrations follow carries it too.
	var feed page[event]
	must(t, app.get(t, "/v1/events?action=task.reminder"), http.StatusOK).decode(t, &feed)
	if len(feed.Items) != 1 || feed.Items[0].ID != e.ID {
		t.Fatalf("feed: %s", fmtJSON(feed.Items))
	}
	// Firing does not change the task: same version, same ETag, still answers 304.
	after, afterTag := app.rtask(t, sample.task)
	if after.Version != sample.Version || afterTag != tag {
		t.Fatalf("version %d -> %d, ETag %s -> %s", sample.Version, after.Version, tag, afterTag)
	}
	must(t, app.do(t, req{method: http.MethodGet, path: sample.url(), header: map[string]string{"If-None-Match": tag}}), http.StatusNotModified)
}

func TestMovingGoLiveMovesTheReminderAndCompletingCancelsIt(t *testing.T) {
	c := newClock(at("2027-03-01T12:00:00Z"))
	app := newTestApp(t, withClock(c.now))
	sched := app.scheduler(c)
	m := app.createMigration(t, nil)
	sample, _ := app.rtask(t, app.seedTask(t, m.ID, "random-sample-reminder"))
	if ft := fireTimes(sample.Reminders); !slices.Equal(ft, []string{"2027-03-12T09:00:00Z"}) {
		t.Fatalf("before: %v", ft)
	}
	// Go live moves into British Summer Time: 09:00 on the day is now 08:00Z.
	must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"go_live_date": "2027-04-02"}, ""), http.StatusOK)
	moved, _ := app.rtask(t, sample.task)
	if ft := fireTimes(moved.Reminders); !slices.Equal(ft, []string{"2027-04-02T08:00:00Z"}) || moved.Reminders[0].ID != sample.Reminders[0].ID {
		t.Fatalf("after moving go live: %s", fmtJSON(moved.Reminders))
	}
	// Nothing at the old time.
	if r := tick(t, sched, c.set("2027-03-12T09:30:00Z")); r.Reminders != 0 {
		t.Fatalf("fired at the old time: %+v", r)
	}
	// Completed before its time: the reminder does not go off.
	must(t, app.patch(t, sample.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	if r := tick(t, sched, c.set("2027-04-02T08:00:00Z")); r.Reminders != 0 || r.Skipped == 0 {
		t.Fatalf("fired for a completed task: %+v", r)
	}
	// Reopened after its time, it stays spent: a reminder for a moment that has passed is noise.
	must(t, app.patch(t, sample.url(), map[string]any{"status": "todo"}, ""), http.StatusOK)
	if r := tick(t, sched, c.set("2027-04-02T09:00:00Z")); r.Reminders != 0 {
		t.Fatalf("fired after reopening: %+v", r)
	}
	// A new go-live date arms it again, once.
	must(t, app.patch(t, "/v1/migrations/"+m.ID, map[string]any{"go_live_date": "2027-04-05"}, ""), http.StatusOK)
	for _, s := range []string{"2027-04-05T08:00:00Z", "2027-04-05T12:00:00Z"} {
		tick(t, sched, c.set(s))
	}
	evs := app.actionEvents(t, m.ID, "task.reminder")
	if len(evs) != 1 || evs[0].Changes["fire_at"].To != "2027-04-05T08:00:00Z" {
		t.Fatalf("task.reminder events: %s", fmtJSON(evs))
	}
}

func TestOverdueOncePerTaskAndDueDate(t *testing.T) {
	c := newClock(at("2027-03-09T12:00:00Z"))
	cfg := appConfig{now: c.now}
	app := openTestApp(t, testDatabaseURL(t), cfg)
	m := app.createMigration(t, nil)
	base := "/v1/migrations/" + m.ID + "/tasks"
	var custom, summer, done task
	must(t, app.post(t, base, map[string]any{"stage": fdpStage, "title": "Print the cutover rota", "due_date": "2027-03-10"}), http.StatusCreated).decode(t, &custom)
	must(t, app.post(t, base, map[string]any{"stage": fdpStage, "title": "Summer check", "due_date": "2027-06-15"}), http.StatusCreated).decode(t, &summer)
	must(t, app.post(t, base, map[string]any{"stage": fdpStage, "title": "Done in time", "due_date": "2027-03-10"}), http.StatusCreated).decode(t, &done)
	must(t, app.patch(t, done.url(), map[string]any{"status": "done"}, ""), http.StatusOK)

	// checkOnce: every task the API calls overdue has had exactly one task.overdue event.
	checkOnce := func(when string) []event {
		t.Helper()
		evs := app.actionEvents(t, m.ID, "task.overdue")
		overdue := app.tasks(t, m.ID, "overdue=true")
		if len(overdue) == 0 {
			t.Fatalf("%s: nothing overdue", when)
		}
		for _, tk := range overdue {
			if n := len(eventsFor(evs, tk.ID)); n != 1 {
				t.Errorf("%s: task %q has %d task.overdue events", when, tk.Title, n)
			}
		}
		if len(evs) != len(overdue) {
			t.Errorf("%s: %d events for %d overdue tasks", when, len(evs), len(overdue))
		}
		return evs
	}
	sched := app.scheduler(c)
	tick(t, sched, c.now())
	tick(t, sched, c.now())
	checkOnce("9 March")
	if n := len(eventsFor(app.actionEvents(t, m.ID, "task.overdue"), custom.ID)); n != 0 {
		t.Fatalf("a task due tomorrow is overdue: %d", n)
	}
	// 23:30 GMT on the 10th is still the 10th in London; half past midnight on the 11th is not.
	tick(t, sched, c.set("2027-03-10T23:30:00Z"))
	if n := len(eventsFor(app.actionEvents(t, m.ID, "task.overdue"), custom.ID)); n != 0 {
		t.Fatal("overdue on its due day")
	}
	tick(t, sched, c.set("2027-03-11T00:30:00Z"))
	evs := checkOnce("11 March")
	mine := eventsFor(evs, custom.ID)
	if len(mine) != 1 || fmtJSON(mine[0].Changes) != `{"due_date":{"from":"2027-03-10","to":"2027-03-10"},"overdue":{"from":false,"to":true}}` || mine[0].Actor != "cutover" {
		t.Fatalf("event %s", fmtJSON(mine))
	}
	if n := len(eventsFor(evs, done.ID)); n != 0 {
		t.Fatal("a done task is overdue")
	}
	before, tag := app.rtask(t, custom)
	if before.Version != 1 {
		t.Fatalf("overdue changed the task's version to %d", before.Version)
	}

	// A restart: the same database, a new store and scheduler. Nothing fires twice.
	app.store.Close()
	app = openTestApp(t, app.dbURL, cfg)
	sched = app.scheduler(c)
	if r := tick(t, sched, c.set("2027-03-11T09:00:00Z")); r.Overdue != 0 {
		t.Fatalf("after a restart: %+v", r)
	}
	checkOnce("after restart")
	if _, tag2 := app.rtask(t, custom); tag2 != tag {
		t.Fatal("the ETag changed")
	}

	// Moving the due date allows one more, for the new date, once it passes.
	must(t, app.patch(t, custom.url(), map[string]any{"due_date": "2027-03-12"}, ""), http.StatusOK)
	tick(t, sched, c.set("2027-03-12T18:00:00Z"))
	if n := len(eventsFor(app.actionEvents(t, m.ID, "task.overdue"), custom.ID)); n != 1 {
		t.Fatalf("%d events before the new date passed", n)
	}
	tick(t, sched, c.set("2027-03-13T10:00:00Z"))
	tick(t, sched, c.set("2027-03-14T10:00:00Z"))
	mine = eventsFor(app.actionEvents(t, m.ID, "task.overdue"), custom.ID)
	if len(mine) != 2 || mine[1].Changes["due_date"].To != "2027-03-12" {
		t.Fatalf("after moving the due date: %s", fmtJSON(mine))
	}
	// In summer the day ends at 23:00Z: the task due 15 June is overdue from 23:00Z that day.
	tick(t, sched, c.set("2027-06-15T22:59:00Z"))
	if n := len(eventsFor(app.actionEvents(t, m.ID, "task.overdue"), summer.ID)); n != 0 {
		t.Fatal("overdue before midnight in London")
	}
	tick(t, sched, c.set("2027-06-15T23:00:00Z"))
	if n := len(eventsFor(app.actionEvents(t, m.ID, "task.overdue"), summer.ID)); n != 1 {
		t.Fatalf("%d events at midnight in London", n)
	}
	// A cancelled migration's open tasks are passed over.
	m2 := app.createMigration(t, nil)
	must(t, app.patch(t, "/v1/migrations/"+m2.ID, map[string]any{"status": "cancelled"}, ""), http.StatusOK)
	if r := tick(t, sched, c.set("2027-06-16T10:00:00Z")); r.Overdue != 0 || r.Skipped == 0 {
		t.Fatalf("a cancelled migration: %+v", r)
	}
	if n := len(app.actionEvents(t, m2.ID, "task.overdue")); n != 0 {
		t.Fatalf("%d events for a cancelled migration", n)
	}
}

// replicaURLs are the databases the replica tests run on: a SQLite file that two stores open, and
// a fresh PostgreSQL database when CUTOVER_TEST_POSTGRES_URL names a server.
func replicaURLs(t *testing.T) map[string]string {
	urls := map[string]string{"sqlite": filepath.Join(t.TempDir(), "cutover.db")}
	admin := os.Getenv("CUTOVER_TEST_POSTGRES_URL")
	if admin == "" {
		t.Log("CUTOVER_TEST_POSTGRES_URL is not set: the PostgreSQL replicas are not tested")
		return urls
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", admin, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("cutover_reminders_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	// Registered before the stores open, so it runs after they close.
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err == nil {
			defer c.Close(ctx)
			if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Logf("drop database %s: %v", name, err)
			}
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("CUTOVER_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	urls["postgres"] = u.String()
	return urls
}

// Two replicas on one database, each with its own scheduler, ticking at the same time: every
// overdue task and every due reminder gives exactly one event.
func TestSchedulersOnTwoReplicasFireOnce(t *testing.T) {
	for name, dbURL := range replicaURLs(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock(at("2027-03-01T12:00:00Z"))
			cfg := appConfig{now: c.now}
			one := openTestApp(t, dbURL, cfg)
			two := openTestApp(t, dbURL, cfg)
			var ms []migration
			for i := range 3 {
				ms = append(ms, one.createMigration(t, newMigration(fmt.Sprintf("A8100%d", i))))
			}
			// Every migration's random-sample reminder is due, and every task up to go live overdue.
			now := c.set("2027-03-13T12:00:00Z")
			scheds := []*reminders.Scheduler{one.scheduler(c), two.scheduler(c)}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Go(func() {
					if _, err := scheds[i%2].Tick(context.Background(), now); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for _, m := range ms {
				overdue := one.tasks(t, m.ID, "overdue=true")
				evs := two.actionEvents(t, m.ID, "task.overdue")
				if len(evs) != len(overdue) || len(overdue) == 0 {
					t.Errorf("%s: %d task.overdue events for %d overdue tasks", m.ID, len(evs), len(overdue))
				}
				seen := map[string]int{}
				for _, e := range evs {
					seen[e.Resource.ID]++
				}
				for id, n := range seen {
					if n != 1 {
						t.Errorf("task %s: %d task.overdue events", id, n)
					}
				}
				if n := len(one.actionEvents(t, m.ID, "task.reminder")); n != 1 {
					t.Errorf("%s: %d task.reminder events", m.ID, n)
				}
			}
		})
	}
}

type digest struct {
	DueWithin      string `json:"due_within"`
	Today          string `json:"today"`
	DueUntil       string `json:"due_until"`
	RemindersUntil string `json:"reminders_until"`
	Items          []struct {
		Migration struct {
			ID       string `json:"id"`
			Practice struct {
				ODSCode string `json:"ods_code"`
			} `json:"practice"`
			Status     string  `json:"status"`
			FDPDate    *string `json:"fdp_date"`
			GoLiveDate *string `json:"go_live_date"`
		} `json:"migration"`
		Overdue   []digestTask `json:"overdue"`
		DueSoon   []digestTask `json:"due_soon"`
		Reminders []struct {
			ID     string     `json:"id"`
			FireAt string     `json:"fire_at"`
			Task   digestTask `json:"task"`
		} `json:"reminders"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type digestTask struct {
	ID        string  `json:"id"`
	Stage     string  `json:"stage"`
	Title     string  `json:"title"`
	OwnerRole string  `json:"owner_role"`
	DueDate   *string `json:"due_date"`
	Status    string  `json:"status"`
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	slices.Sort(out)
	return out
}

func TestReminderDigest(t *testing.T) {
	c := newClock(at("2027-03-08T07:00:00Z")) // a Monday morning
	app := newTestApp(t, withClock(c.now))
	_, aToks := app.newOrg(t, "Org A")
	_, bToks := app.newOrg(t, "Org B")
	asA := func(method, path string, body any) response {
		return app.do(t, req{method: method, path: path, body: body, token: aToks["editor"].Token})
	}
	var soon, later, cancelled, other migration
	must(t, asA("POST", "/v1/migrations", newMigration("A81001")), http.StatusCreated).decode(t, &soon)
	lateBody := newMigration("A81002")
	lateBody["fdp_date"], lateBody["final_extract_date"], lateBody["go_live_date"] = "2028-09-10", "2028-09-10", "2028-09-12"
	must(t, asA("POST", "/v1/migrations", lateBody), http.StatusCreated).decode(t, &later)
	must(t, asA("POST", "/v1/migrations", newMigration("A81003")), http.StatusCreated).decode(t, &cancelled)
	must(t, asA("PATCH", "/v1/migrations/"+cancelled.ID, map[string]any{"status": "cancelled"}), http.StatusOK)
	must(t, app.do(t, req{method: "POST", path: "/v1/migrations", body: newMigration("B81001"), token: bToks["editor"].Token}), http.StatusCreated).decode(t, &other)
	// A reminder in the window on a task of the later migration brings it into the digest.
	laterTask := app.tasks(t, later.ID, "stage="+fdpStage)[0]
	must(t, asA("PATCH", laterTask.url(), map[string]any{"reminders": []any{map[string]any{"at": "2027-03-10T10:00:00Z"}}}), http.StatusOK)

	read := func(token, query string) digest {
		t.Helper()
		var d digest
		res := app.do(t, req{method: "GET", path: "/v1/reminders" + query, token: token})
		if res.Status != 200 {
			t.Log(app.logs.String())
		}
		must(t, res, http.StatusOK).decode(t, &d)
		return d
	}
	d := read(aToks["viewer"].Token, "")
	if d.DueWithin != "7d" || d.Today != "2027-03-08" || d.DueUntil != "2027-03-15" || d.RemindersUntil != "2027-03-15T07:00:00Z" {
		t.Fatalf("window %+v", d)
	}
	var got []string
	for _, it := range d.Items {
		got = append(got, it.Migration.ID)
	}
	if !slices.Equal(got, []string{soon.ID, later.ID}) {
		t.Fatalf("migrations %v, want %v (the cancelled one and organisation B's left out)", got, []string{soon.ID, later.ID})
	}
	s := d.Items[0]
	if s.Migration.Practice.ODSCode != "A81001" || deref(s.Migration.FDPDate) != "2027-03-10" || deref(s.Migration.GoLiveDate) != "2027-03-12" || s.Migration.Status != "planned" {
		t.Errorf("migration %+v", s.Migration)
	}
	// Overdue: what the task list calls overdue. Due soon: open, due 8 to 15 March.
	wantOverdue := ids(app.tasks(t, soon.ID, "overdue=true"), func(x task) string { return x.ID })
	wantSoon := ids(app.tasks(t, soon.ID, "due_after=2027-03-08&due_before=2027-03-15"), func(x task) string { return x.ID })
	if len(wantOverdue) == 0 || len(wantSoon) == 0 {
		t.Fatal("the fixture has nothing overdue or due soon")
	}
	if g := ids(s.Overdue, func(x digestTask) string { return x.ID }); !slices.Equal(g, wantOverdue) {
		t.Errorf("overdue %v, want %v", g, wantOverdue)
	}
	if g := ids(s.DueSoon, func(x digestTask) string { return x.ID }); !slices.Equal(g, wantSoon) {
		t.Errorf("due soon %v, want %v", g, wantSoon)
	}
	if !slices.IsSortedFunc(s.Overdue, func(a, b digestTask) int { return strings.Compare(*a.DueDate, *b.DueDate) }) {
		t.Error("overdue tasks are not earliest first")
	}
	if len(s.Reminders) != 1 || s.Reminders[0].FireAt != "2027-03-12T09:00:00Z" || s.Reminders[0].Task.Title != "Schedule a go-live spot check of random patient records" ||
		s.Reminders[0].Task.OwnerRole != "practice_manager" || deref(s.Reminders[0].Task.DueDate) != "2027-03-12" {
		t.Errorf("reminders %s", fmtJSON(s.Reminders))
	}
	if l := d.Items[1]; len(l.Overdue) != 0 || len(l.DueSoon) != 0 || len(l.Reminders) != 1 || l.Reminders[0].Task.ID != laterTask.ID {
		t.Errorf("later migration %s", fmtJSON(l))
	}

	// A day's window: only what is due today or tomorrow; the go-live reminder is further off.
	d1 := read(aToks["viewer"].Token, "?due_within=1d")
	if len(d1.Items) != 1 || len(d1.Items[0].Reminders) != 0 || d1.Items[0].Migration.ID != soon.ID {
		t.Fatalf("1d: %s", fmtJSON(d1.Items))
	}
	for _, x := range d1.Items[0].DueSoon {
		if *x.DueDate > "2027-03-09" {
			t.Errorf("1d lists a task due %s", *x.DueDate)
		}
	}
	// Completing an overdue task takes it off.
	must(t, asA("PATCH", "/v1/migrations/"+soon.ID+"/tasks/"+s.Overdue[0].ID, map[string]any{"status": "done"}), http.StatusOK)
	if n := len(read(aToks["viewer"].Token, "").Items[0].Overdue); n != len(wantOverdue)-1 {
		t.Errorf("after completing one: %d overdue", n)
	}

	// Organisation B sees only its own; the operator's admin sees both, one migration a page.
	if db := read(bToks["viewer"].Token, ""); len(db.Items) != 1 || db.Items[0].Migration.ID != other.ID {
		t.Errorf("organisation B: %s", fmtJSON(db.Items))
	}
	var all []string
	path := "/v1/reminders?limit=1"
	for pages := 0; path != ""; pages++ {
		res := must(t, app.get(t, path), http.StatusOK)
		var pg digest
		res.decode(t, &pg)
		for _, it := range pg.Items {
			all = append(all, it.Migration.ID)
		}
		path = ""
		if pg.NextCursor != nil {
			if link := res.Header.Get("Link"); !strings.Contains(link, `rel="next"`) {
				t.Fatalf("no Link header: %q", link)
			}
			path = "/v1/reminders?limit=1&cursor=" + *pg.NextCursor
		}
		if pages > 5 {
			t.Fatal("too many pages")
		}
	}
	if want := []string{soon.ID, later.ID, other.ID}; !slices.Equal(all, want) {
		t.Errorf("operator pages %v, want %v", all, want)
	}

	for _, q := range []string{"?due_within=0d", "?due_within=91d", "?due_within=7", "?due_within=week", "?cursor=nonsense"} {
		res := app.get(t, "/v1/reminders"+q)
		if res.Status != http.StatusBadRequest || len(res.fields(t)) == 0 {
			t.Errorf("%s: %d %s", q, res.Status, res.Body)
		}
	}
}

// The scheduler works through a backlog (say, after downtime) in batches and fires each reminder
// once.
func TestSchedulerWorksThroughABacklog(t *testing.T) {
	c := newClock(at("2027-03-01T12:00:00Z"))
	app := newTestApp(t, withClock(c.now))
	m := app.createMigration(t, nil)
	rs := make([]any, 10)
	for i := range rs {
		rs[i] = map[string]any{"at": fmt.Sprintf("2027-03-02T09:%02d:00Z", i)}
	}
	for i := range 100 {
		must(t, app.post(t, "/v1/migrations/"+m.ID+"/tasks", map[string]any{"stage": fdpStage, "title": fmt.Sprintf("Task %d", i),
			"reminders": rs}), http.StatusCreated)
	}
	now := c.set("2027-03-03T12:00:00Z")
	start := time.Now()
	r := tick(t, app.scheduler(c), now)
	took := time.Since(start)
	// 1,000 custom reminders and the sample check's (2027-03-12) not yet due.
	if r.Reminders != 1000 {
		t.Fatalf("fired %+v", r)
	}
	t.Logf("one pass over 1,000 due reminders: %s", took)
	if r := tick(t, app.scheduler(c), now); r.Reminders != 0 {
		t.Fatalf("second pass: %+v", r)
	}
	var n int
	for cursor := ""; ; {
		var pg page[event]
		p := "/v1/events?limit=200&action=task.reminder"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		must(t, app.get(t, p), http.StatusOK).decode(t, &pg)
		if len(pg.Items) == 0 {
			break
		}
		n += len(pg.Items)
		cursor = *pg.NextCursor
	}
	if n != 1000 {
		t.Fatalf("%d task.reminder events", n)
	}
}
