package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
)

// dateCol is a calendar date column, stored as YYYY-MM-DD text on every database so that it sorts
// and compares the same everywhere.
type dateCol struct {
	t     time.Time
	valid bool
}

func dateColOf(d *cutover.Date) dateCol {
	if d == nil {
		return dateCol{}
	}
	return dateCol{t: *d, valid: true}
}

func (d dateCol) ptr() *cutover.Date {
	if !d.valid {
		return nil
	}
	t := d.t
	return &t
}

// Value implements driver.Valuer.
func (d dateCol) Value() (driver.Value, error) {
	if !d.valid {
		return nil, nil
	}
	return cutover.FormatDate(d.t), nil
}

// Scan implements sql.Scanner.
func (d *dateCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d = dateCol{}
		return nil
	case time.Time:
		*d = dateCol{t: cutover.DateOf(v), valid: true}
		return nil
	case []byte:
		return d.parse(string(v))
	case string:
		return d.parse(v)
	}
	return fmt.Errorf("date column: unexpected %T", v)
}

func (d *dateCol) parse(s string) error {
	// The stored form is always YYYY-MM-DD; reading it by hand skips time.Parse's layout
	// interpretation, a visible share of reading a migration's seventeen date columns.
	if t, ok := parseDate(s); ok {
		*d = dateCol{t: t, valid: true}
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("date column %q: %w", s, err)
	}
	*d = dateCol{t: t, valid: true}
	return nil
}

// parseDate reads YYYY-MM-DD as time.Parse(time.DateOnly) does; false for anything else.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	n := 0
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n = n*10 + int(c-'0')
	}
	year, month, day := n/10000, n/100%100, n%100
	if month < 1 || month > 12 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 30 February: let time.Parse say so
	}
	return t, true
}

// jsonCol is a JSON-encoded column of T.
type jsonCol[T any] struct{ v T }

func (j jsonCol[T]) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, fmt.Errorf("encode json column: %w", err)
	}
	return string(b), nil
}

func (j *jsonCol[T]) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case nil:
		var zero T
		j.v = zero
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("json column: unexpected %T", v)
	}
	if err := json.Unmarshal(b, &j.v); err != nil {
		return fmt.Errorf("decode json column: %w", err)
	}
	return nil
}

// stagesCol reads a migration's stage keys, stored as a JSON array. There are few distinct
// values (subsets of the guide's eight stages, in its order; almost every migration has all
// of them), so each is decoded once and copied after: decoding it with encoding/json for every
// row was 8% of the CPU of listing migrations.
type stagesCol struct{ v []string }

var decodedStages sync.Map // stored JSON -> []string, never modified

func (c *stagesCol) Scan(v any) error {
	var raw string
	switch v := v.(type) {
	case nil:
		c.v = nil
		return nil
	case []byte:
		raw = string(v)
	case string:
		raw = v
	default:
		return fmt.Errorf("stages column: unexpected %T", v)
	}
	d, ok := decodedStages.Load(raw)
	if !ok {
		var keys []string
		if err := json.Unmarshal([]byte(raw), &keys); err != nil {
			return fmt.Errorf("decode stages column: %w", err)
		}
		if len(raw) <= 512 { // a list of stage keys; anything else is not worth keeping
			decodedStages.Store(raw, keys)
		}
		d = keys
	}
	c.v = slices.Clone(d.([]string))
	return nil
}

