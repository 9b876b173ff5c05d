package handlers_test

import (
	"net/http"
	"slices"
	"testing"
)

type contact struct {
	ID           string  `json:"id"`
	Role         string  `json:"role"`
	Organisation string  `json:"organisation"`
	Name         *string `json:"name"`
	Email        *string `json:"email"`
	Phone        *string `json:"phone"`
	Notes        *string `json:"notes"`
	Version      int     `json:"version"`
}

func TestContacts(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	base := "/v1/migrations/" + m.ID + "/contacts"
	res := must(t, app.post(t, base, map[string]any{"role": "new_supplier", "organisation": "Supplier B", "name": "Sam Patel",
		"email": "sam.patel@supplier-b.example", "phone": "0113 496 0000"}), http.StatusCreated)
	var c contact
	res.decode(t, &c)
	path := res.Header.Get("Location")
	if path != base+"/"+c.ID || c.Role != "new_supplier" || deref(c.Email) != "sam.patel@supplier-b.example" {
		t.Fatalf("created %+v at %s", c, path)
	}
	must(t, app.patch(t, path, map[string]any{"phone": "+44 113 496 0001", "name": nil}, etagOf(res)), http.StatusOK).decode(t, &c)
	if deref(c.Phone) != "+44 113 496 0001" || c.Name != nil || c.Version != 2 {
		t.Fatalf("patched %+v", c)
	}
	var list page[contact]
	must(t, app.get(t, base+"?role=new_supplier"), http.StatusOK).decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d contacts", len(list.Items))
	}

	for _, tc := range []struct {
		body   map[string]any
		status int
		fields []string
	}{
		{map[string]any{"role": "new_supplier", "organisation": "X", "email": "not-an-email"}, 400, []string{"email"}},
		{map[string]any{"role": "new_supplier", "organisation": "X", "email": "a@b"}, 400, []string{"email"}},
		{map[string]any{"role": "new_supplier", "organisation": "X", "phone": "12345"}, 400, []string{"phone"}},
		{map[string]any{"role": "new_supplier", "organisation": "X", "phone": "0113 496 00"}, 400, []string{"phone"}},
		{map[string]any{"role": "supplier", "organisation": "X"}, 400, []string{"role"}},
		{map[string]any{"role": "third_party"}, 400, []string{"organisation"}},
		{map[string]any{"role": "third_party", "organisation": "Docman", "notes": "patient 943 476 5919 letters"}, 422, []string{"notes"}},
	} {
		res := app.post(t, base, tc.body)
		if res.Status != tc.status || !slices.Equal(res.fields(t), tc.fields) {
			t.Errorf("%v: %d %v, want %d %v", tc.body, res.Status, res.fields(t), tc.status, tc.fields)
		}
	}
	must(t, app.delete(t, path), http.StatusNoContent)
	must(t, app.get(t, path), http.StatusNotFound)
}

// TestListsInCreationOrderPage walks the lists that page by id (contacts here, webhooks too, on
// the same code) two at a time: every item once, in creation order, a filter kept across pages,
// and a cursor of one list refused by another.
func TestListsInCreationOrderPage(t *testing.T) {
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	base := "/v1/migrations/" + m.ID + "/contacts"
	var want []string
	for i := range 5 {
		role := "icb"
		if i == 2 {
			role = "third_party" // filtered out below
		}
		var c contact
		must(t, app.post(t, base, map[string]any{"role": role, "organisation": "Org " + string(rune('A'+i))}), http.StatusCreated).decode(t, &c)
		if role == "icb" {
			want = append(want, c.ID)
		}
	}
	var got []string
	pages := 0
	var lastCursor string
	for p := base + "?role=icb&limit=2"; ; pages++ {
		var pg page[contact]
		must(t, app.get(t, p), http.StatusOK).decode(t, &pg)
		for _, c := range pg.Items {
			got = append(got, c.ID)
		}
		if pg.NextCursor == nil {
			break
		}
		lastCursor = *pg.NextCursor
		p = base + "?role=icb&limit=2&cursor=" + lastCursor
	}
	if !slices.Equal(got, want) || pages != 1 {
		t.Fatalf("paged %v in %d+1 pages, want %v in 2", got, pages, want)
	}
	res := app.get(t, "/v1/webhooks?cursor="+lastCursor)
	if res.Status != http.StatusBadRequest || !slices.Equal(res.fields(t), []string{"cursor"}) {
		t.Errorf("a contacts cursor on the webhooks list: %d %v", res.Status, res.fields(t))
	}
	// An empty page of a migration that does not exist is a 404, not an empty list.
	must(t, app.get(t, "/v1/migrations/0190d2a4-7a2f-7c3e-9b1e-2f4d5a6b7c01/contacts"), http.StatusNotFound)
}
