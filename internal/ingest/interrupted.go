package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// StatusInterrupted is an import whose process ended before it did (killed,
// or the machine stopped); the entity's table was left as it was, since
// the merge is one transaction.
const StatusInterrupted = store.ImportInterrupted

// record inserts the import's row as running, with the owner's lock that
// tells other nodes its process is alive (see store.Imports.Begin).
func (im *importer) record(ctx context.Context) error {
	id, err := im.stage.Begin(ctx, im.e.Name, im.sum.Source, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("record import: %w", err)
	}
	im.sum.ImportID = id
	return nil
}

// release lets go of the staging connection, and of the owner's lock
// once the import's outcome is recorded.
func (im *importer) release(ctx context.Context) {
	if im.stage != nil {
		im.stage.Close(ctx)
	}
}

// MarkInterrupted records as interrupted the imports whose process ended
// before they did, and returns how many. On the embedded store that is
// every running import: the file has one process, the caller's, which has
// started none yet. On PostgreSQL, shared by nodes, it is those whose
// owner's lock is free.
func MarkInterrupted(ctx context.Context, s *store.Store) (int64, error) {
	n, err := s.Imports().MarkInterrupted(ctx, time.Now().UTC())
	if err != nil {
		return n, fmt.Errorf("mark interrupted imports: %w", err)
	}
	return n, nil
}
