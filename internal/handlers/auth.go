package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/labstack/echo/v4"
)

// requiredRole is the access rule of every /v1 operation, in one place: reading needs a viewer,
// changing data an editor, and tokens and webhooks an admin. Operator-only rules (organisations)
// are checked by their handlers on top of this.
func requiredRole(method, path string) cutover.TokenRole {
	switch {
	case strings.HasPrefix(path, "/v1/tokens"), strings.HasPrefix(path, "/v1/webhooks"):
		return cutover.RoleAdmin
	case strings.HasPrefix(path, "/v1/organisations/:organisation_id/template-additions"):
		// Additions change every checklist the organisation creates from then on: admins write
		// them, anyone of the organisation may read them.
		if method == http.MethodGet || method == http.MethodHead {
			return cutover.RoleViewer
		}
		return cutover.RoleAdmin
	case strings.HasPrefix(path, "/v1/organisations") && method != http.MethodGet:
		return cutover.RoleAdmin
	case method == http.MethodGet, method == http.MethodHead:
		return cutover.RoleViewer
	}
	return cutover.RoleEditor
}

// calendarFeedRoute is the one /v1 operation without a bearer token: calendar apps cannot send
// one, so the secret key in the feed's URL is the credential, and the store checks it.
const calendarFeedRoute = "/v1/calendar-feeds/:feed_id/calendar.ics"

// authenticator resolves the bearer token of every /v1 request into a caller.
type authenticator interface {
	Authenticate(ctx context.Context, token string) (cutover.Caller, error)
}

// authMiddleware authenticates /v1 requests and applies each token's rate limit. known tells the
// operations of the spec: the role rule applies to them, so an unknown route is a 404 for every
// role. Failed authentications are rate limited per client address, against token guessing.
func authMiddleware(auth authenticator, known func(method, path string) bool, perToken, perClient *limiter, now func() time.Time) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !strings.HasPrefix(req.URL.Path, "/v1/") && req.URL.Path != "/v1" || c.Path() == calendarFeedRoute {
				return next(c)
			}
			refuse := func(err error) error {
				if ok, wait := perClient.allow(c.RealIP(), now()); !ok {
					return retryAfter(wait)
				}
				return err
			}
			scheme, token, ok := strings.Cut(req.Header.Get(echo.HeaderAuthorization), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				return refuse(cutover.ErrUnauthenticated)
			}
			who, err := auth.Authenticate(req.Context(), strings.TrimSpace(token))
			if errors.Is(err, cutover.ErrUnauthenticated) {
				return refuse(err)
			}
			if err != nil {
				return err
			}
			if ok, wait := perToken.allow(who.TokenID.String(), now()); !ok {
				return retryAfter(wait)
			}
			if need := requiredRole(req.Method, c.Path()); known(req.Method, c.Path()) && !who.Role.Allows(need) {
				return &cutover.ForbiddenError{Need: need, Have: who.Role}
			}
			ctx := withCaller(req.Context(), who)
			ctx = context.WithValue(ctx, requestKey{}, req.URL)
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}
