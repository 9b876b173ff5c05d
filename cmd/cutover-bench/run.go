package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/webhook"
	"github.com/cutoverhq/cutover/internal/workflow"
	_ "github.com/mattn/go-sqlite3" // the same driver the store uses, for the raw ceiling
)

type config struct {
	concurrency int
	duration    time.Duration
	dir         string
	only        map[string]bool
	profile     string // CPU profile prefix; none when empty
}

const benchToken = "cut_bench-token-0123456789abcdefghijklmnopqrs"

// result is one scenario's figures.
type result struct {
	name       string
	size       int
	requests   int
	errors     int
	rps        float64
	p50, p99   time.Duration
	rssMB      float64
	ceiling    string        // what the ratio is against
	ceilingRPS float64       // that ceiling, measured just before
	ratio      float64       // rps / ceilingRPS
	sameBytes  float64       // for a page: rps / the bare handler's answering the same number of bytes
	batch      float64       // write requests per SQLite commit (group commit), for write scenarios
	cpuPer     time.Duration // the server's CPU time per request (user and system)
}

func (r *result) setServerCPU(d time.Duration) {
	if r.requests > 0 && d > 0 {
		r.cpuPer = d / time.Duration(r.requests)
	}
}

func run(ctx context.Context, cfg config, sizes []int) ([]result, error) {
	dir := cfg.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "cutover-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "ceilings: bare echo handler and raw durable SQLite commits, %d clients, %s each\n", cfg.concurrency, cfg.duration)
	ce, err := startCeilings(ctx, self, filepath.Join(dir, "raw.db"), cfg)
	if err != nil {
		return nil, err
	}
	defer ce.close()
	bare, err := ce.echo(ctx)
	if err != nil {
		return nil, fmt.Errorf("bare echo ceiling: %w", err)
	}
	commits, err := ce.commits(ctx)
	if err != nil {
		return nil, fmt.Errorf("raw SQLite ceiling: %w", err)
	}
	results := []result{bare, commits}
	for _, n := range sizes {
		rs, err := runSize(ctx, self, dir, n, cfg, ce)
		if err != nil {
			return nil, fmt.Errorf("%d migrations: %w", n, err)
		}
		results = append(results, rs...)
	}
	return results, nil
}

// child is a server process of this binary.
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(ctx context.Context, self string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("child gave no address: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return &child{cmd: cmd, addr: "http://" + strings.TrimSpace(line)}, nil
}

func (c *child) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
	}
}

// peakRSS reads the child's high-water resident set, in MB; resetPeak starts a new high-water mark.
func (c *child) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// cpuTime is the CPU time the child has used so far (user and system).
func (c *child) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

func (c *child) resetPeak() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", c.cmd.Process.Pid), []byte("5"), 0o600)
}

// ceilings measures the two ceilings on demand. Each scenario is read against a ceiling
// measured just before it: on a shared machine both drift by tens of percent within minutes, so
// a ratio to a ceiling measured once at the start says as much about the drift as the server.
type ceilings struct {
	cfg  config
	bare *child  // the bare echo server, for the life of the run
	raw  *sql.DB // the raw commits' database
}

