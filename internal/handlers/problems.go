package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
)

// problemType is the stable URI of a kind of problem.
func problemType(kind string) string { return "urn:cutover:problem:" + kind }

// problem is an error as the client will see it.
type problem struct {
	Status     int
	Kind       string
	Title      string
	Detail     string
	Errors     []cutover.FieldError
	OpenTasks  []cutover.OpenTask
	Missing    []string
	RetryAfter int // seconds, for 429
}

// invalidRequest wraps what the spec validator rejected.
type invalidRequest struct{ err error }

func (e *invalidRequest) Error() string { return "invalid request: " + e.err.Error() }
func (e *invalidRequest) Unwrap() error { return e.err }

// rateLimited is a request over its token's rate.
type rateLimited struct{ retryAfter int }

func (e *rateLimited) Error() string { return "rate limited" }

// problemFor is the one place an error gets an HTTP status. Anything it does not know is a 500
// whose cause goes to the log, never into the body.
func problemFor(err error) problem {
	var (
		invalid   *cutover.ValidationError
		conflict  *cutover.ConflictError
		gate      *cutover.GateError
		forbidden *cutover.ForbiddenError
		reqErr    *invalidRequest
		limited   *rateLimited
		httpErr   *echo.HTTPError
		notAcc    *notAcceptable
	)
	switch {
	case errors.Is(err, echo.ErrStatusRequestEntityTooLarge): // arrives wrapped inside the validator's error
		return problem{Status: 413, Kind: "body-too-large", Title: "The request body is too large",
			Detail: "Request bodies are limited to 1 MiB."}
	case errors.As(err, &reqErr):
		return requestProblem(reqErr.err)
	case errors.As(err, &invalid):
		return problem{Status: invalid.Status, Kind: invalid.Kind, Title: invalid.Title, Errors: invalid.Fields,
			Detail: fieldsDetail(invalid)}
	case errors.Is(err, cutover.ErrUnauthenticated):
		return problem{Status: 401, Kind: "unauthorized", Title: "Authentication required",
			Detail: "Send a valid, unexpired API token as 'Authorization: Bearer <token>'."}
	case errors.As(err, &forbidden):
		detail := fmt.Sprintf("This needs the %s role; the token has %s.", forbidden.Need, forbidden.Have)
		if forbidden.Why != "" {
			detail = strings.ToUpper(forbidden.Why[:1]) + forbidden.Why[1:] + "."
		}
		return problem{Status: 403, Kind: "forbidden", Title: "Not allowed", Detail: detail}
	case errors.Is(err, cutover.ErrNotFound):
		// 404, not 403: saying another organisation's resource exists would leak it.
		return problem{Status: 404, Kind: "not-found", Title: "Not found", Detail: "There is no such resource."}
	case errors.Is(err, cutover.ErrStale):
		return problem{Status: 412, Kind: "stale", Title: "The resource has changed",
			Detail: "If-Match does not match the current ETag; nothing was changed. Fetch the resource again and retry."}
	case errors.As(err, &gate):
		return problem{Status: 409, Kind: "gate-shut", Title: "The stage has open tasks", OpenTasks: gate.Open,
			Detail: fmt.Sprintf("%d tasks of %s are still todo or in progress; finish them or mark them not_applicable first.", len(gate.Open), gate.Stage)}
	case errors.As(err, &conflict):
		return problem{Status: 409, Kind: conflict.Kind, Title: conflict.Title, Detail: conflict.Detail, Missing: conflict.Missing}
	case errors.As(err, &notAcc):
		return problem{Status: 406, Kind: "not-acceptable", Title: "No acceptable format",
			Detail: "This resource is available as " + strings.Join(notAcc.offers, ", ") + "; ask for one of them in Accept (or use the format parameter)."}
	case errors.As(err, &limited):
		return problem{Status: 429, Kind: "rate-limited", Title: "Too many requests", RetryAfter: limited.retryAfter,
			Detail: "This token has sent too many requests; retry after the number of seconds in Retry-After."}
	case errors.As(err, &httpErr):
		return echoProblem(httpErr)
	}
	return problem{Status: 500, Kind: "internal", Title: "Internal server error",
		Detail: "Something went wrong on our side; quote the request id when you report it."}
}

func fieldsDetail(v *cutover.ValidationError) string {
	switch len(v.Fields) {
	case 0:
		return v.Title + "."
	case 1:
		return v.Fields[0].Field + " " + v.Fields[0].Message + "."
	}
	return fmt.Sprintf("%d fields are not valid; see errors.", len(v.Fields))
}

