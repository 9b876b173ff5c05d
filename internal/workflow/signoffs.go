package workflow

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
)

// StageState is a stage's sign-off state.
type StageState struct {
	Key       string
	Required  []string          // roles whose sign-off completes the stage
	Live      []cutover.Signoff // live sign-offs, oldest first
	Missing   []string          // required roles without a live sign-off
	SignedOff bool              // every required role has signed
	Locked    bool              // any live sign-off: the stage's tasks are read-only
}

// StageStates works out the sign-off state of each stage of a migration from its sign-offs.
func StageStates(tpl *checklist.Template, stages []string, signoffs []cutover.Signoff) map[string]StageState {
	out := make(map[string]StageState, len(stages))
	for _, key := range stages {
		st := StageState{Key: key}
		if s, ok := tpl.Stage(key); ok {
			st.Required = s.SignoffRoles
		}
		for _, so := range signoffs {
			if so.Stage == key && so.Live() {
				st.Live = append(st.Live, so)
			}
		}
		for _, r := range st.Required {
			if !slices.ContainsFunc(st.Live, func(so cutover.Signoff) bool { return so.Role == r }) {
				st.Missing = append(st.Missing, r)
			}
		}
		st.Locked = len(st.Live) > 0
		st.SignedOff = len(st.Required) > 0 && len(st.Missing) == 0
		out[key] = st
	}
	return out
}

// NewSignoff is a sign-off as a request describes it.
type NewSignoff struct {
	Stage     string
	Role      string
	Name      string
	Statement string
}

// Sign checks the gate and makes the sign-off: the stage must be one of the migration's, none of
// its tasks may be open, and the role must not have a live sign-off on it already.
func (n NewSignoff) Sign(m *cutover.Migration, stageTasks []cutover.Task, state StageState, who cutover.Caller, now time.Time) (cutover.Signoff, error) {
	if !slices.Contains(m.Stages, n.Stage) {
		return cutover.Signoff{}, cutover.Invalid("unknown-stage", "Unknown stage",
			cutover.FieldError{Field: "stage", Message: fmt.Sprintf("%q is not a stage of this migration", n.Stage)})
	}
	var open []cutover.OpenTask
	for _, t := range stageTasks {
		if t.Status.Open() {
			open = append(open, cutover.OpenTask{ID: t.ID, Title: t.Title, Status: t.Status})
		}
	}
	if len(open) > 0 {
		return cutover.Signoff{}, &cutover.GateError{Stage: n.Stage, Open: open}
	}
	if slices.ContainsFunc(state.Live, func(so cutover.Signoff) bool { return so.Role == n.Role }) {
		return cutover.Signoff{}, &cutover.ConflictError{Kind: "already-signed", Title: "Already signed off in this role",
			Detail: fmt.Sprintf("Stage %s already has a live sign-off by the %s; revoke it first to sign again.", n.Stage, n.Role)}
	}
	return cutover.Signoff{
		ID:          cutover.NewID(),
		OrgID:       m.OrgID,
		MigrationID: m.ID,
		Stage:       n.Stage,
		Role:        n.Role,
		Name:        n.Name,
		Statement:   n.Statement,
		SignedAt:    now,
		SignedBy:    who.Name,
		Version:     1,
	}, nil
}

// Revoke revokes a live sign-off, keeping it with the reason.
func Revoke(so *cutover.Signoff, reason string, who cutover.Caller, now time.Time) error {
	if !so.Live() {
		return &cutover.ConflictError{Kind: "already-revoked", Title: "The sign-off is already revoked",
			Detail: "This sign-off was revoked at " + so.RevokedAt.Format("2006-01-02 15:04 MST") + "."}
	}
	so.RevokedAt, so.RevokedBy, so.RevokedReason = &now, &who.Name, &reason
	return nil
}
