package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/metrics"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/labstack/echo/v4"
)

// serveCutover runs the real router on a database, as `cutover serve` does, with the rate limit
// off (the benchmark's clients share one token) and logging discarded (the console is the
// benchmark's, and formatting log lines is not what is measured... it is a cost real servers
// pay, though, so it stays on but goes to io.Discard).
func serveCutover(args []string) error {
	fs := flag.NewFlagSet("serve-cutover", flag.ContinueOnError)
	db := fs.String("db", "", "database")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server's life to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Metrics as `cutover serve` wires them: the write batch sizes are read back from /metrics.
	reg := metrics.New()
	st, err := store.Open(ctx, *db, store.Options{Logger: log, Redact: patientguard.Redact, OnWriteBatch: reg.ObserveWriteBatch})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := reg.WatchStore(st.Pools(), st.WriteQueueLength); err != nil {
		return err
	}
	e, err := handlers.NewRouter(handlers.Config{Store: st, Logger: log, Metrics: reg})
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, *addr, e)
}

// seedOnly seeds a database (a SQLite path or a postgres:// URL) as a benchmark run would, and
// stops: for reading query plans against realistic data.
func seedOnly(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	db := fs.String("db", "", "database to seed")
	n := fs.Int("n", 1000, "migrations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" || *n < 1 {
		return errors.New("seed: -db and a positive -n are required")
	}
	s, err := seed(context.Background(), *db, *n)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d migrations, %d tasks\n", len(s.migrations), len(s.tasks))
	return nil
}

// serveBare runs the ceilings: a bare echo handler answering a small JSON object, and one
// answering a fixed JSON body of a given size (what a page costs to carry, with no work behind it).
func serveBare(args []string) error {
	fs := flag.NewFlagSet("serve-bare", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	type small struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	e.GET("/small", func(c echo.Context) error {
		return c.JSON(http.StatusOK, small{ID: "0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01", Status: "todo"})
	})
	var (
		mu     sync.Mutex
		bodies = map[int][]byte{}
	)
	e.GET("/bytes", func(c echo.Context) error {
		n, err := strconv.Atoi(c.QueryParam("n"))
		if err != nil || n < 2 || n > 1<<20 {
			return echo.NewHTTPError(http.StatusBadRequest, "n: a size in bytes up to 1 MiB")
		}
		mu.Lock()
		b, ok := bodies[n]
		if !ok {
			b = jsonOfSize(n)
			bodies[n] = b
		}
		mu.Unlock()
		return c.JSONBlob(http.StatusOK, b)
	})
	return serveUntilDone(ctx, *addr, e)
}

// jsonOfSize is a JSON array of small objects, n bytes long.
func jsonOfSize(n int) []byte {
	const item = `{"id":"0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01","status":"todo"}`
	b := append(make([]byte, 0, n), '[')
	for len(b)+len(item)+2 <= n {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, item...)
	}
	b = append(b, ']')
	for len(b) < n { // pad with whitespace, which JSON allows, to the exact size
		b = append(b, ' ')
	}
	return b
}

func serveUntilDone(ctx context.Context, addr string, h http.Handler) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// The parent reads the address from the first line of output.
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
