package workflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

func TestPercentComplete(t *testing.T) {
	for _, tc := range []struct {
		c    Counts
		want int
	}{
		{Counts{Total: 0}, 100},
		{Counts{Total: 10, Done: 4, NotApplicable: 1}, 50},
		{Counts{Total: 200, Done: 199}, 99}, // rounded down: 100 only when nothing is left
		{Counts{Total: 3, Done: 3}, 100},
	} {
		if got := PercentComplete(tc.c); got != tc.want {
			t.Errorf("PercentComplete(%+v) = %d, want %d", tc.c, got, tc.want)
		}
	}
}

func TestMigrationProgress(t *testing.T) {
	tpl := checklist.Builtin().Current()
	m := cutover.Migration{Stages: tpl.StageKeys()}
	first, fdp := tpl.Stages[0].Key, "final-data-production-and-cutover"
	sign := func(stage, role string) cutover.Signoff {
		return cutover.Signoff{Stage: stage, Role: role, SignedAt: time.Now()}
	}
	counts := map[string]Counts{
		first:     {Total: 12, Done: 12},
		fdp:       {Total: 10, Done: 8, NotApplicable: 2},
		"go-live": {Total: 16, Open: 16, Overdue: 3},
	}
	p := MigrationProgress(tpl, &m, counts, []cutover.Signoff{
		sign(first, "project_manager"), sign(first, "practice_manager"), sign(fdp, "project_manager"),
	})
	if p.CurrentStage != tpl.Stages[1].Key {
		t.Errorf("current stage %q, want the second (the first is signed off)", p.CurrentStage)
	}
	if p.Overdue != 3 {
		t.Errorf("overdue %d", p.Overdue)
	}
	// Stages with no tasks counted are finished too (nothing left to do) and wait for sign-off:
	// only stages with open tasks are left out.
	if got := fmt.Sprint(p.AwaitingSignoff[fdp]); got != "[practice_manager]" {
		t.Errorf("awaiting sign-off of FDP %s", got)
	}
	if _, ok := p.AwaitingSignoff["go-live"]; ok {
		t.Error("go live has open tasks; it does not await sign-off")
	}
	if _, ok := p.AwaitingSignoff[first]; ok {
		t.Error("the first stage is signed off")
	}
	if len(p.Stages) != len(tpl.Stages) || p.Stages[0].PercentComplete != 100 || !p.Stages[0].SignedOff || p.Stages[0].Title != tpl.Stages[0].Title {
		t.Errorf("first stage %+v", p.Stages[0])
	}
}
