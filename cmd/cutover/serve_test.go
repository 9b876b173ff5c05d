package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The one test on the real clock: `cutover serve` with its scheduler running fires a reminder set
// one second ahead within about a second of its time, and once.
func TestServedReminderFiresOnTime(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const token = "cut_test-admin-token-0123456789abcdefghij"
	env := map[string]string{"CUTOVER_DATABASE_URL": filepath.Join(t.TempDir(), "cutover.db"), "CUTOVER_ADDR": addr,
		"CUTOVER_ADMIN_TOKEN": token, "CUTOVER_LOG_LEVEL": "warn"}
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
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs.String())
	}
}
