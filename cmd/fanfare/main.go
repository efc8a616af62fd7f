// Command fanfare is the Fanfare binary: the API server and the CLI.
package main

import (
	"os"

	"github.com/fanfare-dev/fanfare/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
