package cutover

import (
	"time"

	"github.com/google/uuid"
)

// MigrationStatus is where a migration is in its life.
type MigrationStatus string

// The migration statuses, in the order a migration normally moves through them.
const (
	StatusPlanned    MigrationStatus = "planned"
	StatusInProgress MigrationStatus = "in_progress"
	StatusCutover    MigrationStatus = "cutover"
	StatusLive       MigrationStatus = "live"
	StatusClosed     MigrationStatus = "closed"
	StatusCancelled  MigrationStatus = "cancelled"
)

// Active reports whether the migration is still being worked on.
func (s MigrationStatus) Active() bool {
	return s != StatusClosed && s != StatusCancelled
}

// Migration is one practice moving from its current clinical system to a new one.
type Migration struct {
	ID              uuid.UUID
	OrgID           uuid.UUID
	ODSCode         string
	PracticeName    string
	CurrentSupplier string
	CurrentProduct  string
	NewSupplier     string
	NewProduct      string
	Status          MigrationStatus
	Notes           *string
	// Dates holds the key dates that are set, by field name (fdp_date, go_live_date, ...).
	Dates            map[string]Date
	GoLiveConfirmed  bool
	FinalExtractTime *string
	Stages           []string // the stage keys its checklist covers, in the guide's order
	TemplateVersion  string
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// TaskStatus is the state of a checklist task.
type TaskStatus string

// The task statuses.
const (
	TaskTodo          TaskStatus = "todo"
	TaskInProgress    TaskStatus = "in_progress"
	TaskDone          TaskStatus = "done"
	TaskNotApplicable TaskStatus = "not_applicable"
)

// Open reports whether the task still needs doing: it keeps a sign-off gate shut.
func (s TaskStatus) Open() bool { return s == TaskTodo || s == TaskInProgress }

// Valid reports whether s is a known status.
func (s TaskStatus) Valid() bool {
	switch s {
	case TaskTodo, TaskInProgress, TaskDone, TaskNotApplicable:
		return true
	}
	return false
}

// Due date sources.
const (
	DueDerived = "derived"
	DueManual  = "manual"
)

// Task is one checklist item of a migration.
type Task struct {
	ID                  uuid.UUID
	OrgID               uuid.UUID
	MigrationID         uuid.UUID
	Stage               string
	StagePosition       int
	Group               string
	Key                 *string // the template task key; nil for custom tasks
	Title               string
	Guidance            string
	Position            int
	OwnerRole           string
	Status              TaskStatus
	NotApplicableReason *string
	Notes               *string
	Timing              *string // the guide's words for when
	DueRule             *string // how the due date is derived, e.g. "fdp_date - 28d"
	DueDate             *Date
	DueDateSource       string
	GDPRWarning         bool
	Local               bool
	CompletedAt         *time.Time
	CompletedBy         *string
	Reminders           []Reminder // in the order they were given
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Overdue reports whether the task is open and its due date is before today.
func (t *Task) Overdue(today Date) bool {
	return t.Status.Open() && t.DueDate != nil && t.DueDate.Before(today)
}

// Contact is a supplier's or partner's contact for one migration.
type Contact struct {
	ID           uuid.UUID
	OrgID        uuid.UUID
	MigrationID  uuid.UUID
	Role         string
	Organisation string
	Name         *string
	Email        *string
	Phone        *string
	Notes        *string
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Signoff is a named person in a role signing a stage off. It is never edited or deleted, only
// revoked.
type Signoff struct {
	ID            uuid.UUID
	OrgID         uuid.UUID
	MigrationID   uuid.UUID
	Stage         string
	Role          string
	Name          string
	Statement     string
	SignedAt      time.Time
	SignedBy      string
	RevokedAt     *time.Time
	RevokedBy     *string
	RevokedReason *string
	Version       int
}

// Live reports whether the sign-off has not been revoked.
func (s *Signoff) Live() bool { return s.RevokedAt == nil }

// Change is one field's value before and after a change. Values are JSON-ready: strings, numbers,
// booleans, string lists or nil.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Event is one entry of the audit trail.
type Event struct {
	ID           uuid.UUID
	Seq          int64 // commit order
	OrgID        uuid.UUID
	MigrationID  *uuid.UUID
	At           time.Time
	Actor        string
	Action       string // "<resource>.<past verb>"
	ResourceType string
	ResourceID   uuid.UUID
	Changes      map[string]Change
	// RawChanges are the changes as the store keeps them, a JSON object of {"from", "to"} by
	// field (keys sorted, as encoding/json writes a map), set instead of Changes when the event
	// is read for a list that passes the trail on as it is: decoding and encoding them again was
	// most of the cost of a page of the feed.
	RawChanges []byte
}

// Organisation owns migrations and tokens.
type Organisation struct {
	ID        uuid.UUID
	Name      string
	Kind      string
	Operator  bool
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Token is an API token. Its value is never stored, only its hash.
type Token struct {
	ID         uuid.UUID
	OrgID      uuid.UUID
	Name       string
	Role       TokenRole
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
	Operator   bool // its organisation is the operator
}
