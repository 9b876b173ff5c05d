package handlers

import (
	"context"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/checklist"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/oapi-codegen/nullable"
)

// ListTemplates returns a template version's stages (the current one by default).
func (s *Server) ListTemplates(ctx context.Context, req api.ListTemplatesRequestObject) (api.ListTemplatesResponseObject, error) {
	tpl, err := s.templateVersion(req.Params.Version)
	if err != nil {
		return nil, err
	}
	items := make([]api.TemplateStage, len(tpl.Stages))
	for i := range tpl.Stages {
		items[i] = templateStageToAPI(tpl, i)
	}
	return api.ListTemplates200JSONResponse{Version: tpl.Version, Title: tpl.Title, SourceUrl: tpl.SourceURL,
		Items: items, NextCursor: nullableString("")}, nil
}

// ListTemplateVersions lists the template versions this server knows.
func (s *Server) ListTemplateVersions(ctx context.Context, req api.ListTemplateVersionsRequestObject) (api.ListTemplateVersionsResponseObject, error) {
	current := s.templates.Current().Version
	var items []api.TemplateVersionSummary
	for _, v := range s.templates.Versions() {
		tpl, _ := s.templates.Version(v)
		n := 0
		for i := range tpl.Stages {
			n += len(tpl.Stages[i].Tasks())
		}
		items = append(items, api.TemplateVersionSummary{Version: v, Current: v == current, Stages: len(tpl.Stages), Tasks: n})
	}
	return api.ListTemplateVersions200JSONResponse{Items: items, NextCursor: nullableString("")}, nil
}

// GetTemplateStage returns one stage of a template version.
func (s *Server) GetTemplateStage(ctx context.Context, req api.GetTemplateStageRequestObject) (api.GetTemplateStageResponseObject, error) {
	tpl, err := s.templateVersion(req.Params.Version)
	if err != nil {
		return nil, err
	}
	for i := range tpl.Stages {
		if tpl.Stages[i].Key == req.StageKey {
			return api.GetTemplateStage200JSONResponse(templateStageToAPI(tpl, i)), nil
		}
	}
	return nil, cutover.ErrNotFound
}

func (s *Server) templateVersion(v *string) (*checklist.Template, error) {
	if v == nil {
		return s.templates.Current(), nil
	}
	tpl, ok := s.templates.Version(*v)
	if !ok {
		return nil, cutover.ErrNotFound
	}
	return tpl, nil
}

func templateStageToAPI(tpl *checklist.Template, i int) api.TemplateStage {
	st := &tpl.Stages[i]
	a := api.TemplateStage{
		Version:      tpl.Version,
		Key:          st.Key,
		Title:        st.Title,
		Position:     i + 1,
		Summary:      st.Summary,
		Duration:     nullableString(st.Duration),
		Notices:      orEmpty(st.Notices),
		Roles:        roles(st.Roles),
		SignoffRoles: roles(st.SignoffRoles),
		KeyDates:     make([]api.KeyDateField, len(st.KeyDates)),
		Tables:       make([]api.TemplateTable, len(st.Tables)),
		Groups:       make([]api.TemplateGroup, len(st.Groups)),
	}
	for j, k := range st.KeyDates {
		a.KeyDates[j] = api.KeyDateField(k)
	}
	for j, t := range st.Tables {
		tt := api.TemplateTable{Key: t.Key, Title: t.Title, Columns: orEmpty(t.Columns)}
		if t.ContactRole != "" {
			tt.ContactRole = nullable.NewNullableWithValue(api.TemplateTableContactRole(t.ContactRole))
		} else {
			tt.ContactRole.SetNull()
		}
		if t.KeyDate != "" {
			tt.KeyDate = nullable.NewNullableWithValue(api.TemplateTableKeyDate(t.KeyDate))
		} else {
			tt.KeyDate.SetNull()
		}
		a.Tables[j] = tt
	}
	for j, g := range st.Groups {
		ag := api.TemplateGroup{Key: g.Key, Title: g.Title, Topics: make([]api.TemplateTopic, len(g.Topics)),
			Tasks: make([]api.TemplateTask, len(g.Tasks))}
		for k, tp := range g.Topics {
			ag.Topics[k] = api.TemplateTopic{Title: tp.Title, GdprWarning: tp.GDPRWarning}
		}
		for k := range g.Tasks {
			ag.Tasks[k] = templateTaskToAPI(&g.Tasks[k])
		}
		a.Groups[j] = ag
	}
	return a
}

func templateTaskToAPI(t *checklist.Task) api.TemplateTask {
	a := api.TemplateTask{
		Key: t.Key, Title: t.Title, Guidance: t.Guidance, OwnerRole: api.Role(t.OwnerRole),
		Topic: nullableString(t.Topic), Timing: nullableString(t.Timing), DueRule: nullableString(t.Due),
		StartsRule: nullableString(t.Starts), PatientData: api.TemplateTaskPatientData(t.PatientData),
		GdprWarning: t.GDPRWarning(), Sources: orEmpty(t.Sources),
		Reminders: make([]api.TemplateReminder, len(t.Reminders)),
	}
	if t.TimingBasis != "" {
		a.TimingBasis = nullable.NewNullableWithValue(api.TemplateTaskTimingBasis(t.TimingBasis))
	} else {
		a.TimingBasis.SetNull()
	}
	for i, r := range t.Reminders {
		a.Reminders[i] = api.TemplateReminder{OffsetDays: r.OffsetDays, Time: r.Time}
	}
	return a
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
