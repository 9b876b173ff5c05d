package workflow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/schedule"
)

// MigrationPatch is a change to a migration, as a JSON merge patch.
type MigrationPatch struct {
	ODSCode          *string
	PracticeName     *string
	CurrentSupplier  *string
	CurrentProduct   *string
	NewSupplier      *string
	NewProduct       *string
	Status           *cutover.MigrationStatus
	Notes            Field[string]
	Dates            map[string]Field[cutover.Date] // only the key dates the patch names
	GoLiveConfirmed  *bool
	FinalExtractTime Field[string]
}

// DatesChanged reports whether the patch names any key date.
func (p MigrationPatch) DatesChanged() bool { return len(p.Dates) > 0 }

// Apply changes m as the patch says, or refuses with the rule it breaks. signedOff tells whether
// a stage of the migration is signed off, for the status moves that require it.
func (p MigrationPatch) Apply(m *cutover.Migration, signedOff func(stage string) bool) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&m.ODSCode, p.ODSCode)
	set(&m.PracticeName, p.PracticeName)
	set(&m.CurrentSupplier, p.CurrentSupplier)
	set(&m.CurrentProduct, p.CurrentProduct)
	set(&m.NewSupplier, p.NewSupplier)
	set(&m.NewProduct, p.NewProduct)
	if p.Notes.Present {
		m.Notes = p.Notes.Value
	}
	if p.GoLiveConfirmed != nil {
		m.GoLiveConfirmed = *p.GoLiveConfirmed
	}
	if p.FinalExtractTime.Present {
		m.FinalExtractTime = p.FinalExtractTime.Value
	}
	if len(p.Dates) > 0 {
		dates := make(map[string]cutover.Date, len(m.Dates)+len(p.Dates))
		for k, v := range m.Dates {
			dates[k] = v
		}
		for k, f := range p.Dates {
			if f.Value == nil {
				delete(dates, k)
			} else {
				dates[k] = *f.Value
			}
		}
		m.Dates = dates
	}
	if p.Status != nil && *p.Status != m.Status {
		if err := CheckStatusMove(m, *p.Status, signedOff); err != nil {
			return err
		}
		m.Status = *p.Status
	}
	// Checked after the status: the dates a status needs are the dates as patched.
	return CheckDates(m.Dates)
}

// statusOrder is the normal life of a migration; cancelled stands aside.
var statusOrder = []cutover.MigrationStatus{cutover.StatusPlanned, cutover.StatusInProgress,
	cutover.StatusCutover, cutover.StatusLive, cutover.StatusClosed}

// requirement is what the guide needs done before a migration may reach a status.
type requirement struct {
	dates  []string // key dates that must be set
	stages []string // stages that must be signed off, where the migration has them
}

var requirements = map[cutover.MigrationStatus]requirement{
	// Cutover starts with final data production: its date must be agreed and cutover planned.
	cutover.StatusCutover: {dates: []string{"fdp_date"}, stages: []string{"planning-for-cutover"}},
	// Going live ends cutover: the FDP and cutover checklist must be signed off.
	cutover.StatusLive: {dates: []string{"go_live_date"}, stages: []string{"final-data-production-and-cutover"}},
	// A migration closes when the practice has accepted the new system after go live.
	cutover.StatusClosed: {stages: []string{"go-live", "post-go-live"}},
}

// CheckStatusMove refuses a move the guide does not allow: out of closed or cancelled, or forward
// past a step whose dates or sign-offs are missing. Moving back (a postponed cutover, say) is
// allowed while the migration is active.
func CheckStatusMove(m *cutover.Migration, to cutover.MigrationStatus, signedOff func(stage string) bool) error {
	from := m.Status
	if !from.Active() {
		return &cutover.ConflictError{Kind: "status-final", Title: "The migration is " + string(from),
			Detail: fmt.Sprintf("A %s migration keeps its status; create a new migration instead.", from)}
	}
	if to == cutover.StatusCancelled {
		return nil
	}
	fromIdx, toIdx := slices.Index(statusOrder, from), slices.Index(statusOrder, to)
	if toIdx <= fromIdx {
		return nil
	}
	var missing []string
	for _, s := range statusOrder[fromIdx+1 : toIdx+1] {
		req := requirements[s]
		for _, d := range req.dates {
			if _, ok := m.Dates[d]; !ok && !slices.Contains(missing, d) {
				missing = append(missing, d)
			}
		}
		for _, st := range req.stages {
			if slices.Contains(m.Stages, st) && !signedOff(st) {
				missing = append(missing, "signoff:"+st)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	words := make([]string, len(missing))
	for i, x := range missing {
		if st, ok := strings.CutPrefix(x, "signoff:"); ok {
			words[i] = "stage " + st + " signed off"
		} else {
			words[i] = x + " set"
		}
	}
	return &cutover.ConflictError{Kind: "status-move", Title: "The migration is not ready for " + string(to),
		Detail:  fmt.Sprintf("Moving from %s to %s needs: %s.", from, to, strings.Join(words, "; ")),
		Missing: missing}
}

// MigrationInput is a new migration as a request describes it.
type MigrationInput struct {
	ODSCode          string
	PracticeName     string
	CurrentSupplier  string
	CurrentProduct   string
	NewSupplier      string
	NewProduct       string
	Status           cutover.MigrationStatus // planned when empty
	Notes            *string
	Dates            map[string]cutover.Date
	GoLiveConfirmed  bool
	FinalExtractTime *string
	Stages           []string // nil: every stage
}

// KeyDateFields lists the key dates in the guide's order.
func KeyDateFields() []string { return schedule.KeyDateFields }

// NewMigration builds a migration and its checklist from a template, or refuses it with the rule
// it breaks.
func NewMigration(tpl *checklist.Template, in MigrationInput, who cutover.Caller, now time.Time) (cutover.Migration, []cutover.Task, error) {
	stages, err := CheckStages(tpl, in.Stages)
	if err != nil {
		return cutover.Migration{}, nil, err
	}
	if err := CheckDates(in.Dates); err != nil {
		return cutover.Migration{}, nil, err
	}
	status := in.Status
	if status == "" {
		status = cutover.StatusPlanned
	}
	m := cutover.Migration{
		ID: cutover.NewID(), OrgID: who.OrgID,
		ODSCode: in.ODSCode, PracticeName: in.PracticeName,
		CurrentSupplier: in.CurrentSupplier, CurrentProduct: in.CurrentProduct,
		NewSupplier: in.NewSupplier, NewProduct: in.NewProduct,
		Status: status, Notes: in.Notes, Dates: in.Dates, GoLiveConfirmed: in.GoLiveConfirmed,
		FinalExtractTime: in.FinalExtractTime, Stages: stages, TemplateVersion: tpl.Version,
		Version: 1, CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}
	if m.Dates == nil {
		m.Dates = map[string]cutover.Date{}
	}
	return m, NewTasks(tpl, &m, m.CreatedAt), nil
}

// CheckDeleteMigration refuses to delete a migration that has a live sign-off: signed-off work
// is a record; cancel the migration instead.
func CheckDeleteMigration(live []cutover.Signoff) error {
	if len(live) > 0 {
		return &cutover.ConflictError{Kind: "signed-off", Title: "The migration has live sign-offs",
			Detail: "A migration with a live sign-off cannot be deleted; set its status to cancelled, or revoke the sign-offs first."}
	}
	return nil
}
