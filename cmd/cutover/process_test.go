package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/testdb"
)

// These tests run the real binary, as an operator does: signals, crashes and the command line are
// what they are about, and none of that can be faked inside one process.

const adminToken = "cut_process-test-admin-token-0123456789"

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "cutover-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := testdb.Main(m)
	os.RemoveAll(binDir)
	os.Exit(code)
}

// binary builds cutover once per test run, from this package's sources.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "cutover")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is a running `cutover serve`.
type process struct {
	cmd        *exec.Cmd
	url        string
	metricsURL string // when CUTOVER_METRICS_ADDR gives /metrics a listener of its own
	logs       *lockedBuffer
	exited     chan struct{}
	err        error // the exit status, once exited is closed
}

// startServer runs `cutover serve` on a free loopback port against dbURL and waits until it
// serves.
func startServer(t *testing.T, dbURL string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), "CUTOVER_ADDR=127.0.0.1:0", "CUTOVER_DATABASE_URL="+dbURL,
		"CUTOVER_ADMIN_TOKEN="+adminToken, "CUTOVER_LOG_FORMAT=json", "CUTOVER_SHUTDOWN_TIMEOUT=10s",
		// The tests hammer one token on purpose; rate limiting has its own test.
		"CUTOVER_RATE_LIMIT=0")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start cutover: %v", err)
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	addr, metricsAddr := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.WriteString(line + "\n")
			var rec struct {
				Msg, Listener, Addr string
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				switch rec.Listener {
				case "metrics":
					metricsAddr <- rec.Addr
				case "api":
					addr <- rec.Addr
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	select {
	case a := <-addr:
		p.url = "http://" + a
		if slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "CUTOVER_METRICS_ADDR=") }) {
			select {
			case m := <-metricsAddr:
				p.metricsURL = "http://" + m
			case <-time.After(10 * time.Second):
				t.Fatalf("no metrics listener in 10s\n%s", p.logs)
			}
		}
	case <-p.exited:
		t.Fatalf("cutover exited before serving: %v\n%s", p.err, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("cutover did not start serving in 30s\n%s", p.logs)
	}
	return p
}

// signal sends sig and waits for the process to exit, returning its exit code.
func (p *process) stop(t *testing.T, sig os.Signal, within time.Duration) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("cutover did not exit within %s of %v\n%s", within, sig, p.logs)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", p.err)
	return 0
}

type httpReply struct {
	status int
	body   []byte
}

// call sends one request as the admin; a transport error (the server went away) is err.
func (p *process) call(ctx context.Context, method, path string, body any) (httpReply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return httpReply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.url+path, rd)
	if err != nil {
		return httpReply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return httpReply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return httpReply{}, err
	}
	return httpReply{status: res.StatusCode, body: b}, nil
}

func (p *process) mustCall(t *testing.T, status int, method, path string, body any, out any) {
	t.Helper()
	res, err := p.call(context.Background(), method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if res.status != status {
		t.Fatalf("%s %s: want %d, got %d: %s", method, path, status, res.status, res.body)
	}
	if out != nil {
		if err := json.Unmarshal(res.body, out); err != nil {
			t.Fatalf("decode %s: %v", res.body, err)
		}
	}
}

// runCLI runs a cutover command to completion.
func runCLI(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func newMigrationBody(ods string) map[string]any {
	return map[string]any{
		"practice":       map[string]any{"ods_code": ods, "name": "The Densham Surgery"},
		"current_system": map[string]any{"supplier": "Supplier A", "product": "System One"},
		"new_system":     map[string]any{"supplier": "Supplier B", "product": "System Two"},
		"fdp_date":       "2027-03-10", "final_extract_date": "2027-03-10", "go_live_date": "2027-03-12",
	}
}

// lockedBuffer collects a server's log from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
