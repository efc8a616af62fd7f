package schema

import (
	"context"
	"database/sql"
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
	var v int64
	err := s.DB.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM ff_model_versions`).Scan(&v)
	if err != nil {
		return nil, 0, fmt.Errorf("read current data model: %w", err)
	}
	if v == 0 {
		return nil, 0, store.ErrNotFound
	}
	key := modelKey{db: s.DB, version: v}
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
	db      *sql.DB
	version int64
}

// Version returns the document of model version v as it was applied, and
// the model it describes; store.ErrNotFound if there is no such version.
func Version(ctx context.Context, s *store.Store, v int64) (string, *datamodel.Model, error) {
	var doc string
	err := s.DB.QueryRowContext(ctx, `SELECT document FROM ff_model_versions WHERE version = $1`, v).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("data model version %d: %w", v, store.ErrNotFound)
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
	rows, err := s.DB.QueryContext(ctx, `SELECT version, applied_at, summary FROM ff_model_versions ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("list data model versions: %w", err)
	}
	defer rows.Close()
	var out []VersionInfo
	for rows.Next() {
		var vi VersionInfo
		if err := rows.Scan(&vi.Version, &vi.AppliedAt, &vi.Summary); err != nil {
			return nil, fmt.Errorf("list data model versions: %w", err)
		}
		out = append(out, vi)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list data model versions: %w", err)
	}
	return out, nil
}
