package cutover

import (
	"time"

	"github.com/google/uuid"
)

// CalendarFeed is a read-only calendar URL of one migration, for calendar apps that cannot send a
// bearer token. Its secret is shown once, when it is created; only a hash of it is kept.
type CalendarFeed struct {
	ID          uuid.UUID
	OrgID       uuid.UUID
	MigrationID uuid.UUID
	Label       string
	CreatedBy   string
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// Fields is the audited state of a calendar feed. The secret is never part of it.
func (f *CalendarFeed) Fields() map[string]any {
	return map[string]any{
		"label":      f.Label,
		"created_by": f.CreatedBy,
		"revoked_at": timeOrNil(f.RevokedAt),
	}
}
