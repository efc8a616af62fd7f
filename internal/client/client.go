// Package client talks to a running Fanfare server over its HTTP API and
// turns its answers back into the domain types and errors, so the CLI
// behaves the same whether it works through a server or on the store.
package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// Client is an API client: the operations of the use-case layer, run
// by a server.
var _ service.Service = (*Client)(nil)

// Client is an API client.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client for the server at base (http://host:port) using the
// bearer token.
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{}}
}

// Base returns the server URL.
func (c *Client) Base() string { return c.base }

// APIError is an error answer. Err is the domain error it names, when the
// client knows it (errors.Is and errors.As see it); its text is then the
// server's message alone, as the same error reads without a server.
type APIError struct {
	Status int
	api.ErrorDetail
	Err error
}

func (e *APIError) Error() string {
	if e.Err != nil {
		return e.Message
	}
	return fmt.Sprintf("server: %s (%d %s)", e.Message, e.Status, e.Code)
}

// Unwrap returns the domain error the answer names.
func (e *APIError) Unwrap() error { return e.Err }

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, ctype string) (*http.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the fanfare server at %s: %w", c.base, err)
	}
	return resp, nil
}

// call performs a request and decodes a 2xx JSON answer into out.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body io.Reader, ctype string, out any) error {
	resp, err := c.do(ctx, method, path, q, body, ctype)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode server answer: %w", err)
	}
	return nil
}

