package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cutoverhq/cutover/internal/handlers"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/reminders"
	"github.com/cutoverhq/cutover/internal/store"
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
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log, Redact: patientguard.Redact})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	token, err := st.Bootstrap(ctx, cfg.AdminToken)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if token != "" && cfg.AdminToken == "" {
		// Printed once, to the terminal, never to the log: logs are shipped and kept.
		fmt.Fprintf(stdout, "\nCreated the operator organisation and its admin API token. Keep it safe; it is not shown again:\n\n    %s\n\n", token)
	}
	router, err := handlers.NewRouter(handlers.Config{Store: st, Logger: log, Guard: handlers.GuardMode(cfg.PatientGuard),
		RateLimit: cfg.rateLimit(), CORSOrigins: cfg.corsOrigins()})
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long polls of the event feed last up to 60 seconds.
		WriteTimeout:   90 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("database", st.Dialect().String()))
	// The reminder scheduler runs on every replica: the database decides which one fires what.
	// It stops before the store closes (deferred above), so no pass is cut off mid-transaction.
	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		reminders.New(st, reminders.Options{Logger: log}).Run(schedCtx)
	}()
	defer func() {
		stopSched()
		<-schedDone
	}()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
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
