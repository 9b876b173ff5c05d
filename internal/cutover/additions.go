package cutover

import (
	"time"

	"github.com/google/uuid"
)

// TemplateAddition is an organisation's own task added to a stage of the checklist template: every
// migration the organisation creates afterwards gets it as a local task.
type TemplateAddition struct {
	ID        uuid.UUID
	OrgID     uuid.UUID
	Stage     string
	Group     string
	Title     string
	Guidance  string
	OwnerRole string
	Timing    *string // the organisation's words for when
	DueRule   *string // the due date rule, in the templates' grammar
	// Where it goes in its stage: after the template task with key AfterKey, or at Position; after
	// the last task of its group (or stage) when neither is set.
	AfterKey *string
	Position *int
	Version  int
	// CreatedAt orders additions placed at the same spot.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Fields is the audited state of a template addition.
func (a *TemplateAddition) Fields() map[string]any {
	var pos any
	if a.Position != nil {
		pos = *a.Position
	}
	return map[string]any{
		"stage":      a.Stage,
		"group":      a.Group,
		"title":      a.Title,
		"guidance":   a.Guidance,
		"owner_role": a.OwnerRole,
		"timing":     strOrNil(a.Timing),
		"due_rule":   strOrNil(a.DueRule),
		"after_key":  strOrNil(a.AfterKey),
		"position":   pos,
	}
}
