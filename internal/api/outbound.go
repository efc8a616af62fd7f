package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/service"
)

func (s *Server) outboundDestinations() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (*service.DestinationList, error) {
		list, err := s.svc.OutboundDestinations(ctx)
		return &service.DestinationList{Destinations: list}, err
	}, http.StatusOK)
}

// deadLetterFilter reads ?destination=&redelivered=true|false&limit=.
func deadLetterFilter(r *http.Request) (outbound.Filter, error) {
	q := r.URL.Query()
	f := outbound.Filter{Destination: q.Get("destination")}
	if v := q.Get("redelivered"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, errBadRequest("redelivered must be true or false")
		}
		f.Redelivered = &b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > outbound.MaxListLimit {
			return f, errBadRequest("limit must be an integer from 1 to 1000")
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) deadLetters() http.HandlerFunc {
	return handle(s, deadLetterFilter, func(ctx context.Context, f outbound.Filter) (*service.DeadLetterList, error) {
		list, err := s.svc.DeadLetters(ctx, f)
		return &service.DeadLetterList{DeadLetters: list}, err
	}, http.StatusOK)
}

var deadLetterID = pathInt("id", "dead letter id")

func (s *Server) deadLetter() http.HandlerFunc {
	return handle(s, deadLetterID, s.svc.DeadLetter, http.StatusOK)
}

func (s *Server) redeliverDeadLetter() http.HandlerFunc {
	return handle(s, deadLetterID, s.svc.DeadLetterRedeliver, http.StatusOK)
}

// publishRequest is where a saved audience is to be published.
type publishRequest struct {
	name string
	req  service.PublishRequest
}

var readPublishRequest = jsonBody[service.PublishRequest]("publication", 1<<16, bodyStrict)

func (s *Server) publishAudience() http.HandlerFunc {
	decode := func(r *http.Request) (publishRequest, error) {
		req, err := readPublishRequest(r)
		return publishRequest{r.PathValue("name"), req}, err
	}
	return handle(s, decode, func(ctx context.Context, p publishRequest) (*audience.Audience, error) {
		return s.svc.AudiencePublish(ctx, p.name, p.req)
	}, http.StatusOK)
}

func (s *Server) unpublishAudience() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (none, error) {
		return none{}, s.svc.AudienceUnpublish(ctx, name)
	}, http.StatusNoContent)
}
