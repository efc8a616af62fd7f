package service

import (
	"context"
	"io"
)

// SetImportReader wraps the file each background import of l reads.
func SetImportReader(l *Local, wrap func(ctx context.Context, r io.Reader) io.Reader) {
	l.importReader = wrap
}
