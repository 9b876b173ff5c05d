package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/getkin/kin-openapi/openapi3"
)

// Bad input of every kind is a 4xx problem naming what is wrong, never a 500.
func TestBadInputIsAProblem(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "agree-fdp-date")
	valid := fmtJSON(newMigration("A81009"))
	for _, tc := range []struct {
		name   string
		r      req
		status int
		kind   string
		fields []string
	}{
		{"malformed JSON", req{method: "POST", path: "/v1/migrations", body: `{"practice":`}, 400, "invalid-request", []string{"body"}},
		{"not an object", req{method: "POST", path: "/v1/migrations", body: `[1,2]`}, 400, "invalid-request", []string{"body"}},
		{"unknown field", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, `{`, `{"colour":"red",`, 1)}, 400, "invalid-request", []string{"colour"}},
		{"wrong type", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, `"fdp_date":"2027-03-10"`, `"fdp_date":20270310`, 1)}, 400, "invalid-request", []string{"fdp_date"}},
		{"bad enum", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, `{`, `{"status":"done",`, 1)}, 400, "invalid-request", []string{"status"}},
		{"bad ODS code", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, "A81009", "A8100", 1)}, 400, "invalid-request", []string{"practice.ods_code"}},
		{"lower-case ODS code", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, "A81009", "a81009", 1)}, 400, "invalid-request", []string{"practice.ods_code"}},
		{"date not YYYY-MM-DD", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, "2027-03-10", "10/03/2027", 1)}, 400, "invalid-request", []string{"fdp_date"}},
		{"impossible date", req{method: "POST", path: "/v1/migrations", body: strings.Replace(valid, "2027-03-12", "2027-02-30", 1)}, 400, "invalid-request", []string{"go_live_date"}},
		{"missing required", req{method: "POST", path: "/v1/migrations", body: `{"practice":{"ods_code":"A81001","name":"x"}}`}, 400, "invalid-request", []string{"current_system", "new_system"}},
		{"empty body", req{method: "POST", path: "/v1/migrations", body: ``, header: map[string]string{"Content-Type": "application/json"}}, 400, "invalid-request", []string{"body"}},
		{"not JSON", req{method: "POST", path: "/v1/migrations", body: `a=b`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported-media-type", nil},
		{"body too large", req{method: "POST", path: "/v1/migrations", body: `{"notes":"` + strings.Repeat("x", 2<<20) + `"}`}, 413, "body-too-large", nil},
		{"bad path id", req{method: "GET", path: "/v1/migrations/not-a-uuid"}, 400, "invalid-request", []string{"migration_id"}},
		{"limit too big", req{method: "GET", path: "/v1/migrations?limit=201"}, 400, "invalid-request", []string{"limit"}},
		{"limit not a number", req{method: "GET", path: "/v1/migrations?limit=ten"}, 400, "invalid-request", []string{"limit"}},
		{"tampered cursor", req{method: "GET", path: "/v1/migrations?cursor=bm90LWEtY3Vyc29y"}, 400, "invalid-request", []string{"cursor"}},
		{"cursor of another list", req{method: "GET", path: "/v1/migrations?cursor=" + tasksCursor(t, app, m.ID)}, 400, "invalid-request", []string{"cursor"}},
		{"bad filter date", req{method: "GET", path: "/v1/migrations?fdp_from=tomorrow"}, 400, "invalid-request", []string{"fdp_from"}},
		{"unknown migration", req{method: "GET", path: "/v1/migrations/0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01"}, 404, "not-found", nil},
		{"unknown route", req{method: "GET", path: "/v1/nothing-here"}, 404, "not-found", nil},
		{"wrong method", req{method: "PUT", path: "/v1/migrations"}, 405, "method-not-allowed", nil},
		{"no token", req{method: "GET", path: "/v1/migrations", token: "-"}, 401, "unauthorized", nil},
		{"unknown token", req{method: "GET", path: "/v1/migrations", token: "cut_not-a-real-token-at-all-0000000000"}, 401, "unauthorized", nil},
		{"inconsistent dates", req{method: "PATCH", path: "/v1/migrations/" + m.ID, body: `{"fdp_date":"2027-04-01"}`}, 422, "inconsistent-dates", []string{"fdp_date", "go_live_date", "final_extract_date", "fdp_date"}},
		{"task patch wrong type", req{method: "PATCH", path: tk.url(), body: `{"notes":42}`}, 400, "invalid-request", []string{"notes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.do(t, tc.r)
			if res.Status != tc.status || res.kind(t) != tc.kind {
				t.Fatalf("got %d %q, want %d %q: %s", res.Status, res.kind(t), tc.status, tc.kind, res.Body)
			}
			if got := res.fields(t); tc.fields != nil && !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v", got, tc.fields)
			}
			for _, e := range res.problem(t).Errors {
				if e.Message == "" {
					t.Errorf("field %s has no message", e.Field)
				}
			}
			if tc.status == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func tasksCursor(t *testing.T, app *testApp, migrationID string) string {
	var pg page[task]
	must(t, app.get(t, "/v1/migrations/"+migrationID+"/tasks?limit=1"), http.StatusOK).decode(t, &pg)
	return *pg.NextCursor
}

func TestSpecIsServed(t *testing.T) {
	app := newTestApp(t)
	for _, p := range []string{"/openapi.yaml", "/openapi.json"} {
		res := must(t, app.do(t, req{method: "GET", path: p, token: "-"}), http.StatusOK)
		if !strings.Contains(string(res.Body), "listMigrations") {
			t.Errorf("%s does not hold the spec", p)
		}
	}
	must(t, app.do(t, req{method: "GET", path: "/healthz", token: "-"}), http.StatusOK)
	must(t, app.do(t, req{method: "GET", path: "/readyz", token: "-"}), http.StatusOK)
}

// The contract itself is valid OpenAPI and its examples match their schemas.
func TestSpecIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
}

// Every operation is documented the way client generators and people need: an operationId,
// summary, description and tags; an example of each JSON body it takes and answers; and its
// error answers as problems (401 for everything behind a token, 500 for everything).
func TestEveryOperationIsDocumented(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	hasExample := func(mt *openapi3.MediaType) bool {
		return mt.Example != nil || len(mt.Examples) > 0 || (mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Example != nil)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" || len(op.Tags) == 0 {
				t.Errorf("%s: needs an operationId, a summary, a description and tags", name)
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					if strings.Contains(ct, "json") && !hasExample(mt) {
						t.Errorf("%s: the %s body has no example", name, ct)
					}
				}
			}
			for code, r := range op.Responses.Map() {
				for ct, mt := range r.Value.Content {
					if strings.Contains(ct, "json") && !hasExample(mt) {
						t.Errorf("%s: the %s answer (%s) has no example", name, code, ct)
					}
					if code >= "400" && ct != "application/problem+json" {
						t.Errorf("%s: the %s answer is %s, not a problem", name, code, ct)
					}
				}
			}
			secured := op.Security == nil || len(*op.Security) > 0
			if secured && op.Responses.Value("401") == nil {
				t.Errorf("%s: needs a token but lists no 401", name)
			}
			if strings.HasPrefix(path, "/v1/") && op.Responses.Value("500") == nil {
				t.Errorf("%s: lists no 500", name)
			}
			if (method == "POST" || method == "PATCH") && op.RequestBody != nil && op.Responses.Value("400") == nil {
				t.Errorf("%s: takes a body but lists no 400", name)
			}
		}
	}
}
