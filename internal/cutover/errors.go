package cutover

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Sentinel errors; the HTTP layer maps each to one status in one place.
var (
	// ErrNotFound: no such resource, or one the caller may not see. The two must look the same.
	ErrNotFound = errors.New("not found")
	// ErrStale: the If-Match version is not the current one.
	ErrStale = errors.New("stale version")
	// ErrUnauthenticated: no token, or an unknown, expired or revoked one.
	ErrUnauthenticated = errors.New("unauthenticated")
)

// FieldError names one invalid field and says how to put it right.
type FieldError struct {
	Field   string
	Message string
}

// ValidationError is a request that is malformed (Status 400) or well formed but against a rule
// (Status 422).
type ValidationError struct {
	Status int
	Kind   string // a stable problem kind, e.g. "invalid-request", "inconsistent-dates"
	Title  string
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("%s: %s", e.Kind, strings.Join(parts, "; "))
}

// Invalid is a 422 of the given kind about the given fields.
func Invalid(kind, title string, fields ...FieldError) *ValidationError {
	return &ValidationError{Status: 422, Kind: kind, Title: title, Fields: fields}
}

// BadRequest is a 400 about the given fields.
func BadRequest(fields ...FieldError) *ValidationError {
	return &ValidationError{Status: 400, Kind: "invalid-request", Title: "The request is not valid", Fields: fields}
}

// ConflictError is a change refused because of the resource's state (409): a locked stage, a
// template task that cannot be deleted, a status move that skips a step.
type ConflictError struct {
	Kind    string // stable problem kind, e.g. "stage-locked"
	Title   string
	Detail  string
	Missing []string // what would have to happen first, where that is a list
}

func (e *ConflictError) Error() string { return e.Kind + ": " + e.Detail }

// OpenTask is a task that keeps a sign-off gate shut.
type OpenTask struct {
	ID     uuid.UUID
	Title  string
	Status TaskStatus
}

// GateError is a sign-off refused because tasks of the stage are still open (409).
type GateError struct {
	Stage string
	Open  []OpenTask
}

func (e *GateError) Error() string {
	return fmt.Sprintf("stage %s has %d open tasks", e.Stage, len(e.Open))
}

// ForbiddenError is a valid token whose role does not allow the operation (403).
type ForbiddenError struct {
	Need TokenRole
	Have TokenRole
	Why  string // set instead of Need/Have when the refusal is not about the role
}

func (e *ForbiddenError) Error() string {
	if e.Why != "" {
		return "forbidden: " + e.Why
	}
	return fmt.Sprintf("forbidden: needs %s, token has %s", e.Need, e.Have)
}
