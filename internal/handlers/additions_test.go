package handlers_test

import (
	"net/http"
	"slices"
	"testing"
)

type addition struct {
	ID             string  `json:"id"`
	OrganisationID string  `json:"organisation_id"`
	Stage          string  `json:"stage"`
	Group          string  `json:"group"`
	Title          string  `json:"title"`
	OwnerRole      string  `json:"owner_role"`
	Timing         *string `json:"timing"`
	DueRule        *string `json:"due_rule"`
	AfterKey       *string `json:"after_key"`
	Position       *int    `json:"position"`
	Version        int     `json:"version"`
}

// newOrganisation creates an organisation as the operator's admin and returns its id and a token
// value of each role for it.
func (a *testApp) newOrganisation(t *testing.T, name string) (id string, tokens map[string]string) {
	t.Helper()
	o, toks := a.newOrg(t, name)
	tokens = map[string]string{}
	for role, tc := range toks {
		tokens[role] = tc.Token
	}
	return o.ID, tokens
}

// as sends a request with another token.
func (a *testApp) as(t *testing.T, token, method, path string, body any, header map[string]string) response {
	t.Helper()
	return a.do(t, req{method: method, path: path, body: body, token: token, header: header})
}

func TestTemplateAdditions(t *testing.T) {
	app := newTestApp(t)
	north, nt := app.newOrganisation(t, "North CSU")
	south, st := app.newOrganisation(t, "South CSU")
	base := "/v1/organisations/" + north + "/template-additions"

	var book, checks addition
	res := must(t, app.as(t, nt["admin"], http.MethodPost, base, map[string]any{
		"stage": fdpStage, "group": "Cutover period tasks", "title": "Put the paper appointment book on reception",
		"owner_role": "practice_manager", "timing": "the day before FDP", "due_rule": "fdp_date-1d",
		"after_key": "coordinate-mesh-updates",
	}, nil), http.StatusCreated)
	res.decode(t, &book)
	if res.Header.Get("Location") != base+"/"+book.ID || etagOf(res) != `"1"` || deref(book.DueRule) != "fdp_date - 1d" ||
		book.OrganisationID != north || book.Version != 1 {
		t.Fatalf("created %+v (Location %s)", book, res.Header.Get("Location"))
	}
	must(t, app.as(t, nt["admin"], http.MethodPost, base, map[string]any{
		"stage": fdpStage, "group": "Our own checks", "title": "Ring the pharmacy about repeat prescriptions",
		"due_rule": "go_live_date",
	}, nil), http.StatusCreated).decode(t, &checks)
	if checks.OwnerRole != "project_manager" || checks.Position != nil || checks.AfterKey != nil {
		t.Errorf("defaults: %+v", checks)
	}

	for _, tc := range []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantKind   string
		wantFields []string
	}{
		{"bad due rule", map[string]any{"stage": fdpStage, "title": "T", "due_rule": "fdp - 1 week"}, 422, "invalid-addition", []string{"due_rule"}},
		{"unknown key date in the rule", map[string]any{"stage": fdpStage, "title": "T", "due_rule": "cutover_date - 1d"}, 422, "invalid-addition", []string{"due_rule"}},
		{"unknown stage", map[string]any{"stage": "no-such-stage", "title": "T"}, 422, "invalid-addition", []string{"stage"}},
		{"unknown after_key", map[string]any{"stage": fdpStage, "title": "T", "after_key": "no-such-task"}, 422, "invalid-addition", []string{"after_key"}},
		{"after_key of another stage", map[string]any{"stage": fdpStage, "title": "T", "after_key": "check-system-fits-needs"}, 422, "invalid-addition", []string{"after_key"}},
		{"two places", map[string]any{"stage": fdpStage, "title": "T", "after_key": "agree-fdp-date", "position": 3}, 422, "invalid-addition", []string{"position"}},
		{"NHS number in guidance", map[string]any{"stage": fdpStage, "title": "T", "guidance": "ring about 943 476 5919"}, 422, "patient-identifier", []string{"guidance"}},
		{"unknown field", map[string]any{"stage": fdpStage, "title": "T", "colour": "red"}, 400, "invalid-request", []string{"colour"}},
		{"no title", map[string]any{"stage": fdpStage}, 400, "invalid-request", []string{"title"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.as(t, nt["admin"], http.MethodPost, base, tc.body, nil)
			if res.Status != tc.wantStatus || res.kind(t) != tc.wantKind || !slices.Equal(res.fields(t), tc.wantFields) {
				t.Fatalf("got %d %q %v, want %d %q %v: %s", res.Status, res.kind(t), res.fields(t), tc.wantStatus, tc.wantKind, tc.wantFields, res.Body)
			}
		})
	}

	// Admins write, anyone of the organisation reads; other organisations see nothing.
	one := base + "/" + book.ID
	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		want                      int
	}{
		{"an editor cannot add", nt["editor"], http.MethodPost, base, map[string]any{"stage": fdpStage, "title": "T"}, 403},
		{"an editor cannot change", nt["editor"], http.MethodPatch, one, map[string]any{"title": "T"}, 403},
		{"an editor cannot delete", nt["editor"], http.MethodDelete, one, nil, 403},
		{"a viewer lists", nt["viewer"], http.MethodGet, base, nil, 200},
		{"a viewer reads one", nt["viewer"], http.MethodGet, one, nil, 200},
		{"another organisation cannot list", st["admin"], http.MethodGet, base, nil, 404},
		{"another organisation cannot read", st["admin"], http.MethodGet, one, nil, 404},
		{"another organisation cannot add", st["admin"], http.MethodPost, base, map[string]any{"stage": fdpStage, "title": "T"}, 404},
		{"another organisation cannot change", st["admin"], http.MethodPatch, one, map[string]any{"title": "T"}, 404},
		{"another organisation cannot delete", st["admin"], http.MethodDelete, one, nil, 404},
		{"not under another organisation's path", st["admin"], http.MethodGet, "/v1/organisations/" + south + "/template-additions/" + book.ID, nil, 404},
		{"the operator's admin reads any", adminToken, http.MethodGet, one, nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := app.as(t, tc.token, tc.method, tc.path, tc.body, nil); res.Status != tc.want {
				t.Fatalf("got %d, want %d: %s", res.Status, tc.want, res.Body)
			}
		})
	}
	var list page[addition]
	must(t, app.as(t, adminToken, http.MethodGet, base+"?stage="+fdpStage, nil, nil), http.StatusOK).decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].ID != book.ID || list.Items[1].ID != checks.ID {
		t.Fatalf("operator lists %+v", list.Items)
	}

	// A new migration of the organisation gets the additions, in place; no other organisation's does.
	var nm migration
	must(t, app.as(t, nt["editor"], http.MethodPost, "/v1/migrations", newMigration("A81003"), nil), http.StatusCreated).decode(t, &nm)
	var pg page[task]
	must(t, app.as(t, nt["viewer"], http.MethodGet, "/v1/migrations/"+nm.ID+"/tasks?limit=200&stage="+fdpStage, nil, nil), http.StatusOK).decode(t, &pg)
	fdp := pg.Items
	i := slices.IndexFunc(fdp, func(tk task) bool { return tk.Title == book.Title })
	if i < 1 || deref(fdp[i-1].Key) != "coordinate-mesh-updates" {
		t.Fatalf("the local task is not after the task it names: index %d", i)
	}
	var local struct {
		task
		Local   bool    `json:"local"`
		Timing  *string `json:"timing"`
		DueRule *string `json:"due_rule"`
	}
	must(t, app.as(t, nt["viewer"], http.MethodGet, fdp[i].url(), nil, nil), http.StatusOK).decode(t, &local)
	if !local.Local || local.Key != nil || local.Group != "Cutover period tasks" || deref(local.DueDate) != "2027-03-09" ||
		local.DueDateSource != "derived" || local.OwnerRole != "practice_manager" || deref(local.Timing) != "the day before FDP" {
		t.Errorf("local task %+v", local)
	}
	lastTask := fdp[len(fdp)-1]
	if lastTask.Title != checks.Title || lastTask.Group != "Our own checks" || deref(lastTask.DueDate) != "2027-03-12" {
		t.Errorf("a new group goes at the end of the stage: last task %+v", lastTask)
	}
	if len(fdp) != len(seedTasks)+2 {
		t.Errorf("%d FDP tasks, want the seed's %d and 2 local", len(fdp), len(seedTasks))
	}

	for name, token := range map[string]string{"another organisation": st["admin"], "the operator": adminToken} {
		var om migration
		must(t, app.as(t, token, http.MethodPost, "/v1/migrations", newMigration("A81004"), nil), http.StatusCreated).decode(t, &om)
		var op page[task]
		must(t, app.as(t, token, http.MethodGet, "/v1/migrations/"+om.ID+"/tasks?limit=200&stage="+fdpStage, nil, nil), http.StatusOK).decode(t, &op)
		if len(op.Items) != len(seedTasks) {
			t.Errorf("%s's migration has %d FDP tasks, want the seed's %d", name, len(op.Items), len(seedTasks))
		}
	}

	// Changes and deletion need the current ETag; they reach only migrations created afterwards.
	var changed addition
	res = must(t, app.as(t, nt["admin"], http.MethodPatch, one, map[string]any{"due_rule": "fdp_date - 3d", "position": 2},
		map[string]string{"If-Match": `"1"`}), http.StatusOK)
	res.decode(t, &changed)
	if etagOf(res) != `"2"` || deref(changed.DueRule) != "fdp_date - 3d" || deref(changed.Position) != 2 || changed.AfterKey != nil {
		t.Errorf("patched %+v", changed)
	}
	if res := app.as(t, nt["admin"], http.MethodPatch, one, map[string]any{"title": "Again"}, map[string]string{"If-Match": `"1"`}); res.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %d", res.Status)
	}
	if res := app.as(t, nt["admin"], http.MethodPatch, one, map[string]any{"due_rule": "soon"}, nil); res.Status != 422 || !slices.Equal(res.fields(t), []string{"due_rule"}) {
		t.Errorf("bad rule in a patch: %d %s", res.Status, res.Body)
	}
	must(t, app.as(t, nt["admin"], http.MethodDelete, one, nil, map[string]string{"If-Match": `"2"`}), http.StatusNoContent)
	must(t, app.as(t, nt["viewer"], http.MethodGet, one, nil, nil), http.StatusNotFound)
	must(t, app.as(t, nt["viewer"], http.MethodGet, base, nil, nil), http.StatusOK).decode(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("%d additions after the delete", len(list.Items))
	}
	// The migration made before keeps its local task.
	must(t, app.as(t, nt["viewer"], http.MethodGet, fdp[i].url(), nil, nil), http.StatusOK)

	var feed struct {
		Items []event `json:"items"`
	}
	must(t, app.as(t, nt["viewer"], http.MethodGet, "/v1/events?limit=200", nil, nil), http.StatusOK).decode(t, &feed)
	var actions []string
	for _, e := range feed.Items {
		if e.Resource.Type == "template_addition" {
			actions = append(actions, e.Action)
		}
	}
	if want := []string{"template_addition.created", "template_addition.created", "template_addition.updated", "template_addition.deleted"}; !slices.Equal(actions, want) {
		t.Errorf("addition events %v, want %v", actions, want)
	}
}
