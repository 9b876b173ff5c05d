package handlers_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cutoverhq/cutover/internal/handlers"
)

// The examples: refused, and kept.
func TestPatientIdentifiersAreRefused(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "recheck-idp-patients")
	for _, tc := range []struct {
		note string
		kind string // "" when the note is kept
	}{
		{"Checked patient 943 476 5919 record", "looks like an NHS number"},
		{"nhs no 943-476-5919 ok", "looks like an NHS number"},
		{"Patient DOB: 12/03/1954 mismatch", "looks like a date of birth"},
		{"Ticket 1234567890 raised with supplier", ""},
		{"Ring the helpdesk on 01134960000", ""},
		{"FDP moved to 12/03/2027", ""},
		{"Sample of 25 patients checked, all fine", ""},
	} {
		t.Run(tc.note, func(t *testing.T) {
			res := app.patch(t, tk.url(), map[string]any{"notes": tc.note}, "")
			if tc.kind == "" {
				must(t, res, http.StatusOK)
				return
			}
			must(t, res, http.StatusUnprocessableEntity)
			p := res.problem(t)
			if res.kind(t) != "patient-identifier" || len(p.Errors) != 1 || p.Errors[0].Field != "notes" ||
				!strings.HasPrefix(p.Errors[0].Message, tc.kind) || !strings.Contains(p.Errors[0].Message, "patient details must not be recorded") {
				t.Fatalf("problem %+v", p)
			}
			if leaked(string(res.Body)) {
				t.Fatal("the problem echoes the value")
			}
		})
	}
	if leaked(app.logs.String()) {
		t.Fatal("the server log holds an identifier")
	}
}

// Every free-text field of every operation goes through the guard.
func TestEveryFreeTextFieldIsGuarded(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "archive-leavers")
	mig := "/v1/migrations/" + m.ID
	c := must(t, app.post(t, mig+"/contacts", map[string]any{"role": "new_supplier", "organisation": "Supplier B"}), http.StatusCreated)
	const nhs = "about 943 476 5919"
	with := func(body map[string]any, field string) map[string]any {
		out := map[string]any{}
		for k, v := range body {
			out[k] = v
		}
		setPath(out, field, nhs)
		return out
	}
	for _, tc := range []struct {
		method, path string
		body         map[string]any
		field        string
	}{
		{"POST", "/v1/migrations", newMigration("A81005"), "notes"},
		{"POST", "/v1/migrations", newMigration("A81005"), "practice.name"},
		{"PATCH", mig, map[string]any{}, "notes"},
		{"PATCH", mig, map[string]any{"practice": map[string]any{}}, "practice.name"},
		{"POST", mig + "/tasks", map[string]any{"stage": fdpStage, "title": "t"}, "title"},
		{"POST", mig + "/tasks", map[string]any{"stage": fdpStage, "title": "t"}, "guidance"},
		{"POST", mig + "/tasks", map[string]any{"stage": fdpStage, "title": "t"}, "group"},
		{"POST", mig + "/tasks", map[string]any{"stage": fdpStage, "title": "t"}, "notes"},
		{"POST", mig + "/tasks", map[string]any{"stage": fdpStage, "title": "t", "status": "not_applicable"}, "not_applicable_reason"},
		{"PATCH", tk.url(), map[string]any{}, "title"},
		{"PATCH", tk.url(), map[string]any{}, "guidance"},
		{"PATCH", tk.url(), map[string]any{}, "notes"},
		{"PATCH", tk.url(), map[string]any{"status": "not_applicable"}, "not_applicable_reason"},
		{"POST", mig + "/contacts", map[string]any{"role": "icb"}, "organisation"},
		{"POST", mig + "/contacts", map[string]any{"role": "icb", "organisation": "ICB"}, "name"},
		{"POST", mig + "/contacts", map[string]any{"role": "icb", "organisation": "ICB"}, "notes"},
		{"PATCH", c.Header.Get("Location"), map[string]any{}, "notes"},
		{"PATCH", c.Header.Get("Location"), map[string]any{}, "name"},
		{"POST", mig + "/signoffs", map[string]any{"stage": fdpStage, "role": "icb", "name": "N"}, "statement"},
		{"POST", mig + "/signoffs", map[string]any{"stage": fdpStage, "role": "icb", "statement": "S"}, "name"},
		{"POST", "/v1/organisations", map[string]any{"kind": "csu"}, "name"},
		{"POST", "/v1/tokens", map[string]any{"role": "viewer"}, "name"},
	} {
		t.Run(tc.method+" "+tc.field+" "+tc.path, func(t *testing.T) {
			res := app.do(t, req{method: tc.method, path: tc.path, body: with(tc.body, tc.field)})
			if res.Status != http.StatusUnprocessableEntity || res.kind(t) != "patient-identifier" || !slices.Equal(res.fields(t), []string{tc.field}) {
				t.Fatalf("got %d %s %v: %s", res.Status, res.kind(t), res.fields(t), res.Body)
			}
		})
	}
	// A revocation reason, on a real sign-off.
	for _, tk := range app.tasks(t, m.ID, "stage=go-live") {
		must(t, app.patch(t, tk.url(), map[string]any{"status": "done"}, ""), http.StatusOK)
	}
	so := must(t, app.post(t, mig+"/signoffs", map[string]any{"stage": "go-live", "role": "icb", "name": "N", "statement": "S"}), http.StatusCreated)
	res := app.post(t, so.Header.Get("Location")+"/revoke", map[string]any{"reason": "DOB 12/03/1954 wrong"})
	if res.kind(t) != "patient-identifier" || !slices.Equal(res.fields(t), []string{"reason"}) {
		t.Errorf("revocation reason: %d %s %v", res.Status, res.kind(t), res.fields(t))
	}
	if leaked(app.logs.String()) {
		t.Fatal("the server log holds an identifier")
	}
}

