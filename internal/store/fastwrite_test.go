package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/workflow"
	"github.com/google/uuid"
)

// TestChangesJSON checks the hand-written encoder of events' changes against encoding/json, over
// the change sets the service records: a whole new checklist, a migration, diffs with every kind
// of value, and strings that need escaping.
func TestChangesJSON(t *testing.T) {
	now := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	who := cutover.Caller{OrgID: uuid.New(), Name: "a <token> & co", Role: cutover.RoleAdmin}
	m, tasks, err := workflow.NewMigration(checklist.Builtin().Current(), workflow.MigrationInput{ODSCode: "A81001",
		PracticeName: "Dr \"Smith\" & Partners <Surgery>", CurrentSupplier: "A", CurrentProduct: "One", NewSupplier: "B",
		NewProduct: "Two", Dates: map[string]cutover.Date{"fdp_date": now, "go_live_date": now.AddDate(0, 0, 2)}}, who, now)
	if err != nil {
		t.Fatal(err)
	}
	sets := []map[string]cutover.Change{cutover.Created(m.Fields()), {}, nil}
	for i := range tasks {
		sets = append(sets, cutover.Created(tasks[i].Fields()))
	}
	before, after := tasks[3], tasks[3]
	notes, done := "line\nbreak \u2028 \xff é 🙂", now.Add(time.Hour)
	after.Notes, after.Status, after.CompletedAt, after.Position = &notes, cutover.TaskDone, &done, 99
	sets = append(sets, cutover.Diff(before.Fields(), after.Fields()), cutover.Deleted(after.Fields()),
		map[string]cutover.Change{"n": {From: int64(-5), To: 3.25}, "list": {From: []string(nil), To: []string{}},
			"any": {From: map[string]any{"z": 1, "a": []any{true, nil}}, To: float64(1e21)}})
	for i, c := range sets {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendChanges(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			want = []byte("{}") // nil and empty maps are stored alike: newEventRow makes nil empty
		}
		if string(got) != string(want) {
			t.Errorf("set %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestParseDateMatchesTime checks the hand-written date and timestamp readers against the time
// package's parsers of the same layouts.
func TestParseDateMatchesTime(t *testing.T) {
	for _, s := range []string{"2027-03-10", "2024-02-29", "2023-02-29", "0001-01-01", "9999-12-31", "2027-13-01",
		"2027-00-10", "2027-03-00", "2027-03-32", "27-03-10", "2027/03/10", "2027-03-1x", ""} {
		want, err := time.Parse(time.DateOnly, s)
		got, ok := parseDate(s)
		if ok != (err == nil) || ok && !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"2026-11-25 02:21:39.295902+00:00", "2026-11-25 02:21:39+00:00", "2026-11-25T02:21:39.1Z",
		"2026-11-25 02:21:39.123456789-07:30", "2026-11-25 02:21:39.295902", "2026-02-30 02:21:39+00:00", "garbage"} {
		want, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", strings.Replace(s, "T", " ", 1))
		if err != nil && strings.HasSuffix(s, "Z") {
			want, err = time.Parse(time.RFC3339Nano, s)
		}
		got, ok := parseStoredTime(s)
		if ok != (err == nil) || ok && !got.Equal(want) {
			t.Errorf("parseStoredTime(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
}
