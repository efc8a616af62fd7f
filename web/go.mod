// This module only stops `go ./...` from walking into node_modules: the
// console is built by npm (see docs/console.md), not by Go.
module github.com/fanfare-dev/fanfare/web
