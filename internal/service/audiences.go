package service

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// AudienceRequest is a query in either form, with what it runs with. Where
// (the JSON tree) and Text (the text syntax) are alternatives.
type AudienceRequest struct {
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Dimension   string          `json:"dimension,omitempty"`
	Where       json.RawMessage `json:"where,omitempty"`
	Text        string          `json:"text,omitempty"`
	Params      map[string]any  `json:"params,omitempty"`
	Now         time.Time       `json:"now,omitzero"`
	TimeZone    string          `json:"timezone,omitempty"`
	Breakdown   string          `json:"breakdown,omitempty"`
	Top         int             `json:"top,omitempty"`
	Sample      int             `json:"sample,omitempty"`
	Attributes  []string        `json:"attributes,omitempty"`
}

// ValidateQueryResponse answers a valid query with its two forms.
type ValidateQueryResponse struct {
	Valid     bool           `json:"valid"`
	Dimension string         `json:"dimension"`
	Where     *audience.Node `json:"where"`
	Text      string         `json:"text"`
}

// query turns a request into an audience query; the dimension defaults to
// the model's only targeting dimension.
func (l *Local) query(ctx context.Context, r AudienceRequest) (*audience.Query, error) {
	q := &audience.Query{Dimension: r.Dimension, Params: r.Params, Now: r.Now, TimeZone: r.TimeZone}
	switch {
	case r.Text != "" && len(r.Where) > 0:
		return nil, BadRequest("give the query as where (JSON) or as text, not both")
	case r.Text != "":
		n, err := audience.ParseText(r.Text)
		if err != nil {
			return nil, err
		}
		q.Where = n
	case len(r.Where) > 0:
		n, err := audience.ParseJSON(r.Where)
		if err != nil {
			return nil, BadRequest("where: " + err.Error())
		}
		q.Where = n
	default:
		q.Where = &audience.Node{And: []*audience.Node{}}
	}
	if q.Dimension == "" {
		m, _, err := schema.Current(ctx, l.store)
		if err != nil {
			return nil, err
		}
		var dims []string
		for _, e := range m.Entities {
			if e.Targeting != nil {
				dims = append(dims, e.Name)
			}
		}
		if len(dims) != 1 {
			return nil, BadRequest("dimension is required (targeting dimensions: " + strings.Join(dims, ", ") + ")")
		}
		q.Dimension = dims[0]
	}
	return q, nil
}

func (l *Local) audiences() *audience.Service { return &audience.Service{Store: l.store} }

// AudienceCount counts a query, with an optional breakdown and sample.
func (l *Local) AudienceCount(ctx context.Context, req AudienceRequest) (*audience.CountResult, error) {
	q, err := l.query(ctx, req)
	if err != nil {
		return nil, err
	}
	return l.audiences().Run(ctx, audience.CountRequest{Query: *q, Breakdown: req.Breakdown, Top: req.Top, Sample: req.Sample, Attributes: req.Attributes})
}

// AudienceValidate checks a query and returns both its forms.
func (l *Local) AudienceValidate(ctx context.Context, req AudienceRequest) (*ValidateQueryResponse, error) {
	q, err := l.query(ctx, req)
	if err != nil {
		return nil, err
	}
	if _, _, err := l.audiences().Prepare(ctx, q); err != nil {
		return nil, err
	}
	return &ValidateQueryResponse{Valid: true, Dimension: q.Dimension, Where: q.Where, Text: audience.FormatText(q.Where)}, nil
}

// AudienceSave saves a query's result under req.Name.
func (l *Local) AudienceSave(ctx context.Context, req AudienceRequest) (*audience.Audience, error) {
	q, err := l.query(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, BadRequest("name is required")
	}
	return l.published(l.audiences().Save(ctx, req.Name, req.Description, q))
}

// published starts publishing a new version of an audience, if it is
// published (in the background: a failure is logged, never answered).
func (l *Local) published(a *audience.Audience, err error) (*audience.Audience, error) {
	if err == nil {
		l.pub.saved(a.Name)
	}
	return a, err
}

// Audiences lists the saved audiences.
func (l *Local) Audiences(ctx context.Context) ([]audience.Audience, error) {
	return l.audiences().List(ctx)
}

// Audience returns one saved audience.
func (l *Local) Audience(ctx context.Context, name string) (*audience.Audience, error) {
	a, err := l.audiences().Get(ctx, name)
	if err != nil {
		return nil, err
	}
	a.Publish, err = l.publication(ctx, name)
	return a, err
}

// AudienceVersions lists a saved audience's versions.
func (l *Local) AudienceVersions(ctx context.Context, name string) ([]audience.Version, error) {
	return l.audiences().Versions(ctx, name)
}

// AudienceRefresh re-runs a saved audience's query into a new version.
func (l *Local) AudienceRefresh(ctx context.Context, name string) (*audience.Audience, error) {
	return l.published(l.audiences().Refresh(ctx, name))
}

// AudienceAppend adds a query's rows to a saved audience as a new version.
func (l *Local) AudienceAppend(ctx context.Context, name string, req AudienceRequest) (*audience.Audience, error) {
	q, err := l.query(ctx, req)
	if err != nil {
		return nil, err
	}
	return l.published(l.audiences().Append(ctx, name, q))
}

// AudienceDelete deletes a saved audience.
func (l *Local) AudienceDelete(ctx context.Context, name string) error {
	if err := l.audiences().Delete(ctx, name); err != nil {
		return err
	}
	_, err := l.store.Outbound().Unpublish(ctx, name)
	return err
}

// AudienceDeleteVersion drops an old version of a saved audience.
func (l *Local) AudienceDeleteVersion(ctx context.Context, name string, version int64) error {
	return l.audiences().DeleteVersion(ctx, name, version)
}

// AudienceExport writes a saved audience's members to w; nothing is
// written when the audience does not exist.
func (l *Local) AudienceExport(ctx context.Context, name string, version int64, attrs []string, format string, w io.Writer) error {
	if _, err := l.audiences().Get(ctx, name); err != nil {
		return err
	}
	_, err := l.audiences().Export(ctx, name, version, attrs, cmp.Or(format, audience.FormatCSV), w)
	return err
}
