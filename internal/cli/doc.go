// Package cli is Fanfare's command line: the global flags and the
// configuration (defaults, then a JSON file, then FANFARE_* variables,
// then flags), and every subcommand but serve. A command works through a
// Backend: the use-case layer (internal/service) on the store, or the
// API client (internal/client) of a running server, which answer alike;
// it prints what they answer. It opens nothing itself: the wiring
// (internal/app) gives Main the Opener that finds the server or opens the
// store, and adds serve.
package cli
