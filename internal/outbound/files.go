package outbound

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files writes a stream into a directory, one file at a time: the file
// being written has a hidden temporary name (".events-….ndjson.tmp") and
// takes its final one (events-20261207T041500Z-0001.ndjson, the time it
// was opened) when it is rotated, once it holds MaxBytes or has been
// open MaxAge, so a consumer never reads half a file.
type Files struct {
	Dir      string
	Prefix   string
	MaxBytes int64
	MaxAge   time.Duration
	Now      func() time.Time

	f      *os.File
	tmp    string
	final  string
	size   int64
	opened time.Time
}

// tmpName is the hidden name of a file being written.
func tmpName(final string) string { return "." + final + ".tmp" }

// Recover publishes the files a stopped process left being written: each
// keeps its whole lines (a crash may cut the last) and takes its final
// name; the exporter's cursor, advanced only after a write was synced,
// sends again what followed.
func (w *Files) Recover() error {
	if err := os.MkdirAll(w.Dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", w.Dir, err)
	}
	left, err := filepath.Glob(filepath.Join(w.Dir, "."+w.Prefix+"-*.tmp"))
	if err != nil {
		return err
	}
	for _, tmp := range left {
		b, err := os.ReadFile(tmp)
		if err != nil {
			return err
		}
		whole := b[:bytes.LastIndexByte(b, '\n')+1]
		if len(whole) == 0 {
			os.Remove(tmp)
			continue
		}
		if len(whole) < len(b) {
			if err := os.Truncate(tmp, int64(len(whole))); err != nil {
				return err
			}
		}
		final := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(tmp), "."), ".tmp")
		if err := os.Rename(tmp, filepath.Join(w.Dir, final)); err != nil {
			return err
		}
	}
	return nil
}

// Write appends a batch of whole lines to the current file and syncs it;
// the file is rotated once it holds MaxBytes.
func (w *Files) Write(body []byte) error {
	if w.f == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	if _, err := w.f.Write(body); err != nil {
		return fmt.Errorf("write %s: %w", w.tmp, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", w.tmp, err)
	}
	w.size += int64(len(body))
	if w.size >= w.MaxBytes {
		return w.Rotate()
	}
	return nil
}

// Tick rotates the current file once it has been open MaxAge.
func (w *Files) Tick(now time.Time) error {
	if w.f != nil && now.Sub(w.opened) >= w.MaxAge {
		return w.Rotate()
	}
	return nil
}

// Rotate gives the current file, if any, its final name.
func (w *Files) Rotate() error {
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(filepath.Join(w.Dir, w.tmp), filepath.Join(w.Dir, w.final))
}

// open starts a file named for now, numbered past any of that second.
func (w *Files) open() error {
	now := w.Now().UTC()
	stamp := now.Format("20060102T150405Z")
	for n := 1; ; n++ {
		final := fmt.Sprintf("%s-%s-%04d.ndjson", w.Prefix, stamp, n)
		if _, err := os.Stat(filepath.Join(w.Dir, final)); err == nil {
			continue
		}
		f, err := os.OpenFile(filepath.Join(w.Dir, tmpName(final)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create a file in %s: %w", w.Dir, err)
		}
		w.f, w.tmp, w.final, w.size, w.opened = f, tmpName(final), final, 0, now
		return nil
	}
}
