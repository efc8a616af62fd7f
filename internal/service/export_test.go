package service

import (
	"context"
	"io"
)

// SetImportReader wraps the file each background import of l reads.
func SetImportReader(l *Local, wrap func(ctx context.Context, r io.Reader) io.Reader) {
	l.importReader = wrap
}

// WatchReads is how many times l has read a watched run.
func WatchReads(l *Local) int64 { return l.watches.reads.Load() }

// Watched is how many runs l polls for watchers.
func Watched(l *Local) int {
	l.watches.mu.Lock()
	defer l.watches.mu.Unlock()
	return len(l.watches.polls)
}
