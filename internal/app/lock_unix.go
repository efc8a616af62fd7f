package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// errServing says another process serves the data directory.
var errServing = errors.New("a fanfare server already serves this data directory")

func serverLockPath(dataDir string) string { return filepath.Join(dataDir, "server.lock") }

// lockServer takes the data directory's server lock, an flock held for as
// long as the returned file stays open. The kernel drops it when the
// process ends, however it ends, so a restart right after kill -9 finds it
// free; a pid check would not (the dead process is a zombie until its
// parent reaps it, and its pid may be reused).
func lockServer(dataDir string) (*os.File, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(serverLockPath(dataDir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open server lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errServing
		}
		return nil, fmt.Errorf("lock %s: %w", serverLockPath(dataDir), err)
	}
	return f, nil
}
