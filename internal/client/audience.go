package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/service"
)

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return strings.NewReader(string(b))
}

// AudienceCount counts a query, with an optional breakdown and sample.
func (c *Client) AudienceCount(ctx context.Context, req service.AudienceRequest) (*audience.CountResult, error) {
	var res audience.CountResult
	if err := c.call(ctx, http.MethodPost, "/api/audiences/count", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AudienceValidate checks a query and returns both its forms.
func (c *Client) AudienceValidate(ctx context.Context, req service.AudienceRequest) (*service.ValidateQueryResponse, error) {
	var res service.ValidateQueryResponse
	if err := c.call(ctx, http.MethodPost, "/api/audiences/validate", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AudienceSave saves a query's result under req.Name.
func (c *Client) AudienceSave(ctx context.Context, req service.AudienceRequest) (*audience.Audience, error) {
	var res audience.Audience
	if err := c.call(ctx, http.MethodPost, "/api/audiences", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Audiences lists the saved audiences.
func (c *Client) Audiences(ctx context.Context) ([]audience.Audience, error) {
	var res struct {
		Audiences []audience.Audience `json:"audiences"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/audiences", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Audiences, nil
}

// Audience returns one saved audience.
func (c *Client) Audience(ctx context.Context, name string) (*audience.Audience, error) {
	var res audience.Audience
	if err := c.call(ctx, http.MethodGet, "/api/audiences/"+url.PathEscape(name), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AudienceVersions lists a saved audience's versions.
func (c *Client) AudienceVersions(ctx context.Context, name string) ([]audience.Version, error) {
	var res struct {
		Versions []audience.Version `json:"versions"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/audiences/"+url.PathEscape(name)+"/versions", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Versions, nil
}

// AudienceDeleteVersion drops an old version of a saved audience.
func (c *Client) AudienceDeleteVersion(ctx context.Context, name string, version int64) error {
	return c.call(ctx, http.MethodDelete, "/api/audiences/"+url.PathEscape(name)+"/versions/"+strconv.FormatInt(version, 10), nil, nil, "", nil)
}

// AudienceRefresh re-runs a saved audience's query into a new version.
func (c *Client) AudienceRefresh(ctx context.Context, name string) (*audience.Audience, error) {
	var res audience.Audience
	if err := c.call(ctx, http.MethodPost, "/api/audiences/"+url.PathEscape(name)+"/refresh", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AudienceAppend adds a query's rows to a saved audience as a new version.
func (c *Client) AudienceAppend(ctx context.Context, name string, req service.AudienceRequest) (*audience.Audience, error) {
	var res audience.Audience
	if err := c.call(ctx, http.MethodPost, "/api/audiences/"+url.PathEscape(name)+"/append", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AudienceDelete deletes a saved audience.
func (c *Client) AudienceDelete(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/audiences/"+url.PathEscape(name), nil, nil, "", nil)
}

// AudienceExport streams a saved audience's members to w.
func (c *Client) AudienceExport(ctx context.Context, name string, version int64, attrs []string, format string, w io.Writer) error {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	if version > 0 {
		q.Set("version", strconv.FormatInt(version, 10))
	}
	if len(attrs) > 0 {
		q.Set("attributes", strings.Join(attrs, ","))
	}
	resp, err := c.do(ctx, http.MethodGet, "/api/audiences/"+url.PathEscape(name)+"/export", q, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
