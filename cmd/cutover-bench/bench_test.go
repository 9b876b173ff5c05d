package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the benchmark's child processes, as the real binary does.
func TestMain(m *testing.M) {
	if runChild(os.Args[1:]) {
		return
	}
	os.Exit(m.Run())
}

// TestBenchmarkRuns runs the whole benchmark briefly on a small database: every scenario answers
// without an error, is measured against a ceiling taken alongside, and reaches the table; the
// writes report how many requests a commit gathered.
func TestBenchmarkRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark's servers for a few seconds")
	}
	cfg := config{concurrency: 2, duration: 150 * time.Millisecond, dir: t.TempDir()}
	results, err := run(context.Background(), cfg, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]result{}
	for _, r := range results {
		got[r.name] = r
		if r.requests == 0 || r.errors > 0 {
			t.Errorf("%s: %d requests, %d errors", r.name, r.requests, r.errors)
		}
	}
	for _, sc := range scenarios() {
		r, ok := got[sc.name]
		switch {
		case !ok:
			t.Errorf("%s: not measured", sc.name)
		case r.size != 2 || r.ceilingRPS <= 0 || r.ratio <= 0 || r.rssMB <= 0:
			t.Errorf("%s: size %d, ceiling %.0f req/s, ratio %.2f, RSS %.0f MB", sc.name, r.size, r.ceilingRPS, r.ratio, r.rssMB)
		case sc.ceiling == "commits" && r.batch < 1:
			t.Errorf("%s: %.1f writes per commit", sc.name, r.batch)
		}
	}
	if r := got["list-tasks-50"]; r.sameBytes <= 0 {
		t.Errorf("the page was not measured against the same bytes: %+v", r)
	}
	var table bytes.Buffer
	printTable(&table, cfg, results)
	for _, want := range []string{"| get-task | 2 |", "| post-migration | 2 |", "ceiling: bare echo handler, the same "} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}
