package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// AudiencePublish publishes a saved audience to a destination now and
// after each of its new versions.
func (c *Client) AudiencePublish(ctx context.Context, name string, req service.PublishRequest) (*audience.Audience, error) {
	var res audience.Audience
	if err := c.call(ctx, http.MethodPut, "/api/audiences/"+url.PathEscape(name)+"/publish", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AudienceUnpublish stops publishing a saved audience.
func (c *Client) AudienceUnpublish(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/audiences/"+url.PathEscape(name)+"/publish", nil, nil, "", nil)
}

// OutboundDestinations lists the server's destinations with their cursor,
// lag and lease holder.
func (c *Client) OutboundDestinations(ctx context.Context) ([]outbound.Status, error) {
	var res service.DestinationList
	if err := c.call(ctx, http.MethodGet, "/api/outbound/destinations", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Destinations, nil
}

// DeadLetters lists the dead letters a filter selects, newest first.
func (c *Client) DeadLetters(ctx context.Context, f outbound.Filter) ([]outbound.DeadLetter, error) {
	q := url.Values{}
	if f.Destination != "" {
		q.Set("destination", f.Destination)
	}
	if f.Redelivered != nil {
		q.Set("redelivered", strconv.FormatBool(*f.Redelivered))
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var res service.DeadLetterList
	if err := c.call(ctx, http.MethodGet, "/api/outbound/dead-letters", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.DeadLetters, nil
}

// DeadLetter returns one dead letter with its body.
func (c *Client) DeadLetter(ctx context.Context, id int64) (*outbound.DeadLetter, error) {
	var res outbound.DeadLetter
	if err := c.call(ctx, http.MethodGet, "/api/outbound/dead-letters/"+strconv.FormatInt(id, 10), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// DeadLetterRedeliver posts a dead letter again, once.
func (c *Client) DeadLetterRedeliver(ctx context.Context, id int64) (*outbound.DeadLetter, error) {
	var res outbound.DeadLetter
	if err := c.call(ctx, http.MethodPost, "/api/outbound/dead-letters/"+strconv.FormatInt(id, 10)+"/redeliver", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}
