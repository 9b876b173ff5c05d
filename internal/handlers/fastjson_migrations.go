package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/jsonappend"
)

// A page of migrations went the same way as a page of tasks: pprof of GET /v1/migrations at
// 1,000 migrations put 23% of the server's CPU in the SetNull and MarshalJSON of api.Migration's
// seventeen nullable key dates (each a map) and another 25% in encoding/json's reflection. The
// list is written by hand: the same bytes encoding/json writes for migrationToAPI(m)
// (TestMigrationListJSON compares them).

// The seventeen key dates in api.Migration's field order, in runs named by the field each run
// follows (see appendMigration).
var (
	datesAfterCurrentSystem = []string{"cutover_planning_meeting_date", "data_checking_start_date",
		"data_signoff_date", "extract_request_date", "fdp_date", "final_extract_date"}
	datesAfterGoLiveConfirmed = []string{"go_live_date", "hardware_deployment_date"}
	datesAfterID              = []string{"idp_date", "kick_off_date", "legacy_access_end_date",
		"links_off_date", "migration_end_date"}
	datesAfterNotes  = []string{"order_date"}
	datesAfterStatus = []string{"technical_survey_date"}
	datesAfterTpl    = []string{"training_end_date", "training_start_date"}
)

// migrationListJSON is a page of migrations.
type migrationListJSON struct {
	body *jsonBuf
	link string
}

func (s *Server) newMigrationListJSON(ms []cutover.Migration, next string, link *string) migrationListJSON {
	body := getJSONBuf()
	b := append(body.b, `{"items":[`...)
	for i := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMigration(b, &ms[i], s.templateOutdated(&ms[i]))
	}
	b = append(b, `],"next_cursor":`...)
	if next == "" {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, next)
	}
	body.b = append(b, "}\n"...)
	return migrationListJSON{body: body, link: deref(link)}
}

// VisitListMigrationsResponse implements api.ListMigrationsResponseObject.
func (r migrationListJSON) VisitListMigrationsResponse(w http.ResponseWriter) error {
	return writeJSON(w, http.StatusOK, r.body, "Link", r.link)
}

// appendMigration appends the JSON of migrationToAPI(m), keys in api.Migration's order.
func appendMigration(b []byte, m *cutover.Migration, templateOutdated bool) []byte {
	b = append(b, `{"created_at":`...)
	b = appendTime(b, m.CreatedAt)
	b = append(b, `,"current_system":`...)
	b = appendSystem(b, m.CurrentProduct, m.CurrentSupplier)
	b = appendDates(b, m.Dates, datesAfterCurrentSystem)
	b = append(b, `,"final_extract_time":`...)
	b = appendStringPtr(b, m.FinalExtractTime)
	b = append(b, `,"go_live_confirmed":`...)
	b = strconv.AppendBool(b, m.GoLiveConfirmed)
	b = appendDates(b, m.Dates, datesAfterGoLiveConfirmed)
	b = append(b, `,"id":`...)
	b = appendUUID(b, m.ID)
	b = appendDates(b, m.Dates, datesAfterID)
	b = append(b, `,"new_system":`...)
	b = appendSystem(b, m.NewProduct, m.NewSupplier)
	b = append(b, `,"notes":`...)
	b = appendStringPtr(b, m.Notes)
	b = appendDates(b, m.Dates, datesAfterNotes)
	b = append(b, `,"organisation_id":`...)
	b = appendUUID(b, m.OrgID)
	b = append(b, `,"practice":{"name":`...)
	b = jsonappend.String(b, m.PracticeName)
	b = append(b, `,"ods_code":`...)
	b = jsonappend.String(b, m.ODSCode)
	b = append(b, `},"stages":[`...)
	for i, st := range m.Stages {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(b, st)
	}
	b = append(b, `],"status":`...)
	b = jsonappend.String(b, string(m.Status))
	b = appendDates(b, m.Dates, datesAfterStatus)
	b = append(b, `,"template_outdated":`...)
	b = strconv.AppendBool(b, templateOutdated)
	b = append(b, `,"template_version":`...)
	b = jsonappend.String(b, m.TemplateVersion)
	b = appendDates(b, m.Dates, datesAfterTpl)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, m.UpdatedAt)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(m.Version), 10)
	return append(b, '}')
}

func appendSystem(b []byte, product, supplier string) []byte {
	b = append(b, `{"product":`...)
	b = jsonappend.String(b, product)
	b = append(b, `,"supplier":`...)
	b = jsonappend.String(b, supplier)
	return append(b, '}')
}

// appendDates appends `,"<key>":"YYYY-MM-DD"` (or null) for each key.
func appendDates(b []byte, dates map[string]cutover.Date, keys []string) []byte {
	for _, k := range keys {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		if d, ok := dates[k]; ok {
			b = append(b, '"')
			b = d.AppendFormat(b, time.DateOnly)
			b = append(b, '"')
		} else {
			b = append(b, "null"...)
		}
	}
	return b
}
