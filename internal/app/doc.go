// Package app is Fanfare's command line: it parses the command line, reads
// the configuration (defaults, then a JSON file, then FANFARE_* variables,
// then flags), opens the store (the use-case layer, internal/service, on
// it) or finds the running server (the API client), and runs the
// subcommands and the server.
package app
