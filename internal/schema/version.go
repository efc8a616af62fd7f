package schema

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// VersionInfo describes one applied model version.
type VersionInfo struct {
	Version   int64     `json:"version"`
	AppliedAt time.Time `json:"applied_at"`
	Summary   string    `json:"summary"`
}

// Current returns the model applied last and its version, or
// store.ErrNotFound when no model was ever applied.
func Current(ctx context.Context, s *store.Store) (*datamodel.Model, int64, error) {
	v, err := s.Schema().LatestVersion(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read current data model: %w", err)
	}
	if v == 0 {
		return nil, 0, store.ErrNotFound
	}
	key := modelKey{store: s, version: v}
	if m, ok := models.Load(key); ok {
		return m.(*datamodel.Model), v, nil
	}
	_, m, err := Version(ctx, s, v)
	if err != nil {
		return nil, 0, err
	}
	models.Store(key, m)
	return m, v, nil
}

// models caches parsed model versions: a version never changes, and every
// audience count and campaign step reads the current one. Callers treat
// the model as read-only.
var models sync.Map

type modelKey struct {
	store   *store.Store
	version int64
}

// Version returns the document of model version v as it was applied, and
// the model it describes; store.ErrNotFound if there is no such version.
func Version(ctx context.Context, s *store.Store, v int64) (string, *datamodel.Model, error) {
	doc, err := s.Schema().Document(ctx, v)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, fmt.Errorf("data model version %d: %w", v, err)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read data model version %d: %w", v, err)
	}
	m, err := datamodel.Parse([]byte(doc))
	if err != nil {
		return doc, nil, fmt.Errorf("parse stored data model version %d: %w", v, err)
	}
	return doc, m, nil
}

// History lists the applied model versions, oldest first.
func History(ctx context.Context, s *store.Store) ([]VersionInfo, error) {
	versions, err := s.Schema().Versions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list data model versions: %w", err)
	}
	out := make([]VersionInfo, len(versions))
	for i, mv := range versions {
		out[i] = VersionInfo{Version: mv.Version, AppliedAt: mv.AppliedAt, Summary: mv.Summary}
	}
	return out, nil
}
