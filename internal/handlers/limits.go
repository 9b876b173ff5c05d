package handlers

import (
	"math"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// RateLimit is how many requests a token may make: Rate per second on average, Burst at once.
// A zero Rate turns limiting off.
type RateLimit struct {
	Rate  float64
	Burst int
}

// limiter keeps one token bucket per key (a token id, or a client address for failed
// authentication). Buckets idle for ten minutes are dropped, so the map stays small.
type limiter struct {
	mu      sync.Mutex
	limit   RateLimit
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(l RateLimit) *limiter {
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return &limiter{limit: l, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket, or says how long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit.Rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.limit.Rate), l.limit.Burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func retryAfter(d time.Duration) *rateLimited {
	return &rateLimited{retryAfter: int(math.Ceil(d.Seconds()))}
}

// securityHeaders sets what every answer should carry. API answers are never cached: they hold
// an organisation's data and a shared cache must not keep them.
func securityHeaders() echo.MiddlewareFunc {
	// The values are shared, read-only slices: Header.Set would allocate one per header per
	// request. Nothing appends to a response header's values after this.
	var (
		nosniff  = []string{"nosniff"}
		noRef    = []string{"no-referrer"}
		deny     = []string{"DENY"}
		noStore  = []string{"no-store"}
		policy   = []string{"default-src 'none'; frame-ancestors 'none'"} // JSON is never a page
		keyOpts  = textproto.CanonicalMIMEHeaderKey("X-Content-Type-Options")
		keyRef   = textproto.CanonicalMIMEHeaderKey("Referrer-Policy")
		keyFrame = textproto.CanonicalMIMEHeaderKey("X-Frame-Options")
		keyCache = textproto.CanonicalMIMEHeaderKey("Cache-Control")
		keyCSP   = textproto.CanonicalMIMEHeaderKey("Content-Security-Policy")
	)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h[keyOpts], h[keyRef], h[keyFrame] = nosniff, noRef, deny
			if strings.HasPrefix(c.Request().URL.Path, "/v1/") {
				// If a browser is tricked into rendering an answer, it may do nothing.
				h[keyCache], h[keyCSP] = noStore, policy
			}
			return next(c)
		}
	}
}

// cors allows browser calls from the configured origins only (none by default), exposing the
// headers a client needs for optimistic locking and paging.
func cors(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "If-None-Match", "Idempotency-Key"},
		ExposeHeaders: []string{"ETag", "Link", "Location", "Retry-After", echo.HeaderXRequestID},
		MaxAge:        600,
	})
}
