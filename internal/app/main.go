package app

import (
	"io"

	"github.com/fanfare-dev/fanfare/internal/cli"
)

// root is the command tree: serve, then the commands of internal/cli.
type root struct {
	Serve ServeCmd `cmd:"" help:"Run the HTTP API server."`
	cli.CLI
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	return cli.Main(args, stdout, stderr, &root{}, openBackend)
}
