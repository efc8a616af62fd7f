// Package app wires Fanfare together: it parses the command line, reads the
// configuration (defaults, then a JSON file, then FANFARE_* variables, then
// flags), opens the store or finds the running server, and runs the
// subcommands.
package app
