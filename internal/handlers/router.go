package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/metrics"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is what the router needs; zero values are sensible defaults.
type Config struct {
	Store     *store.Store
	Logger    *slog.Logger
	Guard     GuardMode
	Now       func() time.Time
	BodyLimit string // e.g. "1M"
	// RateLimit is each token's request rate; zero turns it off.
	RateLimit RateLimit
	// CORSOrigins are the browser origins allowed to call the API; none by default.
	CORSOrigins []string
	// Metrics receives request metrics and is served at /metrics; a fresh registry watching the
	// store when nil.
	Metrics *metrics.Metrics
	// MetricsElsewhere leaves /metrics off this router: the server serves it on its own listener.
	MetricsElsewhere bool
	// Stopping is closed when the server begins to shut down: long polls answer at once instead
	// of holding the shutdown up for their whole wait.
	Stopping <-chan struct{}
	// AllowPrivateNetworks lets webhook URLs use http and point at loopback and private
	// addresses (CUTOVER_WEBHOOK_ALLOW_PRIVATE_NETWORKS), for tests and on-premises receivers.
	AllowPrivateNetworks bool
	// IdempotencyWait is how long a retry waits for the first request with its Idempotency-Key
	// to finish before a 409; 10 s when zero.
	IdempotencyWait time.Duration
}

// NewRouter builds the HTTP handler of the service: middleware, the generated routes and the
// spec itself. It is what `cutover serve` runs and what the tests exercise.
func NewRouter(cfg Config) (*echo.Echo, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// To the microsecond, in UTC: what the databases keep, so a write answers what a read will.
	clock := cfg.Now
	cfg.Now = func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	if cfg.Guard == "" {
		cfg.Guard = GuardBlock
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "1M"
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
		if err := cfg.Metrics.WatchStore(cfg.Store.Pools(), cfg.Store.WriteQueueLength); err != nil {
			return nil, err
		}
	}
	if cfg.IdempotencyWait <= 0 {
		cfg.IdempotencyWait = idempotencyWait
	}
	spec, err := openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	// The JSON form is the same document as the YAML one, operation ids and all (the copy
	// oapi-codegen embeds renames them after Go).
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode spec as JSON: %w", err)
	}
	spec.Servers = nil // validate paths as they are, whatever host serves them
	templates := cfg.Store.Templates()
	if templates == nil {
		templates = checklist.Builtin()
	}
	srv := &Server{store: cfg.Store, templates: templates, log: cfg.Logger, now: cfg.Now, guard: cfg.Guard, stopping: cfg.Stopping,
		allowPrivateNetworks: cfg.AllowPrivateNetworks}
	val := newValidator(spec)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	e.Use(observe(cfg.Metrics)) // outermost: it sees the status the client gets, errors included
	e.Use(middleware.RequestID())
	e.Use(requestLogger(cfg.Logger))
	e.Use(recoverer(cfg.Logger))
	e.Use(securityHeaders())
	e.Use(cors(cfg.CORSOrigins)) // before authentication: a preflight carries no token
	e.Use(middleware.BodyLimit(cfg.BodyLimit))
	// Failed authentications: at most 10 a second per client address, bursts of 20.
	e.Use(authMiddleware(cfg.Store, val.has, newLimiter(cfg.RateLimit), newLimiter(RateLimit{Rate: 10, Burst: 20}), cfg.Now))
	e.Use(val.middleware)
	e.Use(acceptHeader)
	// After validation: a request that is refused as malformed never claims its key.
	e.Use(idempotency(cfg.Store, cfg.Now, cfg.IdempotencyWait, cfg.Logger))

	api.RegisterHandlers(e, api.NewStrictHandler(srv, nil))
	docs, err := docsHandler()
	if err != nil {
		return nil, err
	}
	e.GET("/docs", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/docs/") })
	e.GET("/docs/*", docs)
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", apispec.OpenAPIYAML)
	})
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, specJSON)
	})
	if !cfg.MetricsElsewhere {
		// Outside /v1, so no bearer token: restrict it by where the server listens or at the
		// proxy, or serve it on a listener of its own (CUTOVER_METRICS_ADDR).
		e.GET("/metrics", echo.WrapHandler(MetricsHandler(cfg.Metrics)))
	}
	return e, nil
}

// observe counts every request by its route template and the status it was answered with.
func observe(m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			status := c.Response().Status
			if !c.Response().Committed {
				// An error nothing inside handled yet: echo answers it after this returns.
				status = problemFor(err).Status
				if err == nil {
					status = http.StatusOK
				}
			}
			route := c.Path()
			if route == "" || route == "/*" {
				route = "unmatched" // one series for every unknown path, not one per path
			}
			m.ObserveRequest(c.Request().Method, route, status, time.Since(start))
			return err
		}
	}
}

// requestLogger logs one line per request with its request id. It never logs bodies or query
// strings: free text could hold patient data however hard the guard tries.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, LogRequestID: true, LogRoutePath: true,
		HandleError: true, // error responses are written before the line, so it logs their status
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("request_id", v.RequestID), slog.String("method", v.Method),
				slog.String("route", v.RoutePath), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency))
			return nil
		},
	})
}

// recoverer turns a panic into a 500 problem and logs the panic with the request id.
func recoverer(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if p := recover(); p != nil {
					if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
						panic(p) // net/http's own way of aborting a response: let it through
					}
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return next(c)
		}
	}
}

// MetricsHandler serves a registry in the Prometheus text format (OpenMetrics when asked).
func MetricsHandler(m *metrics.Metrics) http.Handler {
	return promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{Registry: m.Registry(), EnableOpenMetrics: true})
}
