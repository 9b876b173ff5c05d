package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/webhook"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

type webhookBody struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Enabled        bool     `json:"enabled"`
	DisabledReason *string  `json:"disabled_reason"`
	Version        int      `json:"version"`
	Secret         string   `json:"secret"`
}

type delivery struct {
	ID             string  `json:"id"`
	EventID        string  `json:"event_id"`
	Action         string  `json:"action"`
	Status         string  `json:"status"`
	Attempts       int     `json:"attempts"`
	LastStatusCode *int    `json:"last_status_code"`
	LastError      *string `json:"last_error"`
	NextAttemptAt  *string `json:"next_attempt_at"`
	DeliveredAt    *string `json:"delivered_at"`
}

// receiver is a webhook endpoint on loopback that answers with the statuses it is given, in
// turn (the last one from then on), and keeps what it received.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
	arrived  chan struct{}
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses, arrived: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := r.statuses[min(len(r.got), len(r.statuses)-1)]
		r.got = append(r.got, received{req.Header.Clone(), body})
		r.mu.Unlock()
		w.WriteHeader(status)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// await waits for the receiver's n-th request.
func (r *receiver) await(t *testing.T, n int) received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(r.requests()) < n {
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("the receiver got %d requests, want %d", len(r.requests()), n)
		}
	}
	return r.requests()[n-1]
}

// startWorker runs a webhook worker on the app's store, on the app's clock, polling often.
func (a *testApp) startWorker(t *testing.T, backoff func(int) time.Duration) *webhook.Worker {
	t.Helper()
	w, err := webhook.New(webhook.Config{Store: a.store, Payload: handlers.WebhookPayload, AllowPrivateNetworks: true,
		Logger: slog.New(slog.NewTextHandler(a.logs, nil)), Now: a.now, Backoff: backoff, PollInterval: 10 * time.Millisecond,
		Timeout: 2 * time.Second, OnAttempt: a.outcomes.add})
	if err != nil {
		t.Fatal(err)
	}
	w.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("stop worker: %v", err)
		}
	})
	return w
}

func (a *testApp) createWebhook(t *testing.T, url string, events ...string) webhookBody {
	t.Helper()
	var w webhookBody
	must(t, a.post(t, "/v1/webhooks", map[string]any{"url": url, "events": events, "description": "CSU tracker"}), http.StatusCreated).decode(t, &w)
	return w
}

func (a *testApp) deliveries(t *testing.T, webhookID string) []delivery {
	t.Helper()
	var pg page[delivery]
	must(t, a.get(t, "/v1/webhooks/"+webhookID+"/deliveries?limit=200"), http.StatusOK).decode(t, &pg)
	return pg.Items
}

