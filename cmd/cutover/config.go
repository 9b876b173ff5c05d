package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/handlers"
)

// config is every setting of the server. Each has a flag and a CUTOVER_ environment variable; a
// flag wins over the variable, the variable over the default. The defaults run with no
// configuration at all.
type config struct {
	Addr            string
	DatabaseURL     string
	AdminToken      string
	LogFormat       string
	LogLevel        string
	PatientGuard    string
	RateLimit       string
	RateBurst       string
	CORSOrigins     string
	ShutdownTimeout time.Duration
	MetricsAddr     string
	// WebhookAllowPrivate is "true" to let webhooks use http and private addresses.
	WebhookAllowPrivate string
}

type setting struct {
	name, env, def, usage string
	dst                   *string
}

func (c *config) settings() []setting {
	return []setting{
		{"addr", "CUTOVER_ADDR", ":8080", "address to listen on", &c.Addr},
		{"database-url", "CUTOVER_DATABASE_URL", "cutover.db", "SQLite file path or sqlite: URL, or a postgres:// URL", &c.DatabaseURL},
		{"admin-token", "CUTOVER_ADMIN_TOKEN", "", "value of the first admin token, created on an empty database (random when empty)", &c.AdminToken},
		{"log-format", "CUTOVER_LOG_FORMAT", "text", "log format: text or json", &c.LogFormat},
		{"log-level", "CUTOVER_LOG_LEVEL", "info", "log level: debug, info, warn or error", &c.LogLevel},
		{"patient-data-guard", "CUTOVER_PATIENT_DATA_GUARD", "block", "free text that looks like patient data: block (422) or warn (accept, flag it)", &c.PatientGuard},
		{"rate-limit", "CUTOVER_RATE_LIMIT", "50", "requests per second allowed per API token on average (0: no limit)", &c.RateLimit},
		{"rate-burst", "CUTOVER_RATE_BURST", "100", "requests per API token allowed at once", &c.RateBurst},
		{"cors-origins", "CUTOVER_CORS_ORIGINS", "", "comma-separated browser origins allowed to call the API (none when empty)", &c.CORSOrigins},
		{"metrics-addr", "CUTOVER_METRICS_ADDR", "", "serve /metrics on this address of its own (e.g. 127.0.0.1:9090) instead of on --addr", &c.MetricsAddr},
		{"webhook-allow-private-networks", "CUTOVER_WEBHOOK_ALLOW_PRIVATE_NETWORKS", "false", "let webhook URLs use http and point at loopback and private addresses (tests, on-premises receivers)", &c.WebhookAllowPrivate},
	}
}

// parseConfig reads flags over environment variables over defaults.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, only ...string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("cutover "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var shutdown string
	all := append(c.settings(), setting{"shutdown-timeout", "CUTOVER_SHUTDOWN_TIMEOUT", "30s", "how long to finish in-flight work on SIGTERM", &shutdown})
	for _, s := range all {
		if len(only) > 0 && !contains(only, s.name) {
			continue
		}
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.name, def, fmt.Sprintf("%s (env %s)", s.usage, s.env))
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cutover %s [flags]\n\nFlags (each also set by its environment variable):\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cutover %s: unexpected arguments %q\n", name, fs.Args())
		return nil, errUsage
	}
	if shutdown != "" {
		d, err := time.ParseDuration(shutdown)
		if err != nil {
			return nil, fmt.Errorf("shutdown-timeout %q: %w", shutdown, err)
		}
		c.ShutdownTimeout = d
	}
	if c.RateLimit != "" {
		if _, err := strconv.ParseFloat(c.RateLimit, 64); err != nil {
			return nil, fmt.Errorf("rate-limit %q: want a number of requests per second", c.RateLimit)
		}
	}
	if c.RateBurst != "" {
		if _, err := strconv.Atoi(c.RateBurst); err != nil {
			return nil, fmt.Errorf("rate-burst %q: want a whole number", c.RateBurst)
		}
	}
	if c.WebhookAllowPrivate != "" && c.WebhookAllowPrivate != "true" && c.WebhookAllowPrivate != "false" {
		return nil, fmt.Errorf("webhook-allow-private-networks must be true or false, not %q", c.WebhookAllowPrivate)
	}
	if c.PatientGuard != "" && c.PatientGuard != "block" && c.PatientGuard != "warn" {
		return nil, fmt.Errorf("patient-data-guard must be block or warn, not %q", c.PatientGuard)
	}
	return c, nil
}

var errHelp = fmt.Errorf("help shown")

// allowPrivateNetworks reports whether webhooks may reach private addresses.
func (c *config) allowPrivateNetworks() bool { return c.WebhookAllowPrivate == "true" }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log-level %q: %w", c.LogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log-format must be text or json, not %q", c.LogFormat)
}

// rateLimit is the per-token limit the flags describe.
func (c *config) rateLimit() handlers.RateLimit {
	r, _ := strconv.ParseFloat(c.RateLimit, 64) // checked in parseConfig
	b, _ := strconv.Atoi(c.RateBurst)
	return handlers.RateLimit{Rate: r, Burst: b}
}

// corsOrigins splits the comma-separated origin list.
func (c *config) corsOrigins() []string {
	var out []string
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