func startCeilings(ctx context.Context, self, rawPath string, cfg config) (*ceilings, error) {
	bare, err := startChild(ctx, self, "serve-bare")
	if err != nil {
		return nil, fmt.Errorf("bare echo server: %w", err)
	}
	raw, err := sql.Open("sqlite3", "file:"+rawPath+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate")
	if err == nil {
		raw.SetMaxOpenConns(cfg.concurrency)
		_, err = raw.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	}
	if err != nil {
		bare.stop()
		return nil, fmt.Errorf("raw SQLite database: %w", err)
	}
	return &ceilings{cfg: cfg, bare: bare, raw: raw}, nil
}

func (c *ceilings) close() {
	c.bare.stop()
	_ = c.raw.Close()
}

// echo measures the bare echo handler answering a small JSON object.
func (c *ceilings) echo(ctx context.Context) (result, error) {
	r, err := c.bareGET(ctx, "/small")
	r.name = "ceiling: bare echo handler, small JSON"
	return r, err
}

// bytes measures the bare echo handler answering a fixed JSON body of n bytes: what carrying a
// response that size costs the server and the load generator, with nothing behind it.
func (c *ceilings) bytes(ctx context.Context, n int) (result, error) {
	r, err := c.bareGET(ctx, "/bytes?n="+strconv.Itoa(n))
	r.name = fmt.Sprintf("ceiling: bare echo handler, the same %d bytes", n)
	return r, err
}

func (c *ceilings) bareGET(ctx context.Context, path string) (result, error) {
	c.bare.resetPeak()
	cpu := c.bare.cpuTime()
	r := load(ctx, c.cfg, newClient(c.cfg), func(cl *http.Client, _ *rand.Rand) error {
		return expect(cl, http.MethodGet, c.bare.addr+path, nil, http.StatusOK)
	})
	r.rssMB = c.bare.peakRSS()
	r.setServerCPU(c.bare.cpuTime() - cpu)
	if r.requests == 0 || r.errors > 0 {
		return r, fmt.Errorf("GET %s: %d of %d requests failed: %v", path, r.errors, r.requests, firstError.Load())
	}
	return r, nil
}

// commits measures raw durable commits: one small insert per transaction, WAL,
// synchronous=FULL, the same driver, the same number of concurrent writers.
func (c *ceilings) commits(ctx context.Context) (result, error) {
	r := load(ctx, c.cfg, nil, func(_ *http.Client, rng *rand.Rand) error {
		tx, err := c.raw.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", strconv.Itoa(rng.Int())); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
	r.name = "ceiling: raw durable SQLite commits (1 insert each)"
	if r.requests == 0 || r.errors > 0 {
		return r, fmt.Errorf("%d of %d commits failed", r.errors, r.requests)
	}
	return r, nil
}

// seeded is what a seeded database holds, for the scenarios to aim at.
type seeded struct {
	migrations []string
	tasks      [][2]string // migration id, task id
}

func seed(ctx context.Context, path string, n int) (seeded, error) {
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return seeded{}, err
	}
	defer st.Close()
	if _, err := st.Bootstrap(ctx, benchToken); err != nil {
		return seeded{}, err
	}
	who, err := st.Authenticate(ctx, benchToken)
	if err != nil {
		return seeded{}, err
	}
	tpl := checklist.Builtin().Current()
	var out seeded
	var mu sync.Mutex
	jobs := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				fdp := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%200)
				in := workflow.MigrationInput{
					ODSCode: fmt.Sprintf("%c%05d", 'A'+i%26, i), PracticeName: fmt.Sprintf("Practice %d", i),
					CurrentSupplier: "Supplier A", CurrentProduct: "System One", NewSupplier: "Supplier B", NewProduct: "System Two",
					Dates: map[string]cutover.Date{"fdp_date": fdp, "final_extract_date": fdp, "go_live_date": fdp.AddDate(0, 0, 2)},
				}
				m, tasks, err := workflow.NewMigration(tpl, in, who, time.Now())
				if err == nil {
					err = st.CreateMigration(ctx, who, m, tasks)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				out.migrations = append(out.migrations, m.ID.String())
				for _, t := range tasks {
					out.tasks = append(out.tasks, [2]string{m.ID.String(), t.ID.String()})
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		select {
		case jobs <- i:
		case err := <-errs:
			close(jobs)
			return seeded{}, err
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return seeded{}, err
	default:
	}
	// A subscriber to every event, as a CSU's integration would register: each write then also
	// enqueues its webhook deliveries (the outbox rows) in its transaction. It is registered after
	// seeding, so the seeded history has no backlog of deliveries. No worker runs in the measured
	// server, so the deliveries stay queued and cost the writes nothing more than their insert.
	_, err = st.CreateWebhook(ctx, who, cutover.Webhook{ID: cutover.NewID(), URL: "https://integration.example.net/cutover",
		Events: []string{cutover.AllEvents}, Description: "benchmark subscriber", Secret: webhook.NewSecret(), Enabled: true})
	if err != nil {
		return seeded{}, fmt.Errorf("register webhook: %w", err)
	}
	return out, nil
}

type scenario struct {
	name    string
	ceiling string // "echo" or "commits"
	do      func(cl *http.Client, rng *rand.Rand, base string, s seeded) error
}

func scenarios() []scenario {
	return []scenario{
		{"get-task", "echo", func(cl *http.Client, rng *rand.Rand, base string, s seeded) error {
			t := s.tasks[rng.IntN(len(s.tasks))]
			return expect(cl, http.MethodGet, base+"/v1/migrations/"+t[0]+"/tasks/"+t[1], nil, http.StatusOK)
		}},
		{"list-tasks-50", "echo", func(cl *http.Client, rng *rand.Rand, base string, s seeded) error {
			m := s.migrations[rng.IntN(len(s.migrations))]
			return expect(cl, http.MethodGet, base+"/v1/migrations/"+m+"/tasks?limit=50", nil, http.StatusOK)
		}},
		{"list-migrations", "echo", func(cl *http.Client, _ *rand.Rand, base string, _ seeded) error {
			return expect(cl, http.MethodGet, base+"/v1/migrations?limit=50", nil, http.StatusOK)
		}},
		{"stage-progress", "echo", func(cl *http.Client, rng *rand.Rand, base string, s seeded) error {
			m := s.migrations[rng.IntN(len(s.migrations))]
			return expect(cl, http.MethodGet, base+"/v1/migrations/"+m+"/stages", nil, http.StatusOK)
		}},
		{"portfolio", "echo", func(cl *http.Client, _ *rand.Rand, base string, _ seeded) error {
			return expect(cl, http.MethodGet, base+"/v1/reports/portfolio?limit=50", nil, http.StatusOK)
		}},
		{"event-feed", "echo", func(cl *http.Client, _ *rand.Rand, base string, _ seeded) error {
			return expect(cl, http.MethodGet, base+"/v1/events?limit=50", nil, http.StatusOK)
		}},
		{"patch-task", "commits", func(cl *http.Client, rng *rand.Rand, base string, s seeded) error {
			t := s.tasks[rng.IntN(len(s.tasks))]
			body := []byte(`{"notes":"checked on call ` + strconv.Itoa(rng.IntN(1e6)) + `"}`)
			return expect(cl, http.MethodPatch, base+"/v1/migrations/"+t[0]+"/tasks/"+t[1], body, http.StatusOK)
		}},
		{"post-migration", "commits", func(cl *http.Client, rng *rand.Rand, base string, _ seeded) error {
			body := []byte(fmt.Sprintf(`{"practice":{"ods_code":"Z%05d","name":"Bench Practice"},"current_system":{"supplier":"A","product":"X"},"new_system":{"supplier":"B","product":"Y"},"fdp_date":"2027-03-10","final_extract_date":"2027-03-10","go_live_date":"2027-03-12"}`, rng.IntN(100000)))
			return expect(cl, http.MethodPost, base+"/v1/migrations", body, http.StatusCreated)
		}},
	}
}

func runSize(ctx context.Context, self, dir string, n int, cfg config, ce *ceilings) ([]result, error) {
	path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", n))
	_ = os.Remove(path)
	start := time.Now()
	s, err := seed(ctx, path, n)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(os.Stderr, "seeded %d migrations (%d tasks) in %s\n", n, len(s.tasks), time.Since(start).Round(time.Millisecond))
	args := []string{"serve-cutover", "-db", path}
	if cfg.profile != "" {
		args = append(args, "-cpuprofile", fmt.Sprintf("%s-%d.prof", cfg.profile, n))
	}
	c, err := startChild(ctx, self, args...)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	cl := newClient(cfg)
	// A webhook on task updates, so each PATCH also writes its delivery job, as in production.
	// (The benchmark's server runs no delivery worker: what is measured is the write.)
	hook := []byte(`{"url":"https://203.0.113.10/cutover-bench","events":["task.updated"]}`)
	if err := expect(cl, http.MethodPost, c.addr+"/v1/webhooks", hook, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("register webhook: %w", err)
	}
	var out []result
	for _, sc := range scenarios() {
		if cfg.only != nil && !cfg.only[sc.name] {
			continue
		}
		var ceil result
		switch sc.ceiling {
		case "echo":
			ceil, err = ce.echo(ctx)
		case "commits":
			ceil, err = ce.commits(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("ceiling before %s: %w", sc.name, err)
		}
		c.resetPeak()
		before := writeBatches(cl, c.addr)
		cpu := c.cpuTime()
		r := load(ctx, cfg, cl, func(cl *http.Client, rng *rand.Rand) error { return sc.do(cl, rng, c.addr, s) })
		r.name, r.size, r.rssMB = sc.name, n, c.peakRSS()
		r.setServerCPU(c.cpuTime() - cpu)
		if sc.ceiling == "commits" {
			after := writeBatches(cl, c.addr)
			if n := after.count - before.count; n > 0 {
				r.batch = (after.sum - before.sum) / n
			}
		}
		r.ceilingRPS, r.ratio = ceil.rps, r.rps/ceil.rps
		r.ceiling = map[string]string{"echo": "bare echo", "commits": "raw commits"}[sc.ceiling]
		var extra []result
		if sc.name == "list-tasks-50" {
			// How much of a page's cost is carrying its bytes: the bare handler answering as many.
			size, err := bodySize(cl, c.addr+"/v1/migrations/"+s.migrations[0]+"/tasks?limit=50")
			if err != nil {
				return nil, err
			}
			same, err := ce.bytes(ctx, size)
			if err != nil {
				return nil, err
			}
			same.size, same.ceiling, same.ceilingRPS, same.ratio = n, "bare echo", ceil.rps, same.rps/ceil.rps
			r.sameBytes = r.rps / same.rps
			extra = append(extra, same)
		}
		fmt.Fprintf(os.Stderr, "  %-16s %8.0f req/s  %.2fx %s (%.0f)  p50 %-9s p99 %-9s errors %d  rss %.0f MB  server cpu %s/req", r.name, r.rps, r.ratio, r.ceiling, r.ceilingRPS, r.p50, r.p99, r.errors, r.rssMB, r.cpuPer)
		if r.batch > 0 {
			fmt.Fprintf(os.Stderr, "  writes/commit %.1f", r.batch)
		}
		fmt.Fprintln(os.Stderr)
		out = append(out, r)
		out = append(out, extra...)
	}
	return out, nil
}

// bodySize is the length of the body a GET answers.
func bodySize(cl *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	res, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %d", url, res.StatusCode)
	}
	return int(n), err
}

// batches is the server's write batch histogram: how many commits, and how many write requests
// they held.
type batches struct{ count, sum float64 }

// writeBatches reads the write batch histogram from the server's /metrics.
func writeBatches(cl *http.Client, base string) batches {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return batches{}
	}
	res, err := cl.Do(req)
	if err != nil {
		return batches{}
	}
	defer res.Body.Close()
	var b batches
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "cutover_sqlite_write_batch_size_count":
			b.count, _ = strconv.ParseFloat(v, 64)
		case "cutover_sqlite_write_batch_size_sum":
			b.sum, _ = strconv.ParseFloat(v, 64)
		}
	}
	return b
}

