//go:build !unix

package store

// privateFiles does nothing where there is no umask; the data directory's
// access control list protects the files.
func privateFiles() {}
