package service

import (
	"context"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// ModelResponse is the current (or a past) data model.
type ModelResponse struct {
	Version  int64            `json:"version"`
	Document string           `json:"document"`
	Model    *datamodel.Model `json:"model"`
}

// ValidateModelResponse answers a valid model.
type ValidateModelResponse struct {
	Valid    bool     `json:"valid"`
	Entities []string `json:"entities"`
}

// ApplyModel applies a model document to the store.
func (l *Local) ApplyModel(ctx context.Context, doc []byte, opts schema.ApplyOptions) (*schema.ApplyResult, error) {
	return schema.Apply(ctx, l.store, doc, opts)
}

// ValidateModel checks a model document without applying it.
func (l *Local) ValidateModel(ctx context.Context, doc []byte) (*ValidateModelResponse, error) {
	m, err := datamodel.Parse(doc)
	if err != nil {
		return nil, err
	}
	resp := &ValidateModelResponse{Valid: true}
	for _, e := range m.Entities {
		resp.Entities = append(resp.Entities, e.Name)
	}
	return resp, nil
}

// Model returns a version of the model (0: the current one).
func (l *Local) Model(ctx context.Context, version int64) (*ModelResponse, error) {
	if version > 0 {
		doc, m, err := schema.Version(ctx, l.store, version)
		if err != nil {
			return nil, err
		}
		return &ModelResponse{Version: version, Document: doc, Model: m}, nil
	}
	m, v, err := schema.Current(ctx, l.store)
	if err != nil {
		return nil, err
	}
	return &ModelResponse{Version: v, Document: string(datamodel.Document(m)), Model: m}, nil
}

// ModelHistory lists the model's versions.
func (l *Local) ModelHistory(ctx context.Context) ([]schema.VersionInfo, error) {
	return schema.History(ctx, l.store)
}

// EntitiesResponse is every entity of the current model with its row
// count.
type EntitiesResponse struct {
	ModelVersion int64               `json:"model_version"`
	Entities     []schema.EntityRows `json:"entities"`
}

// Entities counts the rows of every entity of the current model (exact
// counts; ErrNotFound before any model).
func (l *Local) Entities(ctx context.Context) (*EntitiesResponse, error) {
	v, rows, err := schema.Rows(ctx, l.store)
	if err != nil {
		return nil, err
	}
	return &EntitiesResponse{ModelVersion: v, Entities: rows}, nil
}
