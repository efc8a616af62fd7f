package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// CampaignSave stores a campaign document (new campaign or new version).
func (c *Client) CampaignSave(ctx context.Context, doc []byte) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodPost, "/api/campaigns", nil, strings.NewReader(string(doc)), "application/yaml", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignValidate checks a document against the data model.
func (c *Client) CampaignValidate(ctx context.Context, doc []byte) (*engine.Validation, error) {
	var res engine.Validation
	if err := c.call(ctx, http.MethodPost, "/api/campaigns/validate", nil, strings.NewReader(string(doc)), "application/yaml", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Campaign returns one campaign.
func (c *Client) Campaign(ctx context.Context, name string) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodGet, "/api/campaigns/"+url.PathEscape(name), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignPublish publishes a campaign's latest version.
func (c *Client) CampaignPublish(ctx context.Context, name string) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodPost, "/api/campaigns/"+url.PathEscape(name)+"/publish", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignArchive archives a campaign.
func (c *Client) CampaignArchive(ctx context.Context, name string) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodPost, "/api/campaigns/"+url.PathEscape(name)+"/archive", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignUnarchive brings an archived campaign back.
func (c *Client) CampaignUnarchive(ctx context.Context, name string) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodPost, "/api/campaigns/"+url.PathEscape(name)+"/unarchive", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignDelete deletes a campaign that never ran.
func (c *Client) CampaignDelete(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/campaigns/"+url.PathEscape(name), nil, nil, "", nil)
}

// CampaignDuplicate copies a campaign under a new name.
func (c *Client) CampaignDuplicate(ctx context.Context, name, newName string) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodPost, "/api/campaigns/"+url.PathEscape(name)+"/duplicate", nil, jsonBody(map[string]string{"name": newName}), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Campaigns lists the campaigns.
func (c *Client) Campaigns(ctx context.Context) ([]engine.Campaign, error) {
	var res struct {
		Campaigns []engine.Campaign `json:"campaigns"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/campaigns", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Campaigns, nil
}

// RunStart starts a run.
func (c *Client) RunStart(ctx context.Context, name string, opts engine.RunOptions) (*engine.Run, error) {
	var res engine.Run
	if err := c.call(ctx, http.MethodPost, "/api/campaigns/"+url.PathEscape(name)+"/runs", nil, jsonBody(opts), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Runs lists a campaign's runs.
func (c *Client) Runs(ctx context.Context, name string, limit int) ([]engine.Run, error) {
	var res struct {
		Runs []engine.Run `json:"runs"`
	}
	var q url.Values
	if limit > 0 {
		q = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	if err := c.call(ctx, http.MethodGet, "/api/campaigns/"+url.PathEscape(name)+"/runs", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Runs, nil
}

// RecentRuns lists the runs of every campaign, newest first (limit 0:
// the server's default).
func (c *Client) RecentRuns(ctx context.Context, limit int) ([]engine.Run, error) {
	var res struct {
		Runs []engine.Run `json:"runs"`
	}
	var q url.Values
	if limit != 0 {
		q = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	if err := c.call(ctx, http.MethodGet, "/api/runs", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Runs, nil
}

// RunStatus returns a run's graph with counts.
func (c *Client) RunStatus(ctx context.Context, id int64) (*engine.RunStatus, error) {
	var res engine.RunStatus
	if err := c.call(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RunLog reads a run's log.
func (c *Client) RunLog(ctx context.Context, id int64, req service.RunLogRequest) ([]engine.LogEntry, error) {
	q := url.Values{}
	if req.Activity != nil {
		q.Set("activity", *req.Activity)
	}
	if req.After != 0 {
		q.Set("after", strconv.FormatInt(req.After, 10))
	}
	if req.Limit != 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	var res struct {
		Entries []engine.LogEntry `json:"entries"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10)+"/log", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Entries, nil
}

// RunAction pauses, resumes or stops a run ("pause", "resume", "stop").
func (c *Client) RunAction(ctx context.Context, id int64, action string) (*engine.RunStatus, error) {
	switch action {
	case "pause", "resume", "stop":
	default:
		// No route answers it: refuse it as the service does.
		return nil, service.BadRequest(fmt.Sprintf("unknown run action %q", action))
	}
	var res engine.RunStatus
	if err := c.call(ctx, http.MethodPost, "/api/runs/"+strconv.FormatInt(id, 10)+"/"+action, nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RunRetry retries a failed activity.
func (c *Client) RunRetry(ctx context.Context, id int64, activity string) (*engine.RunStatus, error) {
	var res engine.RunStatus
	if err := c.call(ctx, http.MethodPost, "/api/runs/"+strconv.FormatInt(id, 10)+"/activities/"+url.PathEscape(activity)+"/retry", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RunResolve resends or drops a run's in-doubt messages; the server
// records this client's API token as the actor.
func (c *Client) RunResolve(ctx context.Context, id int64, req engine.ResolveRequest) (*engine.Resolution, error) {
	var res engine.Resolution
	if err := c.call(ctx, http.MethodPost, "/api/runs/"+strconv.FormatInt(id, 10)+"/resolve", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RunBreakdown counts all the rows of a transition by the values of one
// of their columns.
func (c *Client) RunBreakdown(ctx context.Context, id int64, activity, port, column string, top int) (*engine.Breakdown, error) {
	q := url.Values{"activity": {activity}, "column": {column}}
	if port != "" {
		q.Set("port", port)
	}
	if top != 0 {
		q.Set("top", strconv.Itoa(top))
	}
	var res engine.Breakdown
	if err := c.call(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10)+"/breakdown", q, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RunPreview returns the first rows of a transition.
func (c *Client) RunPreview(ctx context.Context, id int64, activity, port string, limit int) ([]string, [][]any, error) {
	var res struct {
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
	}
	q := url.Values{"activity": {activity}, "port": {port}, "limit": {strconv.Itoa(limit)}}
	if err := c.call(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10)+"/preview", q, nil, "", &res); err != nil {
		return nil, nil, err
	}
	return res.Columns, res.Rows, nil
}

// ActivityTypes lists the activity types and their settings' schemas.
func (c *Client) ActivityTypes(ctx context.Context) ([]service.ActivityType, error) {
	var res struct {
		Types []service.ActivityType `json:"types"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/activity-types", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Types, nil
}

// CampaignSchema returns the JSON Schema of the campaign document.
func (c *Client) CampaignSchema(ctx context.Context) (json.RawMessage, error) {
	var res json.RawMessage
	if err := c.call(ctx, http.MethodGet, "/api/campaign-schema", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res, nil
}

// CampaignSchedule lists the next occurrences of a campaign's schedule.
func (c *Client) CampaignSchedule(ctx context.Context, name string, n int) ([]time.Time, error) {
	var res struct {
		Occurrences []time.Time `json:"occurrences"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/campaigns/"+url.PathEscape(name)+"/schedule", url.Values{"n": {strconv.Itoa(n)}}, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Occurrences, nil
}

// RunFigures returns a run's delivery figures.
func (c *Client) RunFigures(ctx context.Context, id int64) ([]delivery.Figures, error) {
	var res struct {
		Channels []delivery.Figures `json:"channels"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10)+"/delivery", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Channels, nil
}

// Messages lists the sandbox's messages.
func (c *Client) Messages(ctx context.Context, run int64, limit int) ([]delivery.SandboxMessage, error) {
	var res struct {
		Messages []delivery.SandboxMessage `json:"messages"`
	}
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if run > 0 {
		q.Set("run", strconv.FormatInt(run, 10))
	}
	if err := c.call(ctx, http.MethodGet, "/api/messages", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// Message returns one sandbox message.
func (c *Client) Message(ctx context.Context, id string) (*delivery.SandboxMessage, error) {
	var res delivery.SandboxMessage
	if err := c.call(ctx, http.MethodGet, "/api/messages/"+url.PathEscape(id), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// MessageHTML returns the HTML part of an email the sandbox kept.
func (c *Client) MessageHTML(ctx context.Context, id string) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, "/api/messages/"+url.PathEscape(id)+"/html", nil, nil, "")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", decodeError(resp)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read message %q: %w", id, err)
	}
	return string(b), nil
}

// RunConfirm confirms the send of a run's held messages.
func (c *Client) RunConfirm(ctx context.Context, id int64) (int64, error) {
	var res struct {
		Released int64 `json:"released"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/runs/"+strconv.FormatInt(id, 10)+"/confirm", nil, nil, "", &res); err != nil {
		return 0, err
	}
	return res.Released, nil
}

// PreviewMessage renders a campaign's channel activity for one profile.
func (c *Client) PreviewMessage(ctx context.Context, name, activity string, req service.PreviewRequest) (*channel.Message, error) {
	var res channel.Message
	if err := c.call(ctx, http.MethodPost, activityPath(name, activity)+"/preview", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// SendProof sends a profile's rendered message to test addresses.
func (c *Client) SendProof(ctx context.Context, name, activity string, req service.ProofRequest) (*channel.Message, []channel.Result, error) {
	var res service.ProofResponse
	if err := c.call(ctx, http.MethodPost, activityPath(name, activity)+"/proof", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, nil, err
	}
	return res.Message, res.Results, nil
}

func activityPath(name, activity string) string {
	return "/api/campaigns/" + url.PathEscape(name) + "/activities/" + url.PathEscape(activity)
}

// ImportConsent uploads a consent file (see delivery.ImportConsent).
func (c *Client) ImportConsent(ctx context.Context, dimension, source string, r io.Reader) (*delivery.ConsentImport, error) {
	q := url.Values{"dimension": {dimension}}
	if source != "" {
		q.Set("source", source)
	}
	var res delivery.ConsentImport
	if err := c.call(ctx, http.MethodPost, "/api/consent/import", q, r, "text/csv", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Consent reads a profile's recorded consent.
func (c *Client) Consent(ctx context.Context, dimension string, key []any) (*delivery.ProfileConsent, error) {
	q := url.Values{"dimension": {dimension}}
	for _, k := range key {
		q.Add("key", fmt.Sprint(k))
	}
	var res delivery.ProfileConsent
	if err := c.call(ctx, http.MethodGet, "/api/consent", q, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// SetConsent records a profile's consent for a channel.
func (c *Client) SetConsent(ctx context.Context, dimension string, key []any, ch, status, source string) (*service.ConsentSet, error) {
	req := service.ConsentRequest{Dimension: dimension, Key: key, Channel: ch, Status: status, Source: source}
	var res service.ConsentSet
	if err := c.call(ctx, http.MethodPut, "/api/consent", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Suppressions reads a page of a channel's suppression list (see
// delivery.Suppressions).
func (c *Client) Suppressions(ctx context.Context, ch, address string, exact bool, limit int) ([]delivery.Suppression, error) {
	q := url.Values{"channel": {ch}}
	switch {
	case exact:
		q.Set("address", address)
	case address != "":
		q.Set("after", address)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var res struct {
		Suppressions []delivery.Suppression `json:"suppressions"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/suppressions", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Suppressions, nil
}

// Suppress puts an address on the suppression list.
func (c *Client) Suppress(ctx context.Context, ch, address, reason string) error {
	req := service.SuppressionRequest{Channel: ch, Address: address, Reason: reason}
	return c.call(ctx, http.MethodPost, "/api/suppressions", nil, jsonBody(req), "application/json", nil)
}

// Unsuppress takes an address off the suppression list.
func (c *Client) Unsuppress(ctx context.Context, ch, address string) error {
	req := service.SuppressionRequest{Channel: ch, Address: address}
	return c.call(ctx, http.MethodDelete, "/api/suppressions", nil, jsonBody(req), "application/json", nil)
}

// CampaignDraft returns a campaign's working draft.
func (c *Client) CampaignDraft(ctx context.Context, name string) (*engine.Draft, error) {
	var res engine.Draft
	if err := c.call(ctx, http.MethodGet, draftPath(name), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignDraftPut stores a campaign's working draft.
func (c *Client) CampaignDraftPut(ctx context.Context, name string, req service.DraftRequest) (*engine.Draft, error) {
	var res engine.Draft
	if err := c.call(ctx, http.MethodPut, draftPath(name), nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignDraftSave makes a version of a campaign's working draft.
func (c *Client) CampaignDraftSave(ctx context.Context, name string, revision int64) (*engine.Campaign, error) {
	var res engine.Campaign
	if err := c.call(ctx, http.MethodPost, draftPath(name)+"/save", nil, jsonBody(map[string]int64{"revision": revision}), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignDraftDiscard drops a campaign's working draft.
func (c *Client) CampaignDraftDiscard(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, draftPath(name), nil, nil, "", nil)
}

func draftPath(name string) string { return "/api/campaigns/" + url.PathEscape(name) + "/draft" }

// CronNext lists the next occurrences of a cron expression.
func (c *Client) CronNext(ctx context.Context, expr, timezone string, n int) ([]time.Time, error) {
	var res struct {
		Next []time.Time `json:"next"`
	}
	q := url.Values{"cron": {expr}, "timezone": {timezone}, "n": {strconv.Itoa(n)}}
	if err := c.call(ctx, http.MethodGet, "/api/cron/next", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Next, nil
}

// RunReport reports on a run.
func (c *Client) RunReport(ctx context.Context, id int64, req service.RunReportRequest) (*delivery.Report, error) {
	var res delivery.Report
	q := url.Values{}
	for k, v := range map[string]string{"by": req.By, "conversion": req.Conversion, "within": req.Within} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if err := c.call(ctx, http.MethodGet, "/api/runs/"+strconv.FormatInt(id, 10)+"/report", q, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignReport reports on a campaign's live runs.
func (c *Client) CampaignReport(ctx context.Context, name string, req service.CampaignReportRequest) (*delivery.CampaignReport, error) {
	var res delivery.CampaignReport
	q := url.Values{}
	if req.Since != "" {
		q.Set("since", req.Since)
	}
	if req.Until != "" {
		q.Set("until", req.Until)
	}
	if err := c.call(ctx, http.MethodGet, "/api/campaigns/"+url.PathEscape(name)+"/report", q, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ProfileErase removes every trace of a profile's messages.
func (c *Client) ProfileErase(ctx context.Context, dimension string, key []any) (*delivery.Erasure, error) {
	var res delivery.Erasure
	body := map[string]any{"dimension": dimension, "key": key}
	if err := c.call(ctx, http.MethodPost, "/api/profiles/erase", nil, jsonBody(body), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// CampaignVersions lists a campaign's versions.
func (c *Client) CampaignVersions(ctx context.Context, name string) ([]engine.CampaignVersion, error) {
	var res struct {
		Versions []engine.CampaignVersion `json:"versions"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/campaigns/"+url.PathEscape(name)+"/versions", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Versions, nil
}

// CampaignVersion returns one version of a campaign with its document.
func (c *Client) CampaignVersion(ctx context.Context, name string, version int64) (*engine.CampaignVersion, error) {
	var res engine.CampaignVersion
	if err := c.call(ctx, http.MethodGet, "/api/campaigns/"+url.PathEscape(name)+"/versions/"+strconv.FormatInt(version, 10), nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RunSaveOutput saves the rows a run's transition carried as an audience.
func (c *Client) RunSaveOutput(ctx context.Context, id int64, req service.SaveOutputRequest) (*audience.Audience, error) {
	var res audience.Audience
	if err := c.call(ctx, http.MethodPost, "/api/runs/"+strconv.FormatInt(id, 10)+"/audience", nil, jsonBody(req), "application/json", &res); err != nil {
		return nil, err
	}
	return &res, nil
}
