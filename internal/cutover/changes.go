package cutover

import (
	"reflect"
	"time"
)

// The audit trail records each resource as a flat map of its API field names to JSON-ready
// values, so that replaying a resource's events from its creation gives back its current state.
// Versions and update times are left out: they change on every write and say nothing new.

// Fields is the audited state of a migration.
func (m *Migration) Fields() map[string]any {
	f := map[string]any{
		"practice.ods_code":       m.ODSCode,
		"practice.name":           m.PracticeName,
		"current_system.supplier": m.CurrentSupplier,
		"current_system.product":  m.CurrentProduct,
		"new_system.supplier":     m.NewSupplier,
		"new_system.product":      m.NewProduct,
		"status":                  string(m.Status),
		"notes":                   strOrNil(m.Notes),
		"go_live_confirmed":       m.GoLiveConfirmed,
		"final_extract_time":      strOrNil(m.FinalExtractTime),
		"stages":                  append([]string(nil), m.Stages...),
		"template_version":        m.TemplateVersion,
	}
	for k, d := range m.Dates {
		f[k] = FormatDate(d)
	}
	return f
}

// Fields is the audited state of a task.
func (t *Task) Fields() map[string]any {
	return map[string]any{
		"stage":                 t.Stage,
		"group":                 t.Group,
		"key":                   strOrNil(t.Key),
		"title":                 t.Title,
		"guidance":              t.Guidance,
		"position":              t.Position,
		"owner_role":            t.OwnerRole,
		"status":                string(t.Status),
		"not_applicable_reason": strOrNil(t.NotApplicableReason),
		"notes":                 strOrNil(t.Notes),
		"timing":                strOrNil(t.Timing),
		"due_rule":              strOrNil(t.DueRule),
		"due_date":              dateOrNil(t.DueDate),
		"due_date_source":       t.DueDateSource,
		"gdpr_warning":          t.GDPRWarning,
		"local":                 t.Local,
		"completed_at":          timeOrNil(t.CompletedAt),
		"completed_by":          strOrNil(t.CompletedBy),
		"reminders":             reminderStrings(t.Reminders),
	}
}

// Fields is the audited state of a contact.
func (c *Contact) Fields() map[string]any {
	return map[string]any{
		"role":         c.Role,
		"organisation": c.Organisation,
		"name":         strOrNil(c.Name),
		"email":        strOrNil(c.Email),
		"phone":        strOrNil(c.Phone),
		"notes":        strOrNil(c.Notes),
	}
}

// Fields is the audited state of a sign-off.
func (s *Signoff) Fields() map[string]any {
	return map[string]any{
		"stage":          s.Stage,
		"role":           s.Role,
		"name":           s.Name,
		"statement":      s.Statement,
		"signed_at":      s.SignedAt.UTC().Format(time.RFC3339Nano),
		"signed_by":      s.SignedBy,
		"revoked_at":     timeOrNil(s.RevokedAt),
		"revoked_by":     strOrNil(s.RevokedBy),
		"revoked_reason": strOrNil(s.RevokedReason),
	}
}

// Diff lists the fields whose values differ between two audited states; a field missing from one
// side counts as nil there.
func Diff(before, after map[string]any) map[string]Change {
	out := map[string]Change{}
	for k, a := range after {
		if b := before[k]; !reflect.DeepEqual(b, a) {
			out[k] = Change{From: b, To: a}
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok && b != nil {
			out[k] = Change{From: b, To: nil}
		}
	}
	return out
}

// Created is the change set of a new resource: every field from nil.
func Created(after map[string]any) map[string]Change { return Diff(nil, after) }

// Deleted is the change set of a deleted resource: every field to nil, so the trail keeps what
// was there.
func Deleted(before map[string]any) map[string]Change { return Diff(before, nil) }

func strOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func dateOrNil(d *Date) any {
	if d == nil {
		return nil
	}
	return FormatDate(*d)
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}
