package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
)

// ErrNoFilesDir is returned by load_file when the server has no files
// directory configured.
var ErrNoFilesDir = errors.New("this server has no files directory configured (--files-dir, FANFARE_FILES_DIR): load_file reads nothing")

// openInFilesDir opens a regular file inside dir, the only directory
// load_file may read. The path is relative to dir; it may not climb out of
// it (an absolute path, ".."), and no component may be a symbolic link:
// os.Root already keeps every open inside dir, even through a link, and
// refusing links as well keeps what a campaign names the file it reads.
func openInFilesDir(dir, path string) (*os.File, error) {
	if dir == "" {
		return nil, ErrNoFilesDir
	}
	if err := campaign.CheckFilePath(path); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		// Where the directory is, is the server's business.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("the server's files directory cannot be opened (%w); see --files-dir", err)
	}
	defer root.Close()
	parts := strings.Split(filepath.Clean(filepath.FromSlash(path)), string(filepath.Separator))
	for i := range parts {
		sub := filepath.Join(parts[:i+1]...)
		fi, err := root.Lstat(sub)
		if err != nil {
			return nil, fmt.Errorf("open file: %w", unwrapPath(err))
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link: load_file follows none", filepath.ToSlash(sub))
		}
	}
	f, err := root.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open file: %w", unwrapPath(err))
	}
	return f, nil
}

// unwrapPath keeps a path error's path relative to the files directory
// (the directory's own location is the server's business).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
