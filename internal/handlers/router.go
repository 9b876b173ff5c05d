package handlers

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Config is what the router needs; zero values are sensible defaults.
type Config struct {
	Store     *store.Store
	Logger    *slog.Logger
	Guard     GuardMode
	Now       func() time.Time
	BodyLimit string // e.g. "1M"
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
	if cfg.Guard == "" {
		cfg.Guard = GuardBlock
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "1M"
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
	srv := &Server{store: cfg.Store, templates: templates, log: cfg.Logger, now: cfg.Now, guard: cfg.Guard,
		allowPrivateNetworks: cfg.AllowPrivateNetworks}
	val := newValidator(spec)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	e.Use(middleware.RequestID())
	e.Use(requestLogger(cfg.Logger))
	e.Use(recoverer(cfg.Logger))
	e.Use(middleware.BodyLimit(cfg.BodyLimit))
	e.Use(authMiddleware(cfg.Store, val.has))
	e.Use(val.middleware)
	// After validation: a request that is refused as malformed never claims its key.
	e.Use(idempotency(cfg.Store, cfg.Now, cfg.IdempotencyWait, cfg.Logger))

	api.RegisterHandlers(e, api.NewStrictHandler(srv, nil))
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", apispec.OpenAPIYAML)
	})
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, specJSON)
	})
	return e, nil
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
					if p == http.ErrAbortHandler {
						panic(p)
					}
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return next(c)
		}
	}
}
