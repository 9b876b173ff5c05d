package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The one test on the real clock: `cutover serve` with its scheduler running fires a reminder set
// one second ahead within about a second of its time, and once: one task.reminder event, and one
// signed webhook delivery of it.
func TestServedReminderFiresOnTime(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const token = "cut_test-admin-token-0123456789abcdefghij"
	env := map[string]string{"CUTOVER_DATABASE_URL": filepath.Join(t.TempDir(), "cutover.db"), "CUTOVER_ADDR": addr,
		"CUTOVER_ADMIN_TOKEN": token, "CUTOVER_LOG_LEVEL": "warn", "CUTOVER_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
	// A receiver on loopback for the webhook delivery.
	var (
		mu       sync.Mutex
		received []*http.Request
		bodies   [][]byte
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received, bodies = append(received, r), append(bodies, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, logs) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	}()

	base := "http://" + addr
	call := func(method, path string, body any, out any) int {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+path, r)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, logs.String())
		}
		defer res.Body.Close()
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatalf("%s %s: decode: %v", method, path, err)
			}
		}
		return res.StatusCode
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	var m struct{ ID string }
	if s := call("POST", "/v1/migrations", map[string]any{
		"practice":       map[string]any{"ods_code": "A81001", "name": "The Densham Surgery"},
		"current_system": map[string]any{"supplier": "Supplier A", "product": "System One"},
		"new_system":     map[string]any{"supplier": "Supplier B", "product": "System Two"},
		"stages":         []string{"final-data-production-and-cutover"},
	}, &m); s != http.StatusCreated {
		t.Fatalf("create migration: %d", s)
	}
	var hook struct{ Secret string }
	if s := call("POST", "/v1/webhooks", map[string]any{"url": rcv.URL + "/hooks", "events": []string{"task.reminder"}}, &hook); s != http.StatusCreated {
		t.Fatalf("create webhook: %d", s)
	}
	var feed struct {
		Items []struct {
			Action   string `json:"action"`
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	call("GET", "/v1/events?action=task.reminder", nil, &feed)
	cursor := feed.NextCursor

	fireAt := time.Now().Add(time.Second).UTC()
	var task struct{ ID string }
	if s := call("POST", "/v1/migrations/"+m.ID+"/tasks", map[string]any{"stage": "final-data-production-and-cutover",
		"title": "Call the practice manager", "reminders": []any{map[string]any{"at": fireAt.Format(time.RFC3339Nano)}}}, &task); s != http.StatusCreated {
		t.Fatalf("create task: %d", s)
	}
	call("GET", "/v1/events?action=task.reminder&wait=5s&cursor="+cursor, nil, &feed)
	got := time.Now()
	if len(feed.Items) != 1 || feed.Items[0].Resource.ID != task.ID {
		t.Fatalf("feed after the reminder's time: %+v\n%s", feed.Items, logs.String())
	}
	late := got.Sub(fireAt)
	t.Logf("fired %s after its time", late.Round(time.Millisecond))
	if late < 0 || late > 2*time.Second {
		t.Fatalf("fired %s after its time", late)
	}
	// And only once: nothing more in the next two seconds.
	call("GET", "/v1/events?action=task.reminder&wait=2s&cursor="+feed.NextCursor, nil, &feed)
	if len(feed.Items) != 0 {
		t.Fatalf("fired again: %+v", feed.Items)
	}
	// One signed delivery of that event reached the receiver.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n > 0 {
			break
		}
	}
	time.Sleep(200 * time.Millisecond) // a second delivery would arrive now
	mu.Lock()
	defer mu.Unlock()
	if len(received) != 1 {
		t.Fatalf("the receiver got %d deliveries, want 1", len(received))
	}
	verifier, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.Verify(bodies[0], received[0].Header); err != nil {
		t.Fatalf("the delivery's signature does not verify: %v", err)
	}
	var payload struct {
		Type string `json:"type"`
		Data struct {
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"data"`
	}
	if err := json.Unmarshal(bodies[0], &payload); err != nil || payload.Type != "task.reminder" || payload.Data.Resource.ID != task.ID {
		t.Fatalf("delivery %s (%v)", bodies[0], err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs.String())
	}
}
