package app

import (
	"context"
	"io"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/audience"
)

// The store-side implementations of the audience calls; the remote ones
// are the client's.

func (l *local) audiences() *audience.Service { return &audience.Service{Store: l.s} }

func (l *local) AudienceCount(ctx context.Context, req api.AudienceRequest) (*audience.CountResult, error) {
	q, err := req.Query(ctx, l.s)
	if err != nil {
		return nil, err
	}
	return l.audiences().Run(ctx, audience.CountRequest{Query: *q, Breakdown: req.Breakdown, Top: req.Top, Sample: req.Sample, Attributes: req.Attributes})
}

func (l *local) AudienceValidate(ctx context.Context, req api.AudienceRequest) (*api.ValidateQueryResponse, error) {
	q, err := req.Query(ctx, l.s)
	if err != nil {
		return nil, err
	}
	if _, _, err := l.audiences().Prepare(ctx, q); err != nil {
		return nil, err
	}
	return &api.ValidateQueryResponse{Valid: true, Dimension: q.Dimension, Where: q.Where, Text: audience.FormatText(q.Where)}, nil
}

func (l *local) AudienceSave(ctx context.Context, req api.AudienceRequest) (*audience.Audience, error) {
	q, err := req.Query(ctx, l.s)
	if err != nil {
		return nil, err
	}
	return l.audiences().Save(ctx, req.Name, req.Description, q)
}

func (l *local) Audiences(ctx context.Context) ([]audience.Audience, error) {
	return l.audiences().List(ctx)
}

func (l *local) Audience(ctx context.Context, name string) (*audience.Audience, error) {
	return l.audiences().Get(ctx, name)
}

func (l *local) AudienceRefresh(ctx context.Context, name string) (*audience.Audience, error) {
	return l.audiences().Refresh(ctx, name)
}

func (l *local) AudienceAppend(ctx context.Context, name string, req api.AudienceRequest) (*audience.Audience, error) {
	q, err := req.Query(ctx, l.s)
	if err != nil {
		return nil, err
	}
	return l.audiences().Append(ctx, name, q)
}

func (l *local) AudienceDelete(ctx context.Context, name string) error {
	return l.audiences().Delete(ctx, name)
}

func (l *local) AudienceExport(ctx context.Context, name string, version int64, attrs []string, format string, w io.Writer) error {
	_, err := l.audiences().Export(ctx, name, version, attrs, format, w)
	return err
}
