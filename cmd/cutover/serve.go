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
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log})
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
		AllowPrivateNetworks: cfg.allowPrivateNetworks()})
	if err != nil {
		return err
	}
	if cfg.allowPrivateNetworks() {
		log.Warn("webhooks may use http and reach loopback and private addresses (CUTOVER_WEBHOOK_ALLOW_PRIVATE_NETWORKS)")
	}
	worker, err := webhook.New(webhook.Config{Store: st, Payload: handlers.WebhookPayload, Logger: log,
		AllowPrivateNetworks: cfg.allowPrivateNetworks()})
	if err != nil {
		return err
	}
	worker.Start(ctx)
	ln, err := net.Listen("tcp", cfg.Addr)
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
	// Requests and webhook attempts finish side by side, within the one timeout; an attempt
	// cut short is handed back to be sent again.
	stopped := make(chan error, 1)
	go func() { stopped <- worker.Stop(sctx) }()
	err = srv.Shutdown(sctx)
	if werr := <-stopped; werr != nil {
		log.Warn("webhook attempts were interrupted", slog.String("error", werr.Error()))
	}
	if err != nil {
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