// eventually polls cond until it holds, for a few seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A receiver that fails the first attempt gets the event on the retry, with the same webhook-id
// and a signature that verifies with the secret the create returned.
func TestWebhookDeliveredOnRetry(t *testing.T) {
	clk := newClock(time.Now().UTC())
	app := openTestApp(t, testDatabaseURL(t), appConfig{now: clk.now, allowPrivate: true})
	app.startWorker(t, webhook.DefaultBackoff)
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusNoContent)
	hook := app.createWebhook(t, rcv.URL+"/hooks", "task.updated")
	if len(hook.Secret) < len("whsec_")+32 || hook.Secret[:6] != "whsec_" {
		t.Fatalf("secret %q", hook.Secret)
	}
	m := app.createMigration(t, nil) // no task.updated: nothing to deliver yet
	tk := app.seedTask(t, m.ID, "agree-fdp-date")
	must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	committed := time.Now()
	first := rcv.await(t, 1)
	t.Logf("first attempt reached the receiver %s after the commit", time.Since(committed))
	var d []delivery
	eventually(t, "the failed attempt is recorded", func() bool {
		d = app.deliveries(t, hook.ID)
		return len(d) == 1 && d[0].Attempts == 1
	})
	if d[0].Status != "pending" || deref(d[0].LastStatusCode) != 500 || d[0].NextAttemptAt == nil || d[0].LastError == nil {
		t.Fatalf("after the failed attempt: %+v", d[0])
	}
	next, _ := time.Parse(time.RFC3339, *d[0].NextAttemptAt)
	if wait := next.Sub(clk.now()); wait <= 0 || wait > 10*time.Second {
		t.Fatalf("first retry in %s, want within 10 s", wait)
	}
	if len(rcv.requests()) != 1 {
		t.Fatal("retried before the backoff")
	}
	clk.advance(5 * time.Second)
	second := rcv.await(t, 2)
	eventually(t, "the delivery succeeds", func() bool {
		d = app.deliveries(t, hook.ID)
		return d[0].Status == "succeeded"
	})
	if got := app.outcomes.get(); got["retry"] != 1 || got["succeeded"] != 1 || got["failed"] != 0 {
		t.Errorf("attempt outcomes for the metrics: %v", got)
	}
	if d[0].Attempts != 2 || deref(d[0].LastStatusCode) != 204 || d[0].NextAttemptAt != nil || d[0].DeliveredAt == nil || d[0].LastError != nil {
		t.Fatalf("after the retry: %+v", d[0])
	}

	id := first.header.Get("webhook-id")
	if id == "" || id != second.header.Get("webhook-id") || id != d[0].ID {
		t.Fatalf("webhook-id %q then %q; delivery %s", id, second.header.Get("webhook-id"), d[0].ID)
	}
	if first.header.Get("webhook-timestamp") == second.header.Get("webhook-timestamp") {
		t.Error("the retry kept the first attempt's timestamp")
	}
	verifier, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []received{first, second} {
		if err := verifier.Verify(r.body, r.header); err != nil {
			t.Errorf("attempt %d: signature does not verify: %v", i+1, err)
		}
		if r.header.Get("Content-Type") != "application/json" {
			t.Errorf("attempt %d: content type %q", i+1, r.header.Get("Content-Type"))
		}
	}
	// A tampered body does not verify.
	if verifier.Verify(append([]byte(" "), second.body...), second.header) == nil {
		t.Error("a changed body verified")
	}

	// The body is the Standard Webhooks envelope around the event the feed shows.
	var payload struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      event  `json:"data"`
	}
	if err := json.Unmarshal(second.body, &payload); err != nil {
		t.Fatal(err)
	}
	var feed page[event]
	must(t, app.get(t, "/v1/events?action=task.updated"), http.StatusOK).decode(t, &feed)
	if payload.Type != "task.updated" || payload.Data.ID != d[0].EventID || len(feed.Items) != 1 || feed.Items[0].ID != payload.Data.ID ||
		payload.Data.Resource.ID != tk.ID || payload.Data.Changes["status"].To != "done" {
		t.Fatalf("payload %s", second.body)
	}
}

