package handlers

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
)

func init() {
	// The validator needs a decoder for every media type the spec declares. Text bodies are plain
	// strings to it: kin-openapi's own CSV decoder refuses a ragged row as a parse error worded
	// for JSON, and the import names bad rows itself, row by row.
	for _, mt := range []string{"text/csv", "text/html", "text/markdown", "text/calendar"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.PlainBodyDecoder)
	}
}

type acceptKey struct{}

// acceptHeader keeps the request's Accept header in its context: the strict handlers see only
// the context, and the outputs choose their format by it.
func acceptHeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if a := req.Header.Get(echo.HeaderAccept); a != "" {
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), acceptKey{}, a)))
		}
		return next(c)
	}
}

func acceptFrom(ctx context.Context) string {
	a, _ := ctx.Value(acceptKey{}).(string)
	return a
}

// notAcceptable is an Accept header that allows none of what an operation can answer in.
type notAcceptable struct{ offers []string }

func (e *notAcceptable) Error() string {
	return "not acceptable: available as " + strings.Join(e.offers, ", ")
}

// negotiate picks what to answer in: of the offers, in the server's order of preference, the one
// the Accept header gives the highest quality. Each offer takes its quality from the most specific
// media range that matches it (RFC 9110, 12.5.1). No header means the first offer; a header that
// allows none of them is a notAcceptable.
func negotiate(accept string, offers ...string) (string, error) {
	if strings.TrimSpace(accept) == "" {
		return offers[0], nil
	}
	type mediaRange struct {
		typ, sub string
		q        float64
	}
	var ranges []mediaRange
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue // a malformed range allows nothing
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			} else {
				q = 0
			}
		}
		ranges = append(ranges, mediaRange{typ, sub, q})
	}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		typ, sub, _ := strings.Cut(offer, "/")
		q, specificity := 0.0, -1
		for _, r := range ranges {
			var s int
			switch {
			case r.typ == typ && r.sub == sub:
				s = 2
			case r.typ == typ && r.sub == "*":
				s = 1
			case r.typ == "*" && r.sub == "*":
				s = 0
			default:
				continue
			}
			if s > specificity {
				q, specificity = r.q, s
			}
		}
		if q > bestQ {
			best, bestQ = offer, q
		}
	}
	if best == "" {
		return "", &notAcceptable{offers: offers}
	}
	return best, nil
}

// textResponse is a 200 whose body is already rendered text. The generated responses set a bare
// media type; these add the charset, since a CSV or Markdown file without one is read as ASCII
// (or Windows-1252 by spreadsheets).
type textResponse struct {
	contentType string
	header      map[string]string
	body        []byte
}

func (r textResponse) write(w http.ResponseWriter) error {
	h := w.Header()
	h.Set(echo.HeaderContentType, r.contentType)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(r.body)))
	for k, v := range r.header {
		h.Set(k, v)
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(r.body)
	return err
}

func (r textResponse) VisitGetChecklistResponse(w http.ResponseWriter) error    { return r.write(w) }
func (r textResponse) VisitGetCalendarResponse(w http.ResponseWriter) error     { return r.write(w) }
func (r textResponse) VisitGetCalendarFeedResponse(w http.ResponseWriter) error { return r.write(w) }
func (r textResponse) VisitGetPortfolioResponse(w http.ResponseWriter) error    { return r.write(w) }
