package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// maxCampaignBytes bounds a campaign document.
const maxCampaignBytes = 4 << 20

var readDocument = readAll("campaign document", maxCampaignBytes)

func (s *Server) saveCampaign() http.HandlerFunc {
	return handle(s, readDocument, s.svc.CampaignSave, http.StatusOK)
}

func (s *Server) validateCampaign() http.HandlerFunc {
	return handle(s, readDocument, s.svc.CampaignValidate, http.StatusOK)
}

func (s *Server) listCampaigns() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (any, error) {
		list, err := s.svc.Campaigns(ctx)
		return map[string]any{"campaigns": list}, err
	}, http.StatusOK)
}

func (s *Server) getCampaign() http.HandlerFunc {
	return handle(s, pathName, s.svc.Campaign, http.StatusOK)
}

func (s *Server) publishCampaign() http.HandlerFunc {
	return handle(s, pathName, s.svc.CampaignPublish, http.StatusOK)
}

func (s *Server) archiveCampaign() http.HandlerFunc {
	return handle(s, pathName, s.svc.CampaignArchive, http.StatusOK)
}

func (s *Server) unarchiveCampaign() http.HandlerFunc {
	return handle(s, pathName, s.svc.CampaignUnarchive, http.StatusOK)
}

func (s *Server) deleteCampaign() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (none, error) {
		return none{}, s.svc.CampaignDelete(ctx, name)
	}, http.StatusNoContent)
}

// renameRequest copies a campaign under a new name.
type renameRequest struct {
	name, newName string
}

func (s *Server) duplicateCampaign() http.HandlerFunc {
	decode := func(r *http.Request) (renameRequest, error) {
		var req struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(&req); err != nil {
			return renameRequest{}, &service.BadRequestError{Msg: `give the new name as {"name": "…"}`, Err: err}
		}
		return renameRequest{r.PathValue("name"), req.Name}, nil
	}
	return handle(s, decode, func(ctx context.Context, req renameRequest) (*engine.Campaign, error) {
		return s.svc.CampaignDuplicate(ctx, req.name, req.newName)
	}, http.StatusCreated)
}

// startRequest starts a run of a campaign.
type startRequest struct {
	name string
	opts engine.RunOptions
}

// startRun starts a run; a live run with parameters is the campaign's
// external signal.
func (s *Server) startRun() http.HandlerFunc {
	read := jsonBody[engine.RunOptions]("run options", 1<<20, bodyOptional)
	decode := func(r *http.Request) (startRequest, error) {
		opts, err := read(r)
		return startRequest{r.PathValue("name"), opts}, err
	}
	return handle(s, decode, func(ctx context.Context, req startRequest) (*engine.Run, error) {
		return s.svc.RunStart(ctx, req.name, req.opts)
	}, http.StatusCreated)
}

// nameAndNumber is a campaign's name and a number from the query.
type nameAndNumber struct {
	name string
	n    int
}

func queryNumber(key string) func(*http.Request) (nameAndNumber, error) {
	return func(r *http.Request) (nameAndNumber, error) {
		n, _ := strconv.Atoi(r.URL.Query().Get(key))
		return nameAndNumber{r.PathValue("name"), n}, nil
	}
}

func (s *Server) listRuns() http.HandlerFunc {
	return handle(s, queryNumber("limit"), func(ctx context.Context, req nameAndNumber) (any, error) {
		runs, err := s.svc.Runs(ctx, req.name, req.n)
		return map[string]any{"runs": runs}, err
	}, http.StatusOK)
}

// activityTypes lists the activity types and their settings' schemas.
func (s *Server) activityTypes() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (any, error) {
		types, err := s.svc.ActivityTypes(ctx)
		return map[string]any{"types": types}, err
	}, http.StatusOK)
}

// campaignSchema answers the JSON Schema of the campaign document.
func (s *Server) campaignSchema() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (json.RawMessage, error) {
		return s.svc.CampaignSchema(ctx)
	}, http.StatusOK)
}

// campaignSchedule previews the next occurrences of a campaign's schedule.
func (s *Server) campaignSchedule() http.HandlerFunc {
	return handle(s, queryNumber("n"), func(ctx context.Context, req nameAndNumber) (any, error) {
		next, err := s.svc.CampaignSchedule(ctx, req.name, req.n)
		return map[string]any{"occurrences": next}, err
	}, http.StatusOK)
}
