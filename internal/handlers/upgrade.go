package handlers

import (
	"context"
	"fmt"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/workflow"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ListTemplateChanges says what the current template changes for one migration, task by task.
func (s *Server) ListTemplateChanges(ctx context.Context, req api.ListTemplateChangesRequestObject) (api.ListTemplateChangesResponseObject, error) {
	sc, err := s.store.UpgradeScene(ctx, callerFrom(ctx), req.MigrationId)
	if err != nil {
		return nil, fmt.Errorf("template changes of %s: %w", req.MigrationId, err)
	}
	u, err := s.planUpgrade(sc, nil, false)
	if err != nil {
		return nil, fmt.Errorf("template changes of %s: %w", req.MigrationId, err)
	}
	return api.ListTemplateChanges200JSONResponse{
		MigrationId:  sc.Migration.ID,
		FromVersion:  u.From,
		ToVersion:    u.To,
		Outdated:     s.templateOutdated(&sc.Migration),
		LockedStages: orEmpty(u.Locked),
		Items:        templateChangesToAPI(u.Changes, false),
		NextCursor:   nullableString(""),
	}, nil
}

// UpgradeTemplate moves a migration to the current template in one transaction, or says what that
// would do (dry run).
func (s *Server) UpgradeTemplate(ctx context.Context, req api.UpgradeTemplateRequestObject) (api.UpgradeTemplateResponseObject, error) {
	who := callerFrom(ctx)
	var accept []string
	dry := false
	if b := req.Body; b != nil {
		dry = deref(b.DryRun)
		if b.AcceptSignedOffStages != nil {
			accept = *b.AcceptSignedOffStages
		}
	}
	want := ifMatch(req.Params.IfMatch)
	var (
		u   workflow.Upgrade
		m   cutover.Migration
		err error
	)
	if dry {
		// The same reads and checks as the real upgrade, in the same order, without the write.
		var sc store.UpgradeScene
		if sc, err = s.store.UpgradeScene(ctx, who, req.MigrationId); err == nil {
			m = sc.Migration
			if want != nil && *want != m.Version {
				err = cutover.ErrStale
			} else {
				u, err = s.planUpgrade(sc, accept, true)
			}
		}
	} else {
		m, err = s.store.UpgradeTemplate(ctx, who, req.MigrationId, want, func(sc store.UpgradeScene) (store.TemplateWrites, error) {
			if u, err = s.planUpgrade(sc, accept, true); err != nil {
				return store.TemplateWrites{}, err
			}
			return templateWritesOf(&u), nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("upgrade template of %s: %w", req.MigrationId, err)
	}
	return api.UpgradeTemplate200JSONResponse{
		Body: api.TemplateUpgradeResult{
			DryRun:         dry,
			FromVersion:    u.From,
			ToVersion:      u.To,
			LockedStages:   orEmpty(u.Locked),
			AcceptedStages: orEmpty(u.Accepted),
			Migration:      s.migrationToAPI(&m),
			Items:          templateChangesToAPI(u.Changes, !dry),
			NextCursor:     nullableString(""),
		},
		Headers: api.UpgradeTemplate200ResponseHeaders{ETag: etag(m.Version)},
	}, nil
}

// planUpgrade plans the migration's move to the current template. With refuse, it is an upgrade
// request: refused when it would change a signed-off stage it does not accept; without, a report
// that lists such stages.
func (s *Server) planUpgrade(sc store.UpgradeScene, accept []string, refuse bool) (workflow.Upgrade, error) {
	to := s.templates.Current()
	from, ok := s.templates.Version(sc.Migration.TemplateVersion)
	if !ok {
		return workflow.Upgrade{}, &cutover.ConflictError{Kind: "unknown-template-version", Title: "Unknown template version",
			Detail: fmt.Sprintf("This server does not know template version %s, which the migration follows, so it cannot compare it with %s.",
				sc.Migration.TemplateVersion, to.Version)}
	}
	if err := workflow.CheckAccept(&sc.Migration, to, accept); err != nil {
		return workflow.Upgrade{}, err
	}
	d, _ := s.templates.ChangesSince(from.Version) // from is known, so is its comparison with the current one
	u := workflow.PlanUpgrade(workflow.UpgradeContext{From: from, To: to, Migration: sc.Migration, Tasks: sc.Tasks,
		Live: sc.Live, Accept: accept, Now: s.now().UTC(), Diff: d})
	if !refuse {
		return u, nil
	}
	return u, u.Err()
}

// templateOutdated is a migration's template_outdated: whether the current template changes
// anything in its stages. The comparison of two versions is cached, so a list of migrations
// costs no extra reads.
func (s *Server) templateOutdated(m *cutover.Migration) bool {
	cur := s.templates.Current()
	if m.TemplateVersion == cur.Version {
		return false
	}
	d, ok := s.templates.ChangesSince(m.TemplateVersion)
	from, known := s.templates.Version(m.TemplateVersion)
	if !ok || !known {
		return m.TemplateVersion < cur.Version // versions are dates: a later one sorts after
	}
	return workflow.TemplateOutdated(d, from, m)
}

func templateWritesOf(u *workflow.Upgrade) store.TemplateWrites {
	w := store.TemplateWrites{Migration: u.Migration, Create: u.Create, StagePositions: u.StagePositions, Accepted: u.Accepted}
	for _, up := range u.Update {
		w.Update = append(w.Update, store.TaskUpdate{Before: up.Before, After: up.After})
	}
	return w
}

// templateChangesToAPI lists changes as the API shows them. Before a real upgrade has run, a task
// to be created has no id yet.
func templateChangesToAPI(changes []workflow.UpgradeChange, created bool) []api.TemplateChange {
	out := make([]api.TemplateChange, len(changes))
	for i := range changes {
		c := &changes[i]
		a := api.TemplateChange{
			Kind:        api.TemplateChangeKind(c.Kind),
			Stage:       c.Stage,
			Title:       c.Title,
			Group:       nullableString(c.Group),
			Key:         nullableString(c.Key),
			AfterKey:    nullableString(c.After),
			Action:      api.TemplateUpgradeAction(c.Action),
			Note:        nullableString(c.Note),
			StageLocked: c.StageLocked,
			Fields:      make([]api.TemplateFieldChange, len(c.Fields)),
		}
		if c.Key != "" {
			a.Position = nullable.NewNullableWithValue(c.Position)
		} else {
			a.Position.SetNull()
		}
		if c.TaskID != nil && (created || c.Action != workflow.ActionCreate) {
			a.TaskId = nullable.NewNullableWithValue(*c.TaskID)
		} else {
			a.TaskId.SetNull()
		}
		if c.DueDate != nil {
			a.DueDate = nullable.NewNullableWithValue(openapi_types.Date{Time: *c.DueDate})
		} else {
			a.DueDate.SetNull()
		}
		for j, f := range c.Fields {
			a.Fields[j] = api.TemplateFieldChange{Field: api.TemplateFieldChangeField(f.Field), From: changeValue(f.From),
				To: changeValue(f.To), Current: changeValue(f.Current), Outcome: api.TemplateFieldChangeOutcome(f.Outcome)}
		}
		out[i] = a
	}
	return out
}
