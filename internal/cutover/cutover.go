// Package cutover is the shared vocabulary of the service: migrations, tasks, contacts, sign-offs,
// events, callers, their statuses and the errors every layer speaks. It holds data and the small
// invariants that belong to the data itself; the rules that need more (templates, schedules,
// gates) live in their own packages. It imports only the standard library and uuid: never HTTP,
// GORM, the generated API or the store.
package cutover

import (
	"time"

	"github.com/google/uuid"
)

// NewID returns a new UUIDv7, so ids sort by creation time.
func NewID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

// TokenRole is what a token may do.
type TokenRole string

// The token roles, each allowing what the one before allows and more.
const (
	RoleViewer TokenRole = "viewer"
	RoleEditor TokenRole = "editor"
	RoleAdmin  TokenRole = "admin"
)

var roleRank = map[TokenRole]int{RoleViewer: 1, RoleEditor: 2, RoleAdmin: 3}

// Valid reports whether r is a known role.
func (r TokenRole) Valid() bool { return roleRank[r] > 0 }

// Allows reports whether a token with role r may do what needs role need.
func (r TokenRole) Allows(need TokenRole) bool { return roleRank[r] >= roleRank[need] }

// Caller is who makes a request: the token, its organisation and its role.
type Caller struct {
	TokenID  uuid.UUID
	OrgID    uuid.UUID
	Name     string // the token's name: the actor of events
	Role     TokenRole
	Operator bool // the token belongs to the operator organisation
}

// System is the caller the server itself acts as (the scheduler, bootstrap).
func System(org uuid.UUID) Caller {
	return Caller{OrgID: org, Name: "cutover", Role: RoleAdmin}
}

// Date is a calendar date, held as midnight UTC.
type Date = time.Time

// DateOf returns the calendar date of t in t's own location, as midnight UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// FormatDate writes a calendar date as YYYY-MM-DD.
func FormatDate(d Date) string { return d.Format(time.DateOnly) }

// SeesAll reports whether the caller may see every organisation's data: the operator's admins.
func (c Caller) SeesAll() bool { return c.Operator && c.Role == RoleAdmin }

// London is the time zone of the guide's dates: a date-only due date means that day in England.
var London = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("cutover: time zone " + name + ": " + err.Error() + " (import time/tzdata)")
	}
	return loc
}

// Today is the calendar date in England at instant now.
func Today(now time.Time) Date { return DateOf(now.In(London)) }