// decodeError rebuilds the domain error of an error answer.
func decodeError(resp *http.Response) error {
	var raw struct {
		Error struct {
			Code    string          `json:"code"`
			Reason  string          `json:"reason"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || raw.Error.Code == "" {
		return &APIError{Status: resp.StatusCode, ErrorDetail: api.ErrorDetail{Code: "http", Message: resp.Status}}
	}
	e := raw.Error
	if err := decodeProblems(e.Code, e.Details); err != nil {
		return err
	}
	apiErr := &APIError{Status: resp.StatusCode, ErrorDetail: api.ErrorDetail{Code: e.Code, Reason: e.Reason, Message: e.Message}}
	switch e.Code {
	case "bad_input":
		if e.Reason == "unknown_entity" {
			return fmt.Errorf("%w%s", ingest.ErrUnknownEntity, strings.TrimPrefix(e.Message, ingest.ErrUnknownEntity.Error()))
		}
		return &ingest.InputError{Err: errors.New(e.Message)}
	case "render_failed":
		var d api.RenderFailure
		_ = json.Unmarshal(e.Details, &d)
		apiErr.Err = &message.RenderError{Field: d.Field, Err: errors.New(strings.TrimPrefix(e.Message, d.Field+": "))}
	case "too_large":
		var d struct {
			Limit int64 `json:"limit_bytes"`
		}
		_ = json.Unmarshal(e.Details, &d)
		apiErr.Err = &http.MaxBytesError{Limit: d.Limit}
	default:
		apiErr.Err = api.KnownError(e.Code, e.Reason)
	}
	return apiErr
}

// decodeProblems rebuilds an error that lists problems (or changes), nil
// when the code names none or its details do not read.
func decodeProblems(code string, details json.RawMessage) error {
	var err error
	var into any
	switch code {
	case "invalid_model":
		verr := &datamodel.ValidationError{}
		err, into = verr, &verr.Problems
	case "invalid_query":
		qerr := &audience.ValidationError{}
		err, into = qerr, &qerr.Problems
	case "invalid_content":
		merr := &message.ValidationError{}
		err, into = merr, &merr.Problems
	case "invalid_campaign":
		cerr := &campaign.ValidationError{}
		err, into = cerr, &cerr.Problems
	case "destructive_change":
		derr := &schema.DestructiveError{}
		err, into = derr, &derr.Changes
	default:
		return nil
	}
	if json.Unmarshal(details, into) != nil {
		return nil
	}
	return err
}

// Health returns the server's health answer.
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.do(ctx, http.MethodGet, "/api/health", nil, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// A failing or unavailable node answers 503 with the same body.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return nil, decodeError(resp)
	}
	var h api.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return nil, fmt.Errorf("decode server health: %w", err)
	}
	return &h, nil
}

// ValidateModel checks a model document.
func (c *Client) ValidateModel(ctx context.Context, doc []byte) (*service.ValidateModelResponse, error) {
	var res service.ValidateModelResponse
	if err := c.call(ctx, http.MethodPost, "/api/model/validate", nil, strings.NewReader(string(doc)), "application/yaml", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ApplyModel applies a model document.
func (c *Client) ApplyModel(ctx context.Context, doc []byte, opts schema.ApplyOptions) (*schema.ApplyResult, error) {
	q := url.Values{}
	if opts.AllowDestructive {
		q.Set("allow_destructive", "true")
	}
	if opts.DryRun {
		q.Set("dry_run", "true")
	}
	var res schema.ApplyResult
	if err := c.call(ctx, http.MethodPost, "/api/model", q, strings.NewReader(string(doc)), "application/yaml", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Model returns a version of the model (0: the current one).
func (c *Client) Model(ctx context.Context, version int64) (*service.ModelResponse, error) {
	path := "/api/model"
	if version > 0 {
		path = "/api/model/versions/" + strconv.FormatInt(version, 10)
	}
	var res service.ModelResponse
	if err := c.call(ctx, http.MethodGet, path, nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ModelHistory lists the model's versions.
func (c *Client) ModelHistory(ctx context.Context) ([]schema.VersionInfo, error) {
	var res struct {
		Versions []schema.VersionInfo `json:"versions"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/model/versions", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Versions, nil
}

// Entities counts the rows of every entity of the current model.
func (c *Client) Entities(ctx context.Context) (*service.EntitiesResponse, error) {
	var res service.EntitiesResponse
	if err := c.call(ctx, http.MethodGet, "/api/entities", nil, nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Import uploads a file (as it is on disk: plain or gzip) into an entity
// and follows the import the server runs until it ends: its summary, and
// the error it ended with, as an import on the store returns them. The
// import goes on on the server if ctx ends first.
func (c *Client) Import(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Summary, error) {
	job, err := c.ImportStart(ctx, entity, name, r, opts)
	if err != nil {
		return nil, err
	}
	wait := 20 * time.Millisecond
	for job.State == ingest.StateRunning {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for import %d (it goes on on the server): %w", job.ImportID, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
		if job, err = c.ImportStatus(ctx, job.ImportID); err != nil {
			return nil, err
		}
	}
	return &job.Summary, importError(&job.Summary)
}

// importError rebuilds the error an import ended with from its summary.
func importError(sum *ingest.Summary) error {
	if sum.Error == "" && sum.ErrorKind == "" {
		return nil
	}
	switch sum.ErrorKind {
	case ingest.KindTooManyErrors:
		return fmt.Errorf("%w: %s", ingest.ErrTooManyErrors, strings.TrimPrefix(sum.Error, ingest.ErrTooManyErrors.Error()+": "))
	case ingest.KindNothingLoaded:
		return fmt.Errorf("%w: %s", ingest.ErrNothingLoaded, strings.TrimPrefix(sum.Error, ingest.ErrNothingLoaded.Error()+": "))
	case ingest.KindBadInput:
		return &ingest.InputError{Err: errors.New(sum.Error)}
	}
	return fmt.Errorf("import %d %s: %s", sum.ImportID, sum.Status, sum.Error)
}

// ImportStart uploads a file into an entity; the server answers once it
// has the whole file, with the import it runs in the background.
func (c *Client) ImportStart(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Job, error) {
	q := url.Values{"entity": {entity}, "name": {name}}
	if opts.Format != "" {
		q.Set("format", string(opts.Format))
	}
	if opts.Delimiter != 0 {
		q.Set("delimiter", string(opts.Delimiter))
	}
	if opts.TimeZone != nil {
		q.Set("timezone", opts.TimeZone.String())
	}
	if opts.MaxErrors >= 0 {
		q.Set("max_errors", strconv.Itoa(opts.MaxErrors))
	}
	if opts.Orphans != "" {
		q.Set("orphans", opts.Orphans)
	}
	var job ingest.Job
	if err := c.call(ctx, http.MethodPost, "/api/imports", q, r, "application/octet-stream", &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// ImportStatus returns an import's state, progress and summary.
func (c *Client) ImportStatus(ctx context.Context, id int64) (*ingest.Job, error) {
	var job ingest.Job
	if err := c.call(ctx, http.MethodGet, "/api/imports/"+strconv.FormatInt(id, 10), nil, nil, "", &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// Imports lists the latest imports, newest first (limit 0: the server's
// default).
func (c *Client) Imports(ctx context.Context, limit int) ([]ingest.Job, error) {
	q := url.Values{}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var res struct {
		Imports []ingest.Job `json:"imports"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/imports", q, nil, "", &res); err != nil {
		return nil, err
	}
	return res.Imports, nil
}

// Rejects streams an import's rejected rows.
func (c *Client) Rejects(ctx context.Context, id int64, fn func(ingest.Reject) error) error {
	resp, err := c.do(ctx, http.MethodGet, "/api/imports/"+strconv.FormatInt(id, 10)+"/rejects", nil, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var rj ingest.Reject
		if err := json.Unmarshal(sc.Bytes(), &rj); err != nil {
			return fmt.Errorf("decode reject: %w", err)
		}
		if err := fn(rj); err != nil {
			return err
		}
	}
	return sc.Err()
}