// Rows set CreatedAt and UpdatedAt themselves (from the transaction's clock): GORM's automatic
// timestamps are switched off, or an update would store its own clock's time instead of the one
// the request answers with.
type migrationRow struct {
	ID                         uuid.UUID `gorm:"primaryKey"`
	OrgID                      uuid.UUID
	OdsCode                    string
	PracticeName               string
	CurrentSupplier            string
	CurrentProduct             string
	NewSupplier                string
	NewProduct                 string
	Status                     string
	Notes                      *string
	OrderDate                  dateCol
	GoLiveDate                 dateCol
	ExtractRequestDate         dateCol
	KickOffDate                dateCol
	TechnicalSurveyDate        dateCol
	HardwareDeploymentDate     dateCol
	TrainingStartDate          dateCol
	TrainingEndDate            dateCol
	IdpDate                    dateCol
	DataCheckingStartDate      dateCol
	DataSignoffDate            dateCol
	CutoverPlanningMeetingDate dateCol
	LinksOffDate               dateCol
	FdpDate                    dateCol
	FinalExtractDate           dateCol
	LegacyAccessEndDate        dateCol
	MigrationEndDate           dateCol
	GoLiveConfirmed            bool
	FinalExtractTime           *string
	Stages                     jsonCol[[]string]
	TemplateVersion            string
	Version                    int
	CreatedAt                  time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt                  time.Time `gorm:"autoUpdateTime:false"`
}

func (migrationRow) TableName() string { return "migrations" }

// dates maps each key date field to its column.
func (r *migrationRow) dates() map[string]*dateCol {
	return map[string]*dateCol{
		"order_date":                    &r.OrderDate,
		"go_live_date":                  &r.GoLiveDate,
		"extract_request_date":          &r.ExtractRequestDate,
		"kick_off_date":                 &r.KickOffDate,
		"technical_survey_date":         &r.TechnicalSurveyDate,
		"hardware_deployment_date":      &r.HardwareDeploymentDate,
		"training_start_date":           &r.TrainingStartDate,
		"training_end_date":             &r.TrainingEndDate,
		"idp_date":                      &r.IdpDate,
		"data_checking_start_date":      &r.DataCheckingStartDate,
		"data_signoff_date":             &r.DataSignoffDate,
		"cutover_planning_meeting_date": &r.CutoverPlanningMeetingDate,
		"links_off_date":                &r.LinksOffDate,
		"fdp_date":                      &r.FdpDate,
		"final_extract_date":            &r.FinalExtractDate,
		"legacy_access_end_date":        &r.LegacyAccessEndDate,
		"migration_end_date":            &r.MigrationEndDate,
	}
}

func migrationRowOf(m *cutover.Migration) migrationRow {
	r := migrationRow{
		ID: m.ID, OrgID: m.OrgID, OdsCode: m.ODSCode, PracticeName: m.PracticeName,
		CurrentSupplier: m.CurrentSupplier, CurrentProduct: m.CurrentProduct,
		NewSupplier: m.NewSupplier, NewProduct: m.NewProduct, Status: string(m.Status), Notes: m.Notes,
		GoLiveConfirmed: m.GoLiveConfirmed, FinalExtractTime: m.FinalExtractTime,
		Stages: jsonCol[[]string]{m.Stages}, TemplateVersion: m.TemplateVersion, Version: m.Version,
		CreatedAt: dbTime(m.CreatedAt), UpdatedAt: dbTime(m.UpdatedAt),
	}
	for k, col := range r.dates() {
		if d, ok := m.Dates[k]; ok {
			*col = dateCol{t: d, valid: true}
		}
	}
	return r
}

