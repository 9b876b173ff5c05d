package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cutoverhq/cutover/internal/api"
	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/patientguard"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/cutoverhq/cutover/internal/workflow"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ListTasks lists a migration's checklist in checklist order.
func (s *Server) ListTasks(ctx context.Context, req api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	p := req.Params
	f := store.TaskFilter{Overdue: p.Overdue, Today: cutover.Today(s.now())}
	if p.Stage != nil {
		f.Stage = *p.Stage
		f.StageOrder = workflow.StagePosition(s.templates.Current(), f.Stage)
	}
	if p.Status != nil {
		f.Status = string(*p.Status)
	}
	if p.OwnerRole != nil {
		f.OwnerRole = string(*p.OwnerRole)
	}
	if p.DueBefore != nil {
		f.DueBefore = &p.DueBefore.Time
	}
	if p.DueAfter != nil {
		f.DueAfter = &p.DueAfter.Time
	}
	tasks, next, err := s.store.ListTasks(ctx, callerFrom(ctx), req.MigrationId, f, page(p.Limit, p.Cursor))
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", req.MigrationId, err)
	}
	return newTaskListJSON(tasks, next, nextLink(ctx, next)), nil
}

// CreateTask adds a custom task.
func (s *Server) CreateTask(ctx context.Context, req api.CreateTaskRequestObject) (api.CreateTaskResponseObject, error) {
	b := req.Body
	ws, err := s.checkFreeText(ctx,
		patientguard.Field{Name: "title", Text: b.Title},
		patientguard.Field{Name: "guidance", Text: deref(b.Guidance)},
		patientguard.Field{Name: "group", Text: deref(b.Group)},
		patientguard.Field{Name: "notes", Text: deref(b.Notes)},
		patientguard.Field{Name: "not_applicable_reason", Text: deref(b.NotApplicableReason)})
	if err != nil {
		return nil, err
	}
	n := workflow.NewTask{Stage: b.Stage, Group: deref(b.Group), Title: b.Title, Guidance: deref(b.Guidance),
		Position: deref(b.Position), NotApplicableReason: b.NotApplicableReason, Notes: b.Notes}
	if b.OwnerRole != nil {
		n.OwnerRole = string(*b.OwnerRole)
	}
	if b.Status != nil {
		n.Status = cutover.TaskStatus(*b.Status)
	}
	if b.DueDate != nil {
		d := cutover.DateOf(b.DueDate.Time)
		n.DueDate = &d
	}
	if b.Reminders != nil {
		if n.Reminders, err = remindersFromAPI(*b.Reminders); err != nil {
			return nil, err
		}
	}
	who := callerFrom(ctx)
	t, err := s.store.CreateTask(ctx, who, req.MigrationId, func(sc store.TaskScene, last func(string) (int, error)) (cutover.Task, error) {
		tpl := s.templateOf(&sc.Migration)
		lastPos, err := last(n.Stage)
		if err != nil {
			return cutover.Task{}, err
		}
		return n.Build(workflow.CustomTaskContext{
			Migration:     &sc.Migration,
			StagePosition: workflow.StagePosition(tpl, n.Stage),
			StageLocked:   workflow.StageStates(tpl, sc.Migration.Stages, sc.Live)[n.Stage].Locked,
			LastPosition:  lastPos,
			Who:           who,
			Now:           s.now().UTC(),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("create task in %s: %w", req.MigrationId, err)
	}
	res := newTaskJSON(&t, ws, http.StatusCreated)
	res.location = fmt.Sprintf("/v1/migrations/%s/tasks/%s", t.MigrationID, t.ID)
	return res, nil
}

// GetTask reads one task.
func (s *Server) GetTask(ctx context.Context, req api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	t, err := s.store.Task(ctx, callerFrom(ctx), req.MigrationId, req.TaskId)
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", req.TaskId, err)
	}
	tag := etag(t.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetTask304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return newTaskJSON(&t, nil, http.StatusOK), nil
}

// UpdateTask applies a merge patch to a task.
func (s *Server) UpdateTask(ctx context.Context, req api.UpdateTaskRequestObject) (api.UpdateTaskResponseObject, error) {
	body := req.JSONBody
	if body == nil {
		body = req.ApplicationMergePatchPlusJSONBody
	}
	if body == nil {
		return nil, cutover.BadRequest(cutover.FieldError{Field: "body", Message: "is required"})
	}
	patch, err := taskPatchFromAPI(body)
	if err != nil {
		return nil, err
	}
	ws, err := s.checkFreeText(ctx, patch.freeText()...)
	if err != nil {
		return nil, err
	}
	who := callerFrom(ctx)
	t, err := s.store.UpdateTask(ctx, who, req.MigrationId, req.TaskId, ifMatch(req.Params.IfMatch),
		func(sc store.TaskScene, t *cutover.Task) error {
			tpl := s.templateOf(&sc.Migration)
			return patch.Apply(t, workflow.TaskContext{
				Dates:       sc.Migration.Dates,
				StageLocked: workflow.StageStates(tpl, sc.Migration.Stages, sc.Live)[t.Stage].Locked,
				Who:         who,
				Now:         s.now().UTC(),
			})
		})
	if err != nil {
		return nil, fmt.Errorf("update task %s: %w", req.TaskId, err)
	}
	return newTaskJSON(&t, ws, http.StatusOK), nil
}

// DeleteTask deletes a custom task.
func (s *Server) DeleteTask(ctx context.Context, req api.DeleteTaskRequestObject) (api.DeleteTaskResponseObject, error) {
	err := s.store.DeleteTask(ctx, callerFrom(ctx), req.MigrationId, req.TaskId, ifMatch(req.Params.IfMatch),
		func(sc store.TaskScene, t *cutover.Task) error {
			tpl := s.templateOf(&sc.Migration)
			return workflow.CheckDeleteTask(t, workflow.StageStates(tpl, sc.Migration.Stages, sc.Live)[t.Stage].Locked)
		})
	if err != nil {
		return nil, fmt.Errorf("delete task %s: %w", req.TaskId, err)
	}
	return api.DeleteTask204Response{}, nil
}

type taskPatch struct{ workflow.TaskPatch }

func taskPatchFromAPI(b *api.TaskPatch) (taskPatch, error) {
	p := workflow.TaskPatch{
		Title:               b.Title,
		Guidance:            b.Guidance,
		NotApplicableReason: fieldOf(b.NotApplicableReason),
		Notes:               fieldOf(b.Notes),
	}
	if b.OwnerRole != nil {
		p.OwnerRole = ptr(string(*b.OwnerRole))
	}
	if b.Status != nil {
		p.Status = ptr(cutover.TaskStatus(*b.Status))
	}
	if d := fieldOf(b.DueDate); d.Present {
		if d.Value != nil {
			p.DueDate = workflow.Set(cutover.DateOf(d.Value.Time))
		} else {
			p.DueDate = workflow.Null[cutover.Date]()
		}
	}
	if rs := fieldOf(b.Reminders); rs.Present {
		var in []api.ReminderInput
		if rs.Value != nil {
			in = *rs.Value
		}
		list, err := remindersFromAPI(in)
		if err != nil {
			return taskPatch{}, err
		}
		p.Reminders = &list
	}
	return taskPatch{p}, nil
}

func (p taskPatch) freeText() []patientguard.Field {
	var out []patientguard.Field
	add := func(name string, v *string) {
		if v != nil {
			out = append(out, patientguard.Field{Name: name, Text: *v})
		}
	}
	add("title", p.Title)
	add("guidance", p.Guidance)
	add("notes", p.Notes.Value)
	add("not_applicable_reason", p.NotApplicableReason.Value)
	return out
}

func taskToAPI(t *cutover.Task) api.Task {
	a := api.Task{
		Id:                  t.ID,
		MigrationId:         t.MigrationID,
		Stage:               t.Stage,
		Group:               t.Group,
		Key:                 t.Key,
		Title:               t.Title,
		Guidance:            t.Guidance,
		Position:            t.Position,
		OwnerRole:           api.Role(t.OwnerRole),
		Status:              api.TaskStatus(t.Status),
		NotApplicableReason: nullableOf(t.NotApplicableReason),
		Notes:               nullableOf(t.Notes),
		Timing:              nullableOf(t.Timing),
		DueRule:             nullableOf(t.DueRule),
		DueDateSource:       api.DueDateSource(t.DueDateSource),
		GdprWarning:         t.GDPRWarning,
		Local:               t.Local,
		CompletedAt:         nullableOf(t.CompletedAt),
		CompletedBy:         nullableOf(t.CompletedBy),
		Reminders:           remindersToAPI(t.Reminders),
		Version:             t.Version,
		CreatedAt:           t.CreatedAt,
		UpdatedAt:           t.UpdatedAt,
	}
	if t.DueDate != nil {
		a.DueDate.Set(openapi_types.Date{Time: *t.DueDate})
	} else {
		a.DueDate.SetNull()
	}
	return a
}