func newClient(cfg config) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.concurrency * 2, MaxIdleConnsPerHost: cfg.concurrency * 2, IdleConnTimeout: time.Minute,
	}}
}

var firstError atomic.Value

func expect(cl *http.Client, method, url string, body []byte, status int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != status {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 200))
		err := fmt.Errorf("%s %s: %d: %s", method, url, res.StatusCode, b)
		firstError.CompareAndSwap(nil, err.Error())
		return err
	}
	// Every byte is read, through io.Discard's pooled buffers: the load generator shares the
	// machine with the server, and growing a fresh buffer for every 40 kB page was its largest
	// cost on list scenarios.
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

// load runs do from cfg.concurrency workers for cfg.duration and measures it.
func load(ctx context.Context, cfg config, cl *http.Client, do func(*http.Client, *rand.Rand) error) result {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	lats := make([][]time.Duration, cfg.concurrency)
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := do(cl, rng); err != nil {
					errs.Add(1)
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := result{requests: len(all), errors: int(errs.Load())}
	if len(all) > 0 {
		r.rps = float64(len(all)) / elapsed.Seconds()
		r.p50, r.p99 = all[len(all)/2], all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

func printTable(w io.Writer, cfg config, rs []result) {
	fmt.Fprintf(w, "\n%d concurrent clients, %s per scenario, loopback, %s\n\n", cfg.concurrency, cfg.duration, time.Now().UTC().Format(time.DateOnly))
	fmt.Fprintln(w, "| scenario | migrations | req/s | ceiling req/s | ratio | p50 | p99 | errors | peak RSS | server CPU/req | writes/commit |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rs {
		size, ceil, ratio, rss := "-", "-", "1.00 (ceiling)", "-"
		if r.size > 0 {
			size = strconv.Itoa(r.size)
			ceil = fmt.Sprintf("%.0f", r.ceilingRPS)
			ratio = fmt.Sprintf("%.2fx %s", r.ratio, r.ceiling)
			if r.sameBytes > 0 {
				ratio += fmt.Sprintf(" (%.2fx the same bytes)", r.sameBytes)
			}
		}
		if r.rssMB > 0 {
			rss = fmt.Sprintf("%.0f MB", r.rssMB)
		}
		batch := "-"
		if r.batch > 0 {
			batch = fmt.Sprintf("%.1f", r.batch)
		}
		cpu := "-"
		if r.cpuPer > 0 {
			cpu = r.cpuPer.Round(time.Microsecond).String()
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %d | %s | %s | %s |\n", r.name, size, r.rps, ceil, ratio,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.errors, rss, cpu, batch)
	}
	if e := firstError.Load(); e != nil {
		fmt.Fprintf(w, "\nfirst error: %s\n", e)
	}
	var js []map[string]any
	for _, r := range rs {
		js = append(js, map[string]any{"scenario": r.name, "size": r.size, "rps": r.rps, "ceiling_rps": r.ceilingRPS, "ratio": r.ratio, "same_bytes_ratio": r.sameBytes,
			"p50_us": r.p50.Microseconds(), "p99_us": r.p99.Microseconds(), "errors": r.errors, "rss_mb": r.rssMB, "writes_per_commit": r.batch, "server_cpu_us": r.cpuPer.Microseconds()})
	}
	b, _ := json.Marshal(js)
	fmt.Fprintf(os.Stderr, "json: %s\n", b)
}
