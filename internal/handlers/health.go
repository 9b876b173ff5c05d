package handlers

import (
	"context"

	"github.com/cutoverhq/cutover/internal/api"
)

// GetHealth answers while the process serves.
func (s *Server) GetHealth(ctx context.Context, req api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Status: api.Ok}, nil
}

// GetReadiness answers 200 when the database is reachable and its schema current.
func (s *Server) GetReadiness(ctx context.Context, req api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err)
		return api.GetReadiness503ApplicationProblemPlusJSONResponse{UnavailableApplicationProblemPlusJSONResponse: api.UnavailableApplicationProblemPlusJSONResponse{
			Type: problemType("unavailable"), Title: "Not ready", Status: 503, Detail: "The database is not reachable or its schema is not current.",
		}}, nil
	}
	return api.GetReadiness200JSONResponse{Status: api.Ok}, nil
}
