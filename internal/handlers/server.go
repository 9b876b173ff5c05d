// Package handlers is cutover's HTTP layer: it implements the strict server interface generated
// from api/openapi.yaml, translating between API and domain shapes, and owns the middleware
// (request ids, logging, authentication, spec validation) and the one place where errors become
// problem responses. It holds no SQL: data comes from the store, rules from the domain packages.
package handlers

import (
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/webhook"
)

// Server implements the API on a store.
type Server struct {
	store     *store.Store
	templates *checklist.Library
	log       *slog.Logger
	now       func() time.Time
	guard     GuardMode
	stopping  <-chan struct{} // closed when the server shuts down; nil: never

	allowPrivateNetworks bool             // webhook URLs may be http and point at private addresses
	resolver             webhook.Resolver // looks webhook hosts up; net.DefaultResolver when nil
}

var _ api.StrictServerInterface = (*Server)(nil)

// GuardMode says what happens to free text that looks like patient data.
type GuardMode string

// The patient-data guard modes.
const (
	GuardBlock GuardMode = "block" // refuse with 422 (the default)
	GuardWarn  GuardMode = "warn"  // accept, and say so in the log and the response
)

type callerKey struct{}

// withCaller stores who is calling in the request's context.
func withCaller(ctx context.Context, who cutover.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, who)
}

// callerFrom returns who is calling. Every /v1 route runs behind authentication, so a request
// without a caller is a wiring bug, not a client error.
func callerFrom(ctx context.Context) cutover.Caller {
	who, ok := ctx.Value(callerKey{}).(cutover.Caller)
	if !ok {
		panic("handlers: no caller in context: the route is missing authentication")
	}
	return who
}

// etag is the strong entity tag of a resource version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads an If-Match header into the version it names: nil for no header or "*", and an
// impossible version for a tag that cannot be ours (a weak or malformed one never matches).
func ifMatch(h *string) *int {
	if h == nil {
		return nil
	}
	v := strings.TrimSpace(*h)
	if v == "*" {
		return nil
	}
	if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
		return &n
	}
	none := -1
	return &none
}

// notModified reports whether an If-None-Match header already holds the current tag.
func notModified(h *string, current string) bool {
	if h == nil {
		return false
	}
	for _, tag := range strings.Split(*h, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == current {
			return true
		}
	}
	return false
}

type requestKey struct{}

// requestURLFrom returns the URL of the request being served, for Link headers.
func requestURLFrom(ctx context.Context) *url.URL {
	u, _ := ctx.Value(requestKey{}).(*url.URL)
	return u
}

// nextLink builds the Link header of a page: the same request with the next cursor.
func nextLink(ctx context.Context, next string) *string {
	if next == "" {
		return nil
	}
	u := requestURLFrom(ctx)
	if u == nil {
		return nil
	}
	q := u.Query()
	q.Set("cursor", next)
	link := "<" + u.Path + "?" + q.Encode() + `>; rel="next"`
	return &link
}

// page turns the API's paging parameters into the store's.
func page(limit *int, cursor *string) store.Page {
	p := store.Page{}
	if limit != nil {
		p.Limit = *limit
	}
	if cursor != nil {
		p.Cursor = *cursor
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
