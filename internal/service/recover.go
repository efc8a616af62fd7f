package service

import (
	"context"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// MarkInterrupted records as interrupted the imports whose process ended
// before they did, and returns how many (see ingest.MarkInterrupted). A
// process opening the store does it before its first operation, and a
// server on a shared store now and then, for the nodes that died.
func MarkInterrupted(ctx context.Context, s *store.Store) (int64, error) {
	return ingest.MarkInterrupted(ctx, s)
}
