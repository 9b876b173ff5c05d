package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/metrics"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/reminders"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/webhook"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("serve", args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	reg := metrics.New()
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log, Redact: patientguard.Redact, OnWriteBatch: reg.ObserveWriteBatch})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	// Until serving begins, an early return closes the store; after that, shutdown does, last.
	serving := false
	defer func() {
		if !serving {
			st.Close()
		}
	}()
	if err := reg.WatchStore(st.Pools(), st.WriteQueueLength); err != nil {
		return err
	}
	token, err := st.Bootstrap(ctx, cfg.AdminToken)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if token != "" && cfg.AdminToken == "" {
		// Printed once, to the terminal, never to the log: logs are shipped and kept.
		fmt.Fprintf(stdout, "\nCreated the operator organisation and its admin API token. Keep it safe; it is not shown again:\n\n    %s\n\n", token)
	}
	stopping := make(chan struct{})
	router, err := handlers.NewRouter(handlers.Config{Store: st, Logger: log, Guard: handlers.GuardMode(cfg.PatientGuard),
		RateLimit: cfg.rateLimit(), CORSOrigins: cfg.corsOrigins(),
		Metrics: reg, MetricsElsewhere: cfg.MetricsAddr != "", Stopping: stopping,
		AllowPrivateNetworks: cfg.allowPrivateNetworks()})
	if err != nil {
		return err
	}
	if cfg.allowPrivateNetworks() {
		log.Warn("webhooks may use http and reach loopback and private addresses (CUTOVER_WEBHOOK_ALLOW_PRIVATE_NETWORKS)")
	}
	onAttempt, err := reg.WatchWebhooks(func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return st.PendingDeliveries(ctx)
	})
	if err != nil {
		return err
	}
	worker, err := webhook.New(webhook.Config{Store: st, Payload: handlers.WebhookPayload, Logger: log,
		AllowPrivateNetworks: cfg.allowPrivateNetworks(), OnAttempt: onAttempt})
	if err != nil {
		return err
	}
	worker.Start(ctx)
	// Background workers that must stop, within the shutdown timeout, after the HTTP server has
	// drained and before the store closes. A webhook attempt cut short is sent again later.
	stoppers := []stopper{{name: "webhook worker", stop: worker.Stop}, startReminders(st, log)}

	servers := []*listening{{name: "api", addr: cfg.Addr, srv: httpServer(router, log)}}
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", handlers.MetricsHandler(reg))
		servers = append(servers, &listening{name: "metrics", addr: cfg.MetricsAddr, srv: httpServer(mux, log)})
	}
	for _, l := range servers {
		if l.ln, err = (&net.ListenConfig{}).Listen(ctx, "tcp", l.addr); err != nil {
			for _, o := range servers {
				if o.ln != nil {
					o.ln.Close()
				}
			}
			return fmt.Errorf("listen on %s: %w", l.addr, err)
		}
	}
	serving = true
	failed := make(chan error, len(servers))
	for _, l := range servers {
		log.Info("serving", slog.String("listener", l.name), slog.String("addr", l.ln.Addr().String()),
			slog.String("database", st.Dialect().String()))
		go func() {
			if err := l.srv.Serve(l.ln); !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("serve %s: %w", l.name, err)
			}
		}()
	}
	var serveErr error
	select {
	case serveErr = <-failed:
		log.Error("server failed; shutting down", "error", serveErr)
	case <-ctx.Done():
	}
	close(stopping)
	return errors.Join(serveErr, shutdown(log, cfg.ShutdownTimeout, servers, stoppers, st))
}

// listening is one HTTP server and where it listens.
type listening struct {
	name, addr string
	ln         net.Listener
	srv        *http.Server
}

func httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long polls of the event feed last up to 60 seconds.
		WriteTimeout:   90 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// stopper stops a background worker: it stops taking new work at once and returns when the work
// in hand is done, or ctx ends (the shutdown timeout), whichever comes first.
type stopper struct {
	name string
	stop func(ctx context.Context) error
}

// shutdown stops in the order that loses nothing: stop accepting connections and let in-flight
// requests finish (long polls answer at once), then stop the background workers, then close the
// store, which commits the writes SQLite's writer still has queued. All of it within timeout;
// requests still running then are cut off, and shutdown reports it.
func shutdown(log *slog.Logger, timeout time.Duration, servers []*listening, stoppers []stopper, st *store.Store) error {
	log.Info("shutting down", slog.Duration("timeout", timeout))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, l := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.srv.Shutdown(ctx); err != nil {
				l.srv.Close()
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: requests still running after %s were cut off: %w", l.name, timeout, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, s := range stoppers {
		if err := s.stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
		}
	}
	if err := st.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	err := errors.Join(errs...)
	if err != nil {
		log.Error("shut down with errors", "error", err, slog.Duration("took", time.Since(start)))
		return err
	}
	log.Info("shut down", slog.Duration("took", time.Since(start)))
	return nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("migrate", args, getenv, stderr, "database-url")
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintln(stdout, "schema is up to date")
	return st.Close()
}

// startReminders runs the reminder scheduler. It runs on every replica: the database decides
// which one fires what, so each reminder and overdue notice is recorded once.
func startReminders(st *store.Store, log *slog.Logger) stopper {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		reminders.New(st, reminders.Options{Logger: log}).Run(ctx)
	}()
	return stopper{name: "reminder scheduler", stop: func(sctx context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-sctx.Done():
			return fmt.Errorf("reminder scheduler: %w", sctx.Err())
		}
	}}
}
