package service

import (
	"context"
	"errors"
	"io"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Import loads a file (plain or gzip, CSV or NDJSON: opts.Format, else
// the name's extension) into an entity of the current model.
func (l *Local) Import(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Summary, error) {
	if entity == "" {
		return nil, BadRequest("the entity parameter is required")
	}
	m, _, err := schema.Current(ctx, l.store)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &kindError{msg: "no data model yet: apply one first (fanfare model apply model.yaml)", err: err}
	}
	if err != nil {
		return nil, err
	}
	opts.Limits = l.limits
	body, format, err := ingest.OpenStream(r, name, opts.Format, opts.Limits)
	if err != nil {
		return nil, BadRequest(err.Error())
	}
	opts.Format = format
	return ingest.Import(ctx, l.store, m, entity, name, body, opts)
}

// ImportSummary returns an import's summary and status.
func (l *Local) ImportSummary(ctx context.Context, id int64) (*ingest.Summary, error) {
	return ingest.Get(ctx, l.store, id)
}

// Rejects calls fn with each row an import rejected.
func (l *Local) Rejects(ctx context.Context, id int64, fn func(ingest.Reject) error) error {
	if _, err := ingest.Get(ctx, l.store, id); err != nil {
		return err
	}
	return ingest.Rejects(ctx, l.store, id, fn)
}
