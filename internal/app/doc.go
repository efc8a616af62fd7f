// Package app is Fanfare's wiring: it opens the store and the providers,
// has service.New build the engine, dispatcher and keyring, and runs the
// processes — the server (serve: its locks, server file, API token,
// supervised parts and housekeeping) and the store backend a command
// works a run in. Main runs internal/cli's command line with serve added,
// and opens for each command the running server's client or the store.
package app