// A webhook whose deliveries fail for three days is disabled, with the reason and an event;
// enabling it again clears the reason.
func TestWebhookDisabledAfterDaysOfFailure(t *testing.T) {
	clk := newClock(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	app := openTestApp(t, testDatabaseURL(t), appConfig{now: clk.now, allowPrivate: true})
	app.startWorker(t, func(int) time.Duration { return time.Hour })
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	hook := app.createWebhook(t, rcv.URL, "migration.created")
	app.createMigration(t, nil)
	for n := 1; ; n++ {
		rcv.await(t, n)
		eventually(t, "the attempt is recorded", func() bool { return app.deliveries(t, hook.ID)[0].Attempts == n })
		var w webhookBody
		must(t, app.get(t, "/v1/webhooks/"+hook.ID), http.StatusOK).decode(t, &w)
		if !w.Enabled {
			elapsed := clk.now().Sub(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
			if elapsed < 72*time.Hour {
				t.Fatalf("disabled after %s", elapsed)
			}
			if w.DisabledReason == nil || w.Version != 2 {
				t.Fatalf("disabled without a reason: %+v", w)
			}
			t.Logf("disabled after %d attempts over %s: %s", n, elapsed, *w.DisabledReason)
			break
		}
		if n > 10 {
			t.Fatal("still enabled after 10 failed attempts over 5 days")
		}
		clk.advance(12 * time.Hour)
	}
	d := app.deliveries(t, hook.ID)
	if d[0].Status != "failed" || d[0].NextAttemptAt != nil {
		t.Fatalf("delivery after disabling: %+v", d[0])
	}
	var feed page[event]
	must(t, app.get(t, "/v1/events?action=webhook.updated"), http.StatusOK).decode(t, &feed)
	if len(feed.Items) != 1 || feed.Items[0].Actor != "cutover" || feed.Items[0].Changes["enabled"].To != false {
		t.Fatalf("webhook.updated events: %+v", feed.Items)
	}
	// Nothing more is sent to a disabled webhook.
	app.createMigration(t, newMigration("B82001"))
	if n := len(app.deliveries(t, hook.ID)); n != 1 {
		t.Fatalf("%d deliveries to a disabled webhook", n)
	}

	var w webhookBody
	must(t, app.patch(t, "/v1/webhooks/"+hook.ID, map[string]any{"enabled": true}, `"2"`), http.StatusOK).decode(t, &w)
	if !w.Enabled || w.DisabledReason != nil || w.Version != 3 {
		t.Fatalf("enabled again: %+v", w)
	}
}

// Webhook URLs must be https and public unless the server allows private networks.
func TestWebhookURLRules(t *testing.T) {
	strict := newTestApp(t)
	lax := openTestApp(t, testDatabaseURL(t), appConfig{allowPrivate: true})
	for _, tc := range []struct {
		url         string
		strict, lax int
	}{
		{"https://203.0.113.10/hooks", 201, 201},
		{"https://[2606:4700::1111]/hooks", 201, 201},
		{"http://203.0.113.10/hooks", 422, 201},
		{"http://127.0.0.1:8081/hooks", 422, 201},
		{"ftp://203.0.113.10/hooks", 422, 422},
		{"https://127.0.0.1/hooks", 422, 201},
		{"https://127.1.2.3/hooks", 422, 201},
		{"https://localhost/hooks", 422, 201}, // resolves to loopback
		{"https://0.0.0.0/hooks", 422, 201},
		{"https://10.20.30.40/hooks", 422, 201},
		{"https://172.16.0.1/hooks", 422, 201},
		{"https://172.31.255.255/hooks", 422, 201},
		{"https://192.168.1.10/hooks", 422, 201},
		{"https://169.254.169.254/latest/meta-data", 422, 201},
		{"https://100.64.0.1/hooks", 422, 201},
		{"https://[::1]/hooks", 422, 201},
		{"https://[::ffff:127.0.0.1]/hooks", 422, 201},
		{"https://[::ffff:10.0.0.1]/hooks", 422, 201},
		{"https://[fd12:3456::1]/hooks", 422, 201},
		{"https://[fe80::1]/hooks", 422, 201},
		{"https://[64:ff9b::a00:1]/hooks", 422, 201}, // NAT64 of 10.0.0.1
		{"https://user:secret@203.0.113.10/hooks", 422, 422},
		{"/relative/hooks", 422, 422},
		{"https://no-such-host.invalid/hooks", 422, 201},
	} {
		for _, side := range []struct {
			app  *testApp
			want int
		}{{strict, tc.strict}, {lax, tc.lax}} {
			res := side.app.post(t, "/v1/webhooks", map[string]any{"url": tc.url, "events": []string{"*"}})
			if res.Status != side.want {
				t.Errorf("%s (allow private %v): %d, want %d: %s", tc.url, side.app == lax, res.Status, side.want, res.Body)
				continue
			}
			if res.Status == 422 && !slices.Equal(res.fields(t), []string{"url"}) {
				t.Errorf("%s: fields %v", tc.url, res.fields(t))
			}
		}
	}
	// The rule holds on update too.
	hook := strict.createWebhook(t, "https://203.0.113.10/hooks", "*")
	res := strict.patch(t, "/v1/webhooks/"+hook.ID, map[string]any{"url": "https://192.168.0.1/hooks"}, "")
	if res.Status != 422 || !slices.Equal(res.fields(t), []string{"url"}) {
		t.Fatalf("update to a private address: %d %s", res.Status, res.Body)
	}
}

func TestWebhooksAreForAdmins(t *testing.T) {
	app := newTestApp(t)
	hook := app.createWebhook(t, "https://203.0.113.10/hooks", "*")
	var tok struct {
		Token string `json:"token"`
	}
	must(t, app.post(t, "/v1/tokens", map[string]any{"name": "sync", "role": "editor"}), http.StatusCreated).decode(t, &tok)
	for _, r := range []req{
		{method: http.MethodGet, path: "/v1/webhooks"},
		{method: http.MethodPost, path: "/v1/webhooks", body: map[string]any{"url": "https://203.0.113.10/x", "events": []string{"*"}}},
		{method: http.MethodGet, path: "/v1/webhooks/" + hook.ID},
		{method: http.MethodPatch, path: "/v1/webhooks/" + hook.ID, body: map[string]any{"enabled": false}},
		{method: http.MethodDelete, path: "/v1/webhooks/" + hook.ID},
		{method: http.MethodGet, path: "/v1/webhooks/" + hook.ID + "/deliveries"},
	} {
		r.token = tok.Token
		if res := app.do(t, r); res.Status != http.StatusForbidden {
			t.Errorf("%s %s as an editor: %d", r.method, r.path, res.Status)
		}
	}
}

func TestWebhookLifecycle(t *testing.T) {
	app := newTestApp(t)
	res := must(t, app.post(t, "/v1/webhooks", map[string]any{"url": "https://203.0.113.10/hooks",
		"events": []string{"task.updated", "signoff.created"}, "description": "CSU tracker"}), http.StatusCreated)
	var hook webhookBody
	res.decode(t, &hook)
	if res.Header.Get("Location") != "/v1/webhooks/"+hook.ID || etagOf(res) != `"1"` || !hook.Enabled {
		t.Fatalf("created %+v at %s", hook, res.Header.Get("Location"))
	}
	// The secret is shown once.
	var got map[string]any
	must(t, app.get(t, "/v1/webhooks/"+hook.ID), http.StatusOK).decode(t, &got)
	if _, ok := got["secret"]; ok {
		t.Fatal("GET shows the secret")
	}
	var list page[map[string]any]
	must(t, app.get(t, "/v1/webhooks"), http.StatusOK).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0]["secret"] != nil {
		t.Fatalf("list: %+v", list.Items)
	}
	// Patient data in the description is refused.
	if k := app.patch(t, "/v1/webhooks/"+hook.ID, map[string]any{"description": "for patient 943 476 5919"}, "").kind(t); k != "patient-identifier" {
		t.Errorf("patient data: %q", k)
	}
	var up webhookBody
	must(t, app.patch(t, "/v1/webhooks/"+hook.ID, map[string]any{"events": []string{"*"}, "enabled": false}, `"1"`), http.StatusOK).decode(t, &up)
	if up.Enabled || up.DisabledReason != nil || !slices.Equal(up.Events, []string{"*"}) || up.Version != 2 {
		t.Fatalf("patched %+v", up)
	}
	// A disabled webhook gets no deliveries.
	app.createMigration(t, nil)
	if n := len(app.deliveries(t, hook.ID)); n != 0 {
		t.Fatalf("%d deliveries for a disabled webhook", n)
	}
	must(t, app.patch(t, "/v1/webhooks/"+hook.ID, map[string]any{"enabled": true}, ""), http.StatusOK)
	app.createMigration(t, newMigration("B82002"))
	d := app.deliveries(t, hook.ID)
	// Its own webhook.updated (enabling it), migration.created and 156 task.created.
	if len(d) != 158 || d[0].Status != "pending" || d[0].Attempts != 0 {
		t.Fatalf("%d deliveries, first %+v", len(d), d[0])
	}
	var pending page[delivery]
	must(t, app.get(t, "/v1/webhooks/"+hook.ID+"/deliveries?status=succeeded"), http.StatusOK).decode(t, &pending)
	if len(pending.Items) != 0 {
		t.Fatalf("%d succeeded deliveries, none was sent", len(pending.Items))
	}
	must(t, app.do(t, req{method: http.MethodDelete, path: "/v1/webhooks/" + hook.ID, header: map[string]string{"If-Match": `"3"`}}), http.StatusNoContent)
	must(t, app.get(t, "/v1/webhooks/"+hook.ID), http.StatusNotFound)
	must(t, app.get(t, "/v1/webhooks/"+hook.ID+"/deliveries"), http.StatusNotFound)
	var feed page[event]
	must(t, app.get(t, "/v1/events?action=webhook.deleted"), http.StatusOK).decode(t, &feed)
	if len(feed.Items) != 1 || feed.Items[0].Resource.ID != hook.ID {
		t.Fatalf("webhook.deleted: %+v", feed.Items)
	}
}

// Stopping the worker waits for attempts in flight only as long as it is allowed to; an attempt
// cut short is handed back uncounted.
func TestWorkerStopIsBounded(t *testing.T) {
	app := openTestApp(t, testDatabaseURL(t), appConfig{allowPrivate: true})
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	w, err := webhook.New(webhook.Config{Store: app.store, Payload: handlers.WebhookPayload, AllowPrivateNetworks: true,
		PollInterval: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w.Start(context.Background())
	hook := app.createWebhook(t, slow.URL, "token.created")
	must(t, app.post(t, "/v1/tokens", map[string]any{"name": "sync", "role": "editor"}), http.StatusCreated)
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := w.Stop(ctx); err == nil {
		t.Fatal("Stop returned nil while an attempt was still in flight")
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Stop took %s with a 200ms budget", took)
	}
	d := app.deliveries(t, hook.ID)
	if len(d) != 1 || d[0].Status != "pending" || d[0].Attempts != 0 {
		t.Fatalf("after an interrupted attempt: %+v", d)
	}
}

// Two replicas' workers on one database: every delivery is claimed, and sent, by one of them.
func TestDeliveriesClaimedOnceAcrossReplicas(t *testing.T) {
	app := openTestApp(t, testDatabaseURL(t), appConfig{allowPrivate: true})
	other := openTestApp(t, app.dbURL, appConfig{allowPrivate: true})
	rcv := newReceiver(t, http.StatusNoContent)
	hook := app.createWebhook(t, rcv.URL, "*")
	app.startWorker(t, webhook.DefaultBackoff)
	other.startWorker(t, webhook.DefaultBackoff)
	app.createMigration(t, nil)                      // 157 events
	other.createMigration(t, newMigration("B82001")) // and 157 more, committed on the other replica
	const want = 1 + 2*157                           // its own webhook.created, then two migrations' events
	rcv.await(t, want)
	eventually(t, "every delivery is recorded", func() bool {
		var pg page[delivery]
		must(t, app.get(t, "/v1/webhooks/"+hook.ID+"/deliveries?status=pending"), http.StatusOK).decode(t, &pg)
		return len(pg.Items) == 0
	})
	time.Sleep(50 * time.Millisecond) // a duplicate send would arrive now
	ids := map[string]int{}
	for _, r := range rcv.requests() {
		ids[r.header.Get("webhook-id")]++
	}
	if len(rcv.requests()) != want || len(ids) != want {
		t.Fatalf("%d requests for %d deliveries, want %d each once", len(rcv.requests()), len(ids), want)
	}
}

// An organisation's webhooks go with it.
func TestDeleteOrganisationWithWebhooks(t *testing.T) {
	app := newTestApp(t)
	var org struct {
		ID string `json:"id"`
	}
	must(t, app.post(t, "/v1/organisations", map[string]any{"name": "North CSU", "kind": "csu"}), http.StatusCreated).decode(t, &org)
	var tok struct {
		Token string `json:"token"`
	}
	must(t, app.post(t, "/v1/tokens", map[string]any{"organisation_id": org.ID, "name": "csu-admin", "role": "admin"}), http.StatusCreated).decode(t, &tok)
	var hook webhookBody
	must(t, app.do(t, req{method: http.MethodPost, path: "/v1/webhooks", token: tok.Token,
		body: map[string]any{"url": "https://203.0.113.10/hooks", "events": []string{"*"}}}), http.StatusCreated).decode(t, &hook)
	// Another organisation's admin finds no such webhook (404, not 403).
	var org2 struct {
		ID string `json:"id"`
	}
	must(t, app.post(t, "/v1/organisations", map[string]any{"name": "South CSU", "kind": "csu"}), http.StatusCreated).decode(t, &org2)
	var tok2 struct {
		Token string `json:"token"`
	}
	must(t, app.post(t, "/v1/tokens", map[string]any{"organisation_id": org2.ID, "name": "south-admin", "role": "admin"}), http.StatusCreated).decode(t, &tok2)
	if res := app.do(t, req{method: http.MethodGet, path: "/v1/webhooks/" + hook.ID, token: tok2.Token}); res.Status != http.StatusNotFound {
		t.Fatalf("another organisation's webhook: %d", res.Status)
	}
	must(t, app.delete(t, "/v1/organisations/"+org.ID), http.StatusNoContent)
	must(t, app.get(t, "/v1/webhooks/"+hook.ID), http.StatusNotFound)
}