// In warn mode the text is accepted with a warning, and kept out of the log and the audit trail.
func TestGuardWarnMode(t *testing.T) {
	app := newTestApp(t, withGuard(handlers.GuardWarn))
	m := app.createMigration(t, nil)
	tk := app.seedTask(t, m.ID, "recheck-idp-patients")
	var got struct {
		Notes    string `json:"notes"`
		Warnings []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"warnings"`
	}
	must(t, app.patch(t, tk.url(), map[string]any{"notes": "Imported: patient 943 476 5919 checked"}, ""), http.StatusOK).decode(t, &got)
	if got.Notes != "Imported: patient 943 476 5919 checked" || len(got.Warnings) != 1 || got.Warnings[0].Field != "notes" {
		t.Fatalf("warn mode answer %+v", got)
	}
	// Without suspect text there are no warnings.
	var clean map[string]any
	must(t, app.patch(t, tk.url(), map[string]any{"notes": "all fine"}, ""), http.StatusOK).decode(t, &clean)
	if _, ok := clean["warnings"]; ok {
		t.Error("warnings on a clean answer")
	}
	res := must(t, app.get(t, "/v1/migrations/"+m.ID+"/events?action=task.updated"), http.StatusOK)
	if leaked(string(res.Body)) || !strings.Contains(string(res.Body), "[NHS number removed]") {
		t.Fatalf("the audit trail keeps the value: %s", res.Body)
	}
	if leaked(app.logs.String()) {
		t.Fatal("the server log holds an identifier")
	}
}

var identifierRe = regexp.MustCompile(`943[ .-]?476[ .-]?5919|12/03/1954`)

func leaked(s string) bool { return identifierRe.MatchString(s) }

// setPath sets a dotted field in a nested JSON object.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
		} else {
			cp := map[string]any{}
			for k, v := range next {
				cp[k] = v
			}
			next = cp
		}
		m[p] = next
		m = next
	}
	m[parts[len(parts)-1]] = v
}