func (r *migrationRow) toDomain() cutover.Migration {
	m := cutover.Migration{
		ID: r.ID, OrgID: r.OrgID, ODSCode: r.OdsCode, PracticeName: r.PracticeName,
		CurrentSupplier: r.CurrentSupplier, CurrentProduct: r.CurrentProduct,
		NewSupplier: r.NewSupplier, NewProduct: r.NewProduct, Status: cutover.MigrationStatus(r.Status),
		Notes: r.Notes, Dates: map[string]cutover.Date{}, GoLiveConfirmed: r.GoLiveConfirmed,
		FinalExtractTime: r.FinalExtractTime, Stages: r.Stages.v, TemplateVersion: r.TemplateVersion,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	for k, col := range r.dates() {
		if col.valid {
			m.Dates[k] = col.t
		}
	}
	return m
}

type taskRow struct {
	ID                  uuid.UUID `gorm:"primaryKey"`
	OrgID               uuid.UUID
	MigrationID         uuid.UUID
	Stage               string
	StagePosition       int
	Grp                 string
	TemplateKey         *string
	Title               string
	Guidance            string
	Position            int
	OwnerRole           string
	Status              string
	NotApplicableReason *string
	Notes               *string
	Timing              *string
	DueRule             *string
	DueDate             dateCol
	DueDateSource       string
	GdprWarning         bool
	Local               bool
	CompletedAt         *time.Time
	CompletedBy         *string
	Version             int
	CreatedAt           time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt           time.Time `gorm:"autoUpdateTime:false"`
}

func (taskRow) TableName() string { return "tasks" }

func taskRowOf(t *cutover.Task) taskRow {
	return taskRow{
		ID: t.ID, OrgID: t.OrgID, MigrationID: t.MigrationID, Stage: t.Stage, StagePosition: t.StagePosition,
		Grp: t.Group, TemplateKey: t.Key, Title: t.Title, Guidance: t.Guidance, Position: t.Position,
		OwnerRole: t.OwnerRole, Status: string(t.Status), NotApplicableReason: t.NotApplicableReason,
		Notes: t.Notes, Timing: t.Timing, DueRule: t.DueRule, DueDate: dateColOf(t.DueDate),
		DueDateSource: t.DueDateSource, GdprWarning: t.GDPRWarning, Local: t.Local,
		CompletedAt: utcPtr(t.CompletedAt), CompletedBy: t.CompletedBy, Version: t.Version,
		CreatedAt: dbTime(t.CreatedAt), UpdatedAt: dbTime(t.UpdatedAt),
	}
}

func (r *taskRow) toDomain() cutover.Task {
	return cutover.Task{
		ID: r.ID, OrgID: r.OrgID, MigrationID: r.MigrationID, Stage: r.Stage, StagePosition: r.StagePosition,
		Group: r.Grp, Key: r.TemplateKey, Title: r.Title, Guidance: r.Guidance, Position: r.Position,
		OwnerRole: r.OwnerRole, Status: cutover.TaskStatus(r.Status), NotApplicableReason: r.NotApplicableReason,
		Notes: r.Notes, Timing: r.Timing, DueRule: r.DueRule, DueDate: r.DueDate.ptr(),
		DueDateSource: r.DueDateSource, GDPRWarning: r.GdprWarning, Local: r.Local,
		CompletedAt: utcPtr(r.CompletedAt), CompletedBy: r.CompletedBy, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type contactRow struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	OrgID        uuid.UUID
	MigrationID  uuid.UUID
	Role         string
	Organisation string
	Name         *string
	Email        *string
	Phone        *string
	Notes        *string
	Version      int
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt    time.Time `gorm:"autoUpdateTime:false"`
}

func (contactRow) TableName() string { return "contacts" }

func contactRowOf(c *cutover.Contact) contactRow {
	return contactRow{ID: c.ID, OrgID: c.OrgID, MigrationID: c.MigrationID, Role: c.Role, Organisation: c.Organisation,
		Name: c.Name, Email: c.Email, Phone: c.Phone, Notes: c.Notes, Version: c.Version,
		CreatedAt: dbTime(c.CreatedAt), UpdatedAt: dbTime(c.UpdatedAt)}
}

func (r *contactRow) toDomain() cutover.Contact {
	return cutover.Contact{ID: r.ID, OrgID: r.OrgID, MigrationID: r.MigrationID, Role: r.Role, Organisation: r.Organisation,
		Name: r.Name, Email: r.Email, Phone: r.Phone, Notes: r.Notes, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type signoffRow struct {
	ID            uuid.UUID `gorm:"primaryKey"`
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

func (signoffRow) TableName() string { return "signoffs" }

func signoffRowOf(s *cutover.Signoff) signoffRow {
	return signoffRow{ID: s.ID, OrgID: s.OrgID, MigrationID: s.MigrationID, Stage: s.Stage, Role: s.Role, Name: s.Name,
		Statement: s.Statement, SignedAt: dbTime(s.SignedAt), SignedBy: s.SignedBy, RevokedAt: utcPtr(s.RevokedAt),
		RevokedBy: s.RevokedBy, RevokedReason: s.RevokedReason, Version: s.Version}
}

func (r *signoffRow) toDomain() cutover.Signoff {
	return cutover.Signoff{ID: r.ID, OrgID: r.OrgID, MigrationID: r.MigrationID, Stage: r.Stage, Role: r.Role, Name: r.Name,
		Statement: r.Statement, SignedAt: r.SignedAt.UTC(), SignedBy: r.SignedBy, RevokedAt: utcPtr(r.RevokedAt),
		RevokedBy: r.RevokedBy, RevokedReason: r.RevokedReason, Version: r.Version}
}

type organisationRow struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	Name      string
	Kind      string
	Operator  bool
	Version   int
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (organisationRow) TableName() string { return "organisations" }

func (r *organisationRow) toDomain() cutover.Organisation {
	return cutover.Organisation{ID: r.ID, Name: r.Name, Kind: r.Kind, Operator: r.Operator, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type tokenRow struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	OrgID      uuid.UUID
	Name       string
	Role       string
	Hash       []byte
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
}

func (tokenRow) TableName() string { return "tokens" }

func (r *tokenRow) toDomain(operator bool) cutover.Token {
	return cutover.Token{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Role: cutover.TokenRole(r.Role),
		ExpiresAt: utcPtr(r.ExpiresAt), LastUsedAt: utcPtr(r.LastUsedAt), RevokedAt: utcPtr(r.RevokedAt),
		CreatedAt: r.CreatedAt.UTC(), Operator: operator}
}

type eventRow struct {
	Seq          int64 `gorm:"primaryKey;autoIncrement"`
	ID           uuid.UUID
	OrgID        uuid.UUID
	MigrationID  uuid.NullUUID
	At           time.Time
	Actor        string
	Action       string
	ResourceType string
	ResourceID   uuid.UUID
	Changes      jsonCol[map[string]cutover.Change]
}

func (eventRow) TableName() string { return "events" }

func newEventRow(who cutover.Caller, org uuid.UUID, at time.Time, action, resourceType string, resourceID uuid.UUID, migrationID *uuid.UUID, changes map[string]cutover.Change) eventRow {
	r := eventRow{ID: cutover.NewID(), OrgID: org, At: dbTime(at), Actor: who.Name, Action: action,
		ResourceType: resourceType, ResourceID: resourceID, Changes: jsonCol[map[string]cutover.Change]{changes}}
	if migrationID != nil {
		r.MigrationID = uuid.NullUUID{UUID: *migrationID, Valid: true}
	}
	if r.Changes.v == nil {
		r.Changes.v = map[string]cutover.Change{}
	}
	return r
}

func (r *eventRow) toDomain() cutover.Event {
	e := cutover.Event{ID: r.ID, Seq: r.Seq, OrgID: r.OrgID, At: r.At.UTC(), Actor: r.Actor, Action: r.Action,
		ResourceType: r.ResourceType, ResourceID: r.ResourceID, Changes: r.Changes.v}
	if r.MigrationID.Valid {
		id := r.MigrationID.UUID
		e.MigrationID = &id
	}
	return e
}

// dbTime is a timestamp as every database keeps it: UTC, to the microsecond (PostgreSQL's
// precision; SQLite would keep nanoseconds). Timestamps are rounded before they are stored and
// before they are answered, so that a write answers exactly what a later read does, on either.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := dbTime(*t)
	return &u
}
