package app

import (
	"context"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// Work waits for the server to take the run to its end (the store
// backend's, service.Local.Work, runs it in this process).
func (r remote) Work(ctx context.Context, id int64) (*engine.RunStatus, error) {
	return service.WaitRun(ctx, r.RunStatus, id)
}

// Send does nothing: the server's dispatchers send the run's messages.
func (r remote) Send(context.Context, int64) error { return nil }
