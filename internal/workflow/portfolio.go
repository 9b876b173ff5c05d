package workflow

import (
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

// Counts are one stage's task totals.
type Counts struct {
	Total, Done, NotApplicable, Open, Overdue int
}

// StageProgress is how far one stage of a migration has come.
type StageProgress struct {
	Key             string
	Title           string
	Counts          Counts
	PercentComplete int
	SignedOff       bool
	Missing         []string // required roles without a live sign-off
}

// Progress is how far a migration has come, as a programme report shows it.
type Progress struct {
	Stages []StageProgress // the migration's stages in the guide's order
	// CurrentStage is the first stage, in the guide's order, not signed off; "" when all are.
	CurrentStage string
	Overdue      int
	// AwaitingSignoff holds the stages whose work is finished (no open task) but which are not
	// signed off yet, with the roles still to sign: what a programme manager chases.
	AwaitingSignoff map[string][]string
}

// PercentComplete is done plus not applicable over all tasks, rounded down so that 100 means
// nothing is left; a stage without tasks has nothing left.
func PercentComplete(c Counts) int {
	if c.Total == 0 {
		return 100
	}
	return (c.Done + c.NotApplicable) * 100 / c.Total
}

// MigrationProgress works out a migration's progress from its task counts by stage and its live
// sign-offs.
func MigrationProgress(tpl *checklist.Template, m *cutover.Migration, counts map[string]Counts, live []cutover.Signoff) Progress {
	states := StageStates(tpl, m.Stages, live)
	p := Progress{Stages: make([]StageProgress, 0, len(m.Stages)), AwaitingSignoff: map[string][]string{}}
	for _, key := range m.Stages {
		c, state := counts[key], states[key]
		title := key
		if st, ok := tpl.Stage(key); ok {
			title = st.Title
		}
		p.Stages = append(p.Stages, StageProgress{Key: key, Title: title, Counts: c,
			PercentComplete: PercentComplete(c), SignedOff: state.SignedOff, Missing: state.Missing})
		p.Overdue += c.Overdue
		if state.SignedOff {
			continue
		}
		if p.CurrentStage == "" {
			p.CurrentStage = key
		}
		if c.Open == 0 && len(state.Missing) > 0 {
			p.AwaitingSignoff[key] = state.Missing
		}
	}
	return p
}