func echoProblem(e *echo.HTTPError) problem {
	switch e.Code {
	case http.StatusNotFound:
		return problem{Status: 404, Kind: "not-found", Title: "Not found", Detail: "There is no such resource."}
	case http.StatusMethodNotAllowed:
		return problem{Status: 405, Kind: "method-not-allowed", Title: "Method not allowed",
			Detail: "This resource does not support that method."}
	case http.StatusRequestEntityTooLarge:
		return problem{Status: 413, Kind: "body-too-large", Title: "The request body is too large", Detail: "Request bodies are limited to 1 MiB."}
	case http.StatusUnsupportedMediaType:
		return problem{Status: 415, Kind: "unsupported-media-type", Title: "Unsupported media type", Detail: "Send the body as application/json."}
	}
	if e.Code >= 400 && e.Code < 500 {
		return problem{Status: e.Code, Kind: "invalid-request", Title: http.StatusText(e.Code), Detail: http.StatusText(e.Code) + "."}
	}
	return problem{Status: 500, Kind: "internal", Title: "Internal server error",
		Detail: "Something went wrong on our side; quote the request id when you report it."}
}

// requestProblem turns what kin-openapi rejected into field errors a person can act on. It uses
// the schema errors' pointers and reasons only: their Error() text includes the rejected value,
// which could be an NHS number.
func requestProblem(err error) problem {
	var fields []cutover.FieldError
	status := 400
	collectRequestErrors(err, &fields, &status)
	if status == 415 {
		return problem{Status: 415, Kind: "unsupported-media-type", Title: "Unsupported media type",
			Detail: "Send the body as application/json (or application/merge-patch+json for PATCH)."}
	}
	if len(fields) == 0 {
		fields = []cutover.FieldError{{Field: "body", Message: "is not valid"}}
	}
	v := &cutover.ValidationError{Status: 400, Kind: "invalid-request", Title: "The request is not valid", Fields: fields}
	return problem{Status: 400, Kind: v.Kind, Title: v.Title, Errors: fields, Detail: fieldsDetail(v)}
}

func collectRequestErrors(err error, out *[]cutover.FieldError, status *int) {
	// A MultiError's As finds its first member only: walk it by hand.
	if multi, ok := err.(openapi3.MultiError); ok { //nolint:errorlint // a MultiError's As finds its first member only
		for _, e := range multi {
			collectRequestErrors(e, out, status)
		}
		return
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			*out = append(*out, schemaFieldError("", se))
		}
		return
	}
	switch {
	case re.Parameter != nil:
		name := re.Parameter.Name
		var inner openapi3.MultiError
		var se *openapi3.SchemaError
		switch {
		case errors.As(re.Err, &inner):
			for _, e := range inner {
				if errors.As(e, &se) {
					*out = append(*out, schemaFieldError(name, se))
				}
			}
		case errors.As(re.Err, &se):
			*out = append(*out, schemaFieldError(name, se))
		case re.Err != nil && strings.Contains(re.Err.Error(), "value is required"):
			*out = append(*out, cutover.FieldError{Field: name, Message: "is required"})
		default:
			*out = append(*out, cutover.FieldError{Field: name, Message: "is not valid: " + safeReason(re.Reason)})
		}
	case re.RequestBody != nil:
		if strings.Contains(re.Reason, "header Content-Type") || strings.Contains(re.Reason, "unsupported content type") {
			*status = 415
			return
		}
		var parse *openapi3filter.ParseError
		var inner openapi3.MultiError
		var se *openapi3.SchemaError
		switch {
		case errors.As(re.Err, &parse):
			*out = append(*out, cutover.FieldError{Field: "body", Message: "is not valid JSON" + parseWhere(parse)})
		case errors.As(re.Err, &inner):
			for _, e := range inner {
				if errors.As(e, &se) {
					*out = append(*out, schemaFieldError("", se))
				}
			}
		case errors.As(re.Err, &se):
			*out = append(*out, schemaFieldError("", se))
		case strings.Contains(re.Reason, "has not been found"), strings.Contains(re.Reason, "value is required"):
			*out = append(*out, cutover.FieldError{Field: "body", Message: "is required: send a JSON object"})
		default:
			*out = append(*out, cutover.FieldError{Field: "body", Message: "is not valid: " + safeReason(re.Reason)})
		}
	default:
		*out = append(*out, cutover.FieldError{Field: "request", Message: safeReason(re.Reason)})
	}
}

