// Command fdp-signoff is an example of CSU tooling built on the generated Go client
// (github.com/cutoverhq/cutover/pkg/client): it creates a migration, completes its final data
// production and cutover checklist, and signs the stage off as the practice manager and the
// project manager.
//
//	CUTOVER_URL=http://localhost:8080 CUTOVER_TOKEN=cut_... go run ./examples/fdp-signoff
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/cutoverhq/cutover/pkg/client"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Getenv("CUTOVER_URL"), os.Getenv("CUTOVER_TOKEN"), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fdp-signoff:", err)
		os.Exit(1)
	}
}

const stage = "final-data-production-and-cutover"

func run(ctx context.Context, baseURL, token string, out io.Writer) error {
	if baseURL == "" || token == "" {
		return errors.New("set CUTOVER_URL and CUTOVER_TOKEN")
	}
	c, err := client.NewClientWithResponses(baseURL, client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}

	date := func(s string) *openapi_types.Date {
		t, _ := time.Parse(time.DateOnly, s)
		return &openapi_types.Date{Time: t}
	}
	created, err := c.CreateMigrationWithResponse(ctx, &client.CreateMigrationParams{}, client.CreateMigrationJSONRequestBody{
		Practice:         client.Practice{OdsCode: "A81001", Name: "The Densham Surgery"},
		CurrentSystem:    client.ClinicalSystem{Supplier: "Supplier A", Product: "System One"},
		NewSystem:        client.ClinicalSystem{Supplier: "Supplier B", Product: "System Two"},
		FdpDate:          date("2027-03-10"),
		FinalExtractDate: date("2027-03-10"),
		GoLiveDate:       date("2027-03-12"),
		Stages:           &[]client.StageKey{stage},
	})
	if err != nil {
		return fmt.Errorf("create migration: %w", err)
	}
	if created.JSON201 == nil {
		return fmt.Errorf("create migration: %s: %s", created.Status(), created.Body)
	}
	m := created.JSON201
	fmt.Fprintf(out, "created migration %s for %s (%s)\n", m.Id, m.Practice.Name, m.Practice.OdsCode)

	st := client.StageKey(stage)
	limit := 200
	tasks, err := c.ListTasksWithResponse(ctx, m.Id, &client.ListTasksParams{Stage: &st, Limit: &limit})
	if err != nil || tasks.JSON200 == nil {
		return fmt.Errorf("list tasks: %w (%s)", err, tasks.Status())
	}
	done := client.TaskStatus("done")
	for _, t := range tasks.JSON200.Items {
		etag := fmt.Sprintf(`"%d"`, t.Version)
		res, err := c.UpdateTaskWithResponse(ctx, m.Id, t.Id, &client.UpdateTaskParams{IfMatch: &etag}, client.UpdateTaskJSONRequestBody{Status: &done})
		if err != nil {
			return fmt.Errorf("complete %q: %w", t.Title, err)
		}
		if res.JSON200 == nil {
			return fmt.Errorf("complete %q: %s: %s", t.Title, res.Status(), res.Body)
		}
		fmt.Fprintf(out, "done: %s\n", t.Title)
	}

	for _, signer := range []struct {
		role client.Role
		name string
	}{{"practice_manager", "Alex Morgan"}, {"project_manager", "Jo Smith"}} {
		res, err := c.CreateSignoffWithResponse(ctx, m.Id, &client.CreateSignoffParams{}, client.CreateSignoffJSONRequestBody{
			Stage: stage, Role: signer.role, Name: signer.name,
			Statement: "Every final data production and cutover task is done or not applicable.",
		})
		if err != nil {
			return fmt.Errorf("sign off: %w", err)
		}
		if res.JSON201 == nil {
			return fmt.Errorf("sign off as %s: %s: %s", signer.role, res.Status(), res.Body)
		}
		fmt.Fprintf(out, "signed off by %s (%s)\n", signer.name, signer.role)
	}

	stages, err := c.ListStagesWithResponse(ctx, m.Id)
	if err != nil || stages.JSON200 == nil {
		return fmt.Errorf("stages: %w (%s)", err, stages.Status())
	}
	for _, s := range stages.JSON200.Items {
		if s.Key == stage && !s.SignedOff {
			return fmt.Errorf("stage %s is not signed off: missing %v", stage, s.MissingRoles)
		}
	}
	fmt.Fprintf(out, "stage %s is signed off\n", stage)
	return nil
}
