package cli

import (
	"context"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// Backend is what subcommands work through: the use-case layer on the
// store itself, or a running server's API. Both answer with the same
// types and errors.
type Backend interface {
	service.Service
	// Work drives a run until it is no longer running: the store backend
	// runs its activities in this process, the server backend waits.
	Work(ctx context.Context, id int64) (*engine.RunStatus, error)
	// Send sends the run's due messages: the store backend runs a
	// dispatcher in this process until they are out; a server's
	// dispatchers take them themselves, so the server backend does nothing.
	Send(ctx context.Context, id int64) error
	// Where says what the backend is, for messages.
	Where() string
	Close() error
}

// Opener finds the running server for the data directory (or the one
// named by --server) and otherwise opens the store directly. With create
// false it creates no store; the commands meant to create one (model
// apply, import, demo) ask for an embedded one to be created where none
// is. The wiring (internal/app) gives it to Main.
type Opener func(ctx context.Context, g *Globals, create bool) (Backend, error)

// backend opens what a command works through; it creates no store (see
// creatingBackend).
func (g *Globals) backend(ctx context.Context) (Backend, error) { return g.open(ctx, g, false) }

// creatingBackend is backend for the commands meant to create a store
// (model apply, import, demo): an embedded one is created where none is.
func (g *Globals) creatingBackend(ctx context.Context) (Backend, error) {
	return g.open(ctx, g, true)
}
