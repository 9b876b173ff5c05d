package handlers

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

func init() {
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
		if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
			return fmt.Errorf("not a UUID")
		}
		return nil
	}))
	openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			return fmt.Errorf("not an e-mail address")
		}
		return nil
	}))
}

// validator checks every request against the spec before it reaches a handler. The route is
// looked up from the path echo matched, so kin-openapi's own router never runs.
type validator struct {
	routes map[string]*routers.Route // "METHOD /echo/:path"
	opts   *openapi3filter.Options
}

func newValidator(doc *openapi3.T) *validator {
	v := &validator{
		routes: map[string]*routers.Route{},
		opts: &openapi3filter.Options{
			MultiError:         true,
			KeepValidatedValue: true, // the strict handler binds the value already decoded here
			// Authentication has its own middleware, before this one.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			// Schema errors must never carry the rejected value: it could be an NHS number, and
			// errors end up in logs.
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
		},
	}
	for path, item := range doc.Paths.Map() {
		echoPath := toEchoPath(path)
		for method, op := range item.Operations() {
			// Authentication is authMiddleware's. Left to kin-openapi, the security check would
			// only call a no-op function, after reading the request body into memory and
			// swapping the request's readers (pprof: 3 allocations and a body copy a request),
			// so the validator sees each operation with no security requirement. The spec
			// served to clients is unchanged.
			checked := *op
			checked.Security = &openapi3.SecurityRequirements{}
			v.routes[method+" "+echoPath] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: &checked}
		}
	}
	return v
}

// toEchoPath turns /v1/migrations/{migration_id} into /v1/migrations/:migration_id.
func toEchoPath(p string) string {
	var b strings.Builder
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			continue
		}
		b.WriteByte('/')
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			b.WriteByte(':')
			b.WriteString(seg[1 : len(seg)-1])
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

// has reports whether method and echo path are an operation of the spec.
func (v *validator) has(method, path string) bool {
	_, ok := v.routes[method+" "+path]
	return ok
}

func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		route, ok := v.routes[c.Request().Method+" "+c.Path()]
		if !ok {
			return next(c) // not an API operation (docs, metrics) or not a route at all
		}
		params := make(map[string]string, len(c.ParamNames()))
		for i, name := range c.ParamNames() {
			params[name] = c.ParamValues()[i]
		}
		in := &openapi3filter.RequestValidationInput{Request: c.Request(), PathParams: params, Route: route, Options: v.opts}
		if err := openapi3filter.ValidateRequest(context.WithoutCancel(c.Request().Context()), in); err != nil {
			return &invalidRequest{err: err}
		}
		return next(c)
	}
}
