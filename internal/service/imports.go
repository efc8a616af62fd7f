package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Import loads a file (plain or gzip, CSV or NDJSON: opts.Format, else
// the name's extension) into an entity of the current model, streaming it
// on the caller's context: the import ends with the call.
func (l *Local) Import(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Summary, error) {
	m, err := l.importModel(ctx, entity)
	if err != nil {
		return nil, err
	}
	opts.Limits = l.limits
	cr := &countingReader{r: r}
	body, format, err := ingest.OpenStream(cr, name, opts.Format, opts.Limits)
	if err != nil {
		return nil, BadRequest(err.Error())
	}
	opts.Format = format
	opts.Bytes = func() (int64, int64) { return cr.n.Load(), 0 }
	return ingest.Import(ctx, l.store, m, entity, name, body, opts)
}

// ImportStart records an import as running, receives its whole file (into
// a temporary file), and imports it in the background, on a context of
// the service's own that Close ends: the import goes on when the caller
// goes away. The answer is the import as it stands (ImportStatus follows
// it). An import whose file does not arrive whole fails, and the call
// returns why.
func (l *Local) ImportStart(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Job, error) {
	m, err := l.importModel(ctx, entity)
	if err != nil {
		return nil, err
	}
	opts.Limits = l.limits
	if opts.Format == "" {
		if _, err := ingest.FormatFromName(name); err != nil {
			return nil, BadRequest(err.Error())
		}
	}
	spool := &spooled{}
	opts.Bytes = func() (int64, int64) { return spool.read.Load(), spool.size.Load() }
	st, err := ingest.Start(ctx, l.store, m, entity, name, opts)
	if err != nil {
		return nil, err
	}
	body, err := spool.receive(r, name, opts)
	if err != nil {
		// The import ends failed, saying why, on the caller's context:
		// interrupted if the caller went away.
		_, _ = st.Run(ctx, failing{err})
		return nil, err
	}
	if !l.jobs.start(func(ctx context.Context) {
		defer spool.remove()
		if l.importReader != nil {
			body = l.importReader(ctx, body)
		}
		sum, err := st.Run(ctx, body)
		l.logImport(sum, err)
	}) {
		_, _ = st.Run(canceled(), failing{errClosing})
		spool.remove()
		return nil, errClosing
	}
	return l.ImportStatus(ctx, st.ID())
}

// importModel returns the current model, checking that an entity is named.
func (l *Local) importModel(ctx context.Context, entity string) (*datamodel.Model, error) {
	if entity == "" {
		return nil, BadRequest("the entity parameter is required")
	}
	m, _, err := schema.Current(ctx, l.store)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &kindError{msg: "no data model yet: apply one first (fanfare model apply model.yaml)", err: err}
	}
	return m, err
}

// logImport logs how a background import ended: its internal errors are
// for the log alone (its watchers read that there was one).
func (l *Local) logImport(sum *ingest.Summary, err error) {
	switch {
	case sum == nil:
		l.log.Error("import", "err", err)
	case sum.ErrorKind == ingest.KindInternal:
		l.log.Error("import failed", "import", sum.ImportID, "entity", sum.Entity, "err", err)
	default:
		l.log.Info("import ended", "import", sum.ImportID, "entity", sum.Entity, "status", sum.Status, "read", sum.Read, "rejected", sum.Rejected, "seconds", sum.Seconds)
	}
}

// ImportStatus returns an import, running or ended: its state, progress
// and summary.
func (l *Local) ImportStatus(ctx context.Context, id int64) (*ingest.Job, error) {
	j, err := ingest.Status(ctx, l.store, id)
	if err != nil {
		return nil, err
	}
	return redactJob(j), nil
}

// Imports returns the latest imports, newest first (limit 0: 50).
func (l *Local) Imports(ctx context.Context, limit int) ([]ingest.Job, error) {
	if limit < 0 {
		return nil, BadRequest("limit must not be negative")
	}
	if limit == 0 {
		limit = 50
	}
	jobs, err := ingest.History(ctx, l.store, min(limit, 1000))
	for i := range jobs {
		redactJob(&jobs[i])
	}
	return jobs, err
}

// redactJob keeps an internal error's text (SQL…) for the server's log.
func redactJob(j *ingest.Job) *ingest.Job {
	if j.ErrorKind == ingest.KindInternal {
		j.Error = "internal error; see the server log"
	}
	return j
}

// Rejects calls fn with each row an import rejected.
func (l *Local) Rejects(ctx context.Context, id int64, fn func(ingest.Reject) error) error {
	if _, err := ingest.Get(ctx, l.store, id); err != nil {
		return err
	}
	return ingest.Rejects(ctx, l.store, id, fn)
}

// errClosing is an import started while the service closes.
var errClosing = errors.New("the server is shutting down")

// spooled is an import's file received into a temporary file, and how
// much of it the import has read.
type spooled struct {
	f          *os.File
	read, size atomic.Int64
}

// receive copies r whole into a temporary file and opens it for the
// import (see ingest.OpenStream).
func (sp *spooled) receive(r io.Reader, name string, opts ingest.Options) (io.Reader, error) {
	f, err := os.CreateTemp("", "fanfare-import-*")
	if err != nil {
		return nil, fmt.Errorf("spool the upload: %w", err)
	}
	sp.f = f
	// Unlinked at once where the system allows it (Unix): the open file
	// lives on, and goes with the process however it ends.
	_ = os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		sp.remove()
		return nil, err
	}
	sp.size.Store(n)
	body, _, err := ingest.OpenStream(&countingReader{r: f, n: &sp.read}, name, opts.Format, opts.Limits)
	if err != nil {
		sp.remove()
		return nil, BadRequest(err.Error())
	}
	return body, nil
}

// remove deletes the temporary file.
func (sp *spooled) remove() {
	if sp.f != nil {
		sp.f.Close()
		os.Remove(sp.f.Name())
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n == nil {
		c.n = new(atomic.Int64)
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// failing is a file that cannot be read, for why.
type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

// canceled returns a context already ended.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
