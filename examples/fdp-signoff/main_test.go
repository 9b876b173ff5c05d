package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/store"
)

// The example runs against a real server on a real database.
func TestExample(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "cutover.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const token = "cut_example-token-0123456789abcdefghijklmn"
	if _, err := st.Bootstrap(ctx, token); err != nil {
		t.Fatal(err)
	}
	e, err := handlers.NewRouter(handlers.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	var out bytes.Buffer
	if err := run(ctx, srv.URL, token, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got := strings.Count(out.String(), "done: "); got != 10 {
		t.Errorf("completed %d tasks, want the checklist's 10", got)
	}
	if !strings.Contains(out.String(), "is signed off") {
		t.Errorf("output: %s", out.String())
	}
}
