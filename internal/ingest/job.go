package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// An import's state, as its watchers see it: running, done (every good
// row loaded: completed, with or without rejects), failed (nothing
// loaded: aborted or failed) or interrupted (its process ended first).
const (
	StateRunning     = "running"
	StateDone        = "done"
	StateFailed      = "failed"
	StateInterrupted = "interrupted"
)

// Job is an import as its record tells it, running or ended: its summary
// (complete once it ended), its state and its progress.
type Job struct {
	Summary
	State      string     `json:"state"`
	Progress   Progress   `json:"progress"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Progress is how far an import has read its file, as last recorded
// (every ProgressEvery while it runs, and when it ends).
type Progress struct {
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
	// Size is the file's size in bytes, 0 when unknown.
	Size int64 `json:"size"`
}

// State returns the state of an import of status.
func State(status string) string {
	switch status {
	case StatusRunning:
		return StateRunning
	case StatusCompleted, StatusCompletedWithRejects:
		return StateDone
	case StatusInterrupted:
		return StateInterrupted
	default:
		return StateFailed
	}
}

// Status returns an import's record, or store.ErrNotFound.
func Status(ctx context.Context, s *store.Store, importID int64) (*Job, error) {
	rec, err := s.Imports().Get(ctx, importID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read import %d: %w", importID, err)
	}
	return jobOf(rec)
}

// History returns the latest imports, newest first (at most limit).
func History(ctx context.Context, s *store.Store, limit int) ([]Job, error) {
	recs, err := s.Imports().List(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	jobs := make([]Job, 0, len(recs))
	for _, rec := range recs {
		j, err := jobOf(rec)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, *j)
	}
	return jobs, nil
}

// jobOf reads an import's record: its row, and its summary document once
// it ended.
func jobOf(rec store.ImportRecord) (*Job, error) {
	j := &Job{Summary: Summary{ImportID: rec.ID, Entity: rec.Entity, Source: rec.Source},
		Progress: Progress{Rows: rec.Rows, Bytes: rec.Bytes, Size: rec.Size}, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt}
	if rec.Summary != "" {
		if err := json.Unmarshal([]byte(rec.Summary), &j.Summary); err != nil {
			return nil, fmt.Errorf("decode import %d: %w", rec.ID, err)
		}
	}
	// The row's, which MarkInterrupted may have changed.
	j.Status, j.State = rec.Status, State(rec.Status)
	if j.Status == StatusInterrupted && j.ErrorKind == "" {
		j.ErrorKind = KindInterrupted
		j.Error = "the import's process ended before it did; " + rec.Entity + " was left as it was"
	}
	return j, nil
}
