//go:build unix

package store

import (
	"sync"
	"syscall"
)

var privateOnce sync.Once

// privateFiles makes every file the process creates from now on private
// to its user (umask 077). The embedded database holds customer data, and
// DuckDB creates its write-ahead log again after every checkpoint with
// the process's umask: no mode given once at open would cover it.
func privateFiles() {
	privateOnce.Do(func() {
		old := syscall.Umask(0o077)
		syscall.Umask(old | 0o077)
	})
}