// schemaFieldError names the field by its JSON pointer, dotted, and says what is wrong in the
// schema's own words where the bare reason would not help a person.
func schemaFieldError(prefix string, se *openapi3.SchemaError) cutover.FieldError {
	path := se.JSONPointer()
	field := strings.Join(path, ".")
	reason := se.Reason
	if se.SchemaField == "additionalProperties" || strings.HasPrefix(reason, "property \"") && strings.HasSuffix(reason, "\" is unsupported") {
		if name, ok := quoted(reason); ok {
			field = join(field, name)
			reason = "is not a field of this request; check the spelling against the API reference"
		}
	}
	if se.SchemaField == "required" {
		if name, ok := quoted(reason); ok && (len(path) == 0 || path[len(path)-1] != name) {
			field = join(field, name)
		}
		reason = "is required"
	}
	if se.Schema != nil && (se.SchemaField == "pattern" || se.SchemaField == "format") && se.Schema.Description != "" {
		reason = "is not valid: " + strings.TrimSuffix(lowerFirst(se.Schema.Description), ".")
	}
	if se.Schema != nil && se.SchemaField == "format" {
		switch se.Schema.Format {
		case "date":
			reason = "must be a real calendar date written YYYY-MM-DD"
		case "date-time":
			reason = "must be an RFC 3339 timestamp such as 2027-03-12T09:00:00Z"
		case "uuid":
			reason = "must be a UUID such as 0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01"
		case "email":
			reason = "must be an e-mail address such as name@example.nhs.uk"
		}
	}
	if prefix != "" {
		field = join(prefix, field)
	}
	if field == "" {
		field = "body"
	}
	return cutover.FieldError{Field: field, Message: reason}
}

func quoted(s string) (string, bool) {
	i := strings.IndexByte(s, '"')
	j := strings.LastIndexByte(s, '"')
	if i < 0 || j <= i {
		return "", false
	}
	return s[i+1 : j], true
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "." + b
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// safeReason keeps the first clause of a reason: kin-openapi appends values after a colon.
func safeReason(r string) string {
	if i := strings.IndexByte(r, ':'); i > 0 {
		r = r[:i]
	}
	if r == "" {
		return "is not valid"
	}
	return r
}

func parseWhere(p *openapi3filter.ParseError) string {
	var syn *json.SyntaxError
	if errors.As(p, &syn) {
		return " (at byte " + strconv.FormatInt(syn.Offset, 10) + ")"
	}
	return ""
}

// errorHandler writes every error as application/problem+json. echo's request logger calls it
// first when it logs an error, so it does nothing for a response already sent.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := problemFor(err)
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", slog.String("request_id", rid),
				slog.String("method", c.Request().Method), slog.String("path", c.Path()), slog.String("error", err.Error()))
		}
		body := api.Problem{Type: problemType(p.Kind), Title: p.Title, Status: p.Status, Detail: p.Detail}
		if rid != "" {
			body.RequestId = &rid
		}
		path := c.Request().URL.Path
		body.Instance = &path
		if len(p.Errors) > 0 {
			errs := make([]api.FieldError, len(p.Errors))
			for i, f := range p.Errors {
				errs[i] = api.FieldError{Field: f.Field, Message: f.Message}
			}
			body.Errors = &errs
		}
		if len(p.OpenTasks) > 0 {
			open := make([]api.OpenTask, len(p.OpenTasks))
			for i, t := range p.OpenTasks {
				open[i] = api.OpenTask{Id: t.ID, Title: t.Title, Status: api.TaskStatus(t.Status)}
			}
			body.OpenTasks = &open
		}
		if len(p.Missing) > 0 {
			body.Missing = &p.Missing
		}
		h := c.Response().Header()
		switch p.Status {
		case 401:
			h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="cutover"`)
		case 429:
			h.Set(echo.HeaderRetryAfter, strconv.Itoa(max(p.RetryAfter, 1)))
		}
		h.Set(echo.HeaderContentType, "application/problem+json")
		h.Set("Cache-Control", "no-store")
		c.Response().WriteHeader(p.Status)
		if c.Request().Method != http.MethodHead {
			enc := json.NewEncoder(c.Response())
			enc.SetEscapeHTML(false)
			_ = enc.Encode(body)
		}
	}
}
