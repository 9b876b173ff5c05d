package handlers

import (
	"context"
	"log/slog"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
)

// checkFreeText runs every free-text field of a request through the patient-identifier guard. In
// block mode a hit is a 422 naming the field and the kind of identifier, never the value; in warn
// mode it is accepted and logged, again without the value.
//
// It returns the warnings to put on the response (nil unless warn mode accepted something).
func (s *Server) checkFreeText(ctx context.Context, fields ...patientguard.Field) (*[]api.Warning, error) {
	hits := patientguard.ScanFields(fields...)
	if len(hits) == 0 {
		return nil, nil
	}
	var bad []cutover.FieldError
	seen := map[string]bool{}
	for _, h := range hits {
		key := h.Field + "|" + string(h.Finding.Kind)
		if seen[key] {
			continue
		}
		seen[key] = true
		bad = append(bad, cutover.FieldError{Field: h.Field,
			Message: h.Finding.Kind.Description() + "; patient details must not be recorded in cutover"})
	}
	if s.guard == GuardWarn {
		ws := make([]api.Warning, len(bad))
		for i, b := range bad {
			s.log.WarnContext(ctx, "accepted free text that looks like patient data", slog.String("field", b.Field), slog.String("finding", b.Message))
			ws[i] = api.Warning{Field: b.Field, Message: b.Message}
		}
		return &ws, nil
	}
	return nil, cutover.Invalid("patient-identifier", "Patient details must not be recorded", bad...)
}
