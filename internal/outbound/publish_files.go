package outbound

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// publishFiles writes an audience's version into a files destination as
// the export goes, so that memory does not grow with the audience: into
// a hidden temporary file, synced, then renamed to its versioned name
// (audience-NAME-vVERSION-TIME.csv); the stable name (audience-NAME.csv)
// is then made to hold the same file (replaceStable), and the versions
// beyond the destination's AudienceKeep are deleted (prune).
func (s *Set) publishFiles(d *Destination, p Publication, version int64, export Export) (string, error) {
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return "", err
	}
	name := fmt.Sprintf("audience-%s-v%d-%s.%s", p.Audience, version, s.now().UTC().Format("20060102T150405Z"), p.Format)
	f, err := os.CreateTemp(d.Dir, "."+name+".*.tmp")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	err = export(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	// The export ran without the lock: it may take minutes, and other
	// audiences' publications need not wait for it. What is serialised is
	// naming the files, so that two publications of one audience never
	// interleave their renames or prune each other's files.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Rename(tmp, filepath.Join(d.Dir, name)); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := replaceStable(d.Dir, name, fmt.Sprintf("audience-%s.%s", p.Audience, p.Format)); err != nil {
		return "", err
	}
	if err := syncDir(d.Dir); err != nil {
		return "", err
	}
	if err := prune(d.Dir, p.Audience, d.AudienceKeep); err != nil {
		// The publication is made; the files left are removed next time.
		s.log.Warn("audience publication: remove older versions", "audience", p.Audience, "destination", d.Name, "err", err)
	}
	return name, nil
}

// replaceStable makes stable name the file versioned names, in one step
// for a reader. It puts a hard link to the versioned file under a hidden
// temporary name and renames that over stable: link(2) refuses to
// replace a name, while rename(2) replaces one atomically on Linux, so a
// reader opens either the previous file or the new one, never a missing
// or a partial one. The link shares the versioned file's bytes rather
// than copying them (a large audience is written once) and, unlike a
// symbolic link, outlives the versioned name when prune deletes it.
// Where the filesystem has no hard links (some network and FUSE mounts)
// the bytes are copied and synced under the temporary name instead.
func replaceStable(dir, versioned, stable string) error {
	tmp := filepath.Join(dir, "."+stable+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
	src := filepath.Join(dir, versioned)
	if err := os.Link(src, tmp); err != nil {
		if err := copyFile(src, tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("copy %s to %s: %w", versioned, stable, err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, stable)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// copyFile copies src to a new file dst, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	return errors.Join(err, out.Close())
}

// syncDir makes the renames in dir durable: without it a crash could
// bring back the directory as it was before them.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// prune deletes an audience's versioned files beyond the latest keep, the
// latest being the highest version, then the latest time. Only names that
// are exactly this audience's versioned names are considered: the
// pattern ends with the version, the time and the extension, so the
// files of an audience whose name starts with this one's (vip-2, or
// vip-v2, beside vip) never match. The stable name and hidden temporary
// files do not match either.
func prune(dir, audience string, keep int) error {
	pattern := regexp.MustCompile(`^audience-` + regexp.QuoteMeta(audience) + `-v([0-9]+)-([0-9]{8}T[0-9]{6}Z)\.(csv|ndjson)$`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type file struct {
		name    string
		version int64
		at      string
	}
	var files []file
	for _, e := range entries {
		m := pattern.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue
		}
		files = append(files, file{e.Name(), v, m[2]})
	}
	slices.SortFunc(files, func(a, b file) int {
		return cmp.Or(cmp.Compare(b.version, a.version), cmp.Compare(b.at, a.at), cmp.Compare(b.name, a.name))
	})
	var errs []error
	for _, f := range files[min(keep, len(files)):] {
		if err := os.Remove(filepath.Join(dir, f.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
