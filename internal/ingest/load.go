package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrTooManyErrors is returned when an import rejects more rows than its
// MaxErrors allows; the table is then left exactly as it was.
var ErrTooManyErrors = errors.New("too many rejected rows")

// ErrNothingLoaded is returned when every row of a file was rejected; the
// table is then left as it was.
var ErrNothingLoaded = errors.New("nothing loaded")

// ErrUnknownEntity is returned for an entity the data model does not have.
var ErrUnknownEntity = errors.New("unknown entity")

// InputError is a problem with the input as a whole (its header, its
// encoding, a read failure), as opposed to a bad row.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Orphan policies: what to do with a row whose link points at a missing key.
const (
	OrphansReject = "reject"
	OrphansKeep   = "keep"
)

// SummaryRejects is how many rejects a Summary carries; all of them are
// kept in the store (see Rejects).
const SummaryRejects = 100

// Options tune an import.
type Options struct {
	// Format of the input; empty means detect from the name.
	Format Format
	// Delimiter of CSV fields; 0 means ','.
	Delimiter rune
	// TimeZone reads timestamps that carry no offset; nil means UTC.
	TimeZone *time.Location
	// MaxErrors aborts the import, leaving the table untouched, when more
	// rows than this are rejected. Negative means no limit.
	MaxErrors int
	// Orphans is OrphansReject (default) or OrphansKeep.
	Orphans string
	// Limits bound a line (a longer one is rejected); the caller opens
	// the file with the same limits (OpenStream) to cap decompression.
	Limits Limits
	// Progress, when set, is called now and then with rows read so far.
	Progress func(rows int64)
	// Bytes, when set, tells how many bytes of the file were read so far
	// and the file's size (0: unknown): with the rows read, the import's
	// progress, which it records in the store every ProgressEvery.
	Bytes func() (read, size int64)
}

// ProgressEvery is how often a running import records its progress.
const ProgressEvery = 500 * time.Millisecond

// Summary reports what an import did.
type Summary struct {
	ImportID      int64    `json:"import_id"`
	Entity        string   `json:"entity"`
	Source        string   `json:"source"`
	Status        string   `json:"status"`
	Read          int64    `json:"read"`
	Inserted      int64    `json:"inserted"`
	Updated       int64    `json:"updated"`
	Deleted       int64    `json:"deleted"`
	Unchanged     int64    `json:"unchanged_deletes"`
	Superseded    int64    `json:"superseded"`
	Rejected      int64    `json:"rejected"`
	OrphansKept   int64    `json:"orphans_kept"`
	Seconds       float64  `json:"seconds"`
	RowsPerSecond float64  `json:"rows_per_second"`
	Rejects       []Reject `json:"rejects,omitempty"`
	Error         string   `json:"error,omitempty"`
	// ErrorKind names what Error is, so that a reader of the summary (the
	// API's client) rebuilds the error: one of the Kind constants.
	ErrorKind string `json:"error_kind,omitempty"`
	// Phases times the steps: staging (read, convert, bulk load), link
	// checks, and the merge transaction.
	Phases struct {
		Stage float64 `json:"stage"`
		Check float64 `json:"check"`
		Merge float64 `json:"merge"`
	} `json:"phases_seconds"`
}

// Import statuses. Completed: every row loaded; completed with rejects:
// the good rows loaded, the others rejected; aborted (more rejects than
// MaxErrors) and failed (every row rejected, or an error): nothing loaded.
const (
	StatusRunning              = store.ImportRunning
	StatusCompleted            = "completed"
	StatusCompletedWithRejects = "completed_with_rejects"
	StatusAborted              = "aborted"
	StatusFailed               = "failed"
)

// What an import's error is (Summary.ErrorKind).
const (
	KindTooManyErrors = "too_many_errors"
	KindNothingLoaded = "nothing_loaded"
	KindBadInput      = "bad_input"
	KindInterrupted   = "interrupted"
	KindInternal      = "internal"
)

// batchRows is how many rows a slab carries to the bulk loader.
const batchRows = 2048

// importer holds the state of one import.
type importer struct {
	s    *store.Store
	m    *datamodel.Model
	e    *datamodel.Entity
	opts Options
	sum  *Summary
	// stage is the import's own connection, which holds its staging
	// table and its owner lock.
	stage   *store.Staging
	convs   []Converter
	attrs   []*datamodel.Attribute
	rejects []Reject // not yet written to the store
	mu      sync.Mutex
	rowErr  int64 // rows with at least one problem
	// rows counts the rows read so far, for the progress.
	rows  atomic.Int64
	start time.Time
}

// Import loads one file (already opened and decompressed) into an entity's
// table. It stages every good row, checks links, then merges the staged rows
// by primary key in one transaction: on any failure, or with more rejected
// rows than opts.MaxErrors, the table is left as it was.
func Import(ctx context.Context, s *store.Store, m *datamodel.Model, entity, source string, r io.Reader, opts Options) (*Summary, error) {
	im, err := Start(ctx, s, m, entity, source, opts)
	if err != nil {
		return nil, err
	}
	return im.Run(ctx, r)
}

// Started is an import recorded as running, whose file is yet to be read
// (Run). Its process holds the import until Run ends, so it must run.
type Started struct{ im *importer }

// ID returns the import's id.
func (st *Started) ID() int64 { return st.im.sum.ImportID }

// Start checks an import's entity and options and records it as running;
// Run then loads its file. ctx bounds only the start.
func Start(ctx context.Context, s *store.Store, m *datamodel.Model, entity, source string, opts Options) (*Started, error) {
	e := m.Entity(entity)
	if e == nil {
		return nil, fmt.Errorf("%w %q (entities: %s)", ErrUnknownEntity, entity, entityNames(m))
	}
	if opts.Orphans == "" {
		opts.Orphans = OrphansReject
	}
	if opts.Orphans != OrphansReject && opts.Orphans != OrphansKeep {
		return nil, fmt.Errorf("orphans policy must be %q or %q, not %q", OrphansReject, OrphansKeep, opts.Orphans)
	}
	if opts.TimeZone == nil {
		opts.TimeZone = time.UTC
	}
	if opts.Format == "" {
		f, err := FormatFromName(source)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		opts.Format = f
	}
	im := &importer{s: s, m: m, e: e, opts: opts, sum: &Summary{Entity: entity, Source: source, Status: StatusRunning}}
	if err := im.begin(ctx); err != nil {
		return nil, err
	}
	return &Started{im: im}, nil
}

// Run loads the file of a started import, records how it ended and
// returns its summary; the import's error too (the summary says it as
// well). An import whose ctx ends is interrupted, its table unchanged.
func (st *Started) Run(ctx context.Context, r io.Reader) (*Summary, error) {
	im := st.im
	im.start = time.Now() // the file's reading, not its upload
	stop := im.reportProgress(ctx)
	err := im.run(ctx, r)
	stop()
	im.sum.Seconds = time.Since(im.start).Seconds()
	if im.sum.Seconds > 0 {
		im.sum.RowsPerSecond = float64(im.sum.Read) / im.sum.Seconds
	}
	// Bookkeeping must happen even when the caller's context is gone.
	bg := context.WithoutCancel(ctx)
	im.dropStage(bg)
	im.sum.Status, im.sum.ErrorKind = outcome(ctx, err, im.sum.Rejected)
	if err != nil {
		im.sum.Error = err.Error()
	}
	if ferr := im.finish(bg); ferr != nil && err == nil {
		err = ferr
	}
	im.release(bg)
	return im.sum, err
}

// outcome tells an import's status, and the kind of its error, from how
// its run ended.
func outcome(ctx context.Context, err error, rejected int64) (status, kind string) {
	var inErr *InputError
	switch {
	case err == nil && rejected > 0:
		return StatusCompletedWithRejects, ""
	case err == nil:
		return StatusCompleted, ""
	case ctx.Err() != nil:
		return StatusInterrupted, KindInterrupted
	case errors.Is(err, ErrTooManyErrors):
		return StatusAborted, KindTooManyErrors
	case errors.Is(err, ErrNothingLoaded):
		return StatusFailed, KindNothingLoaded
	case errors.As(err, &inErr):
		return StatusFailed, KindBadInput
	default:
		return StatusFailed, KindInternal
	}
}

// reportProgress records the import's progress every ProgressEvery until
// stop, which waits for the last report to end (so that none lands after
// the import's outcome).
func (im *importer) reportProgress(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// A report lost is one the next replaces: not worth failing for.
			_ = im.recordProgress(ctx)
		}
	})
	return func() { close(done); wg.Wait() }
}

func entityNames(m *datamodel.Model) string {
	var names []string
	for _, e := range m.Entities {
		names = append(names, e.Name)
	}
	return strings.Join(names, ", ")
}

func (im *importer) begin(ctx context.Context) error {
	var err error
	if im.stage, err = im.s.Imports().Staging(ctx); err != nil {
		return fmt.Errorf("staging connection: %w", err)
	}
	if err := im.record(ctx); err != nil {
		im.stage.Close(ctx)
		im.stage = nil
		return err
	}
	for _, a := range im.e.Attributes {
		im.attrs = append(im.attrs, a)
		im.convs = append(im.convs, ConverterForFormat(a, im.opts.TimeZone, im.opts.Format))
	}
	if err := im.stage.Create(ctx, im.e); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	return nil
}

func (im *importer) dropStage(ctx context.Context) {
	if im.stage != nil {
		im.stage.Drop(ctx)
	}
}

// recordProgress records how far the import has read.
func (im *importer) recordProgress(ctx context.Context) error {
	var read, size int64
	if im.opts.Bytes != nil {
		read, size = im.opts.Bytes()
	}
	return im.s.Imports().Progress(ctx, im.sum.ImportID, im.rows.Load(), read, size)
}

func (im *importer) finish(ctx context.Context) error {
	if err := im.flushRejects(ctx); err != nil {
		return err
	}
	if err := im.recordProgress(ctx); err != nil {
		return fmt.Errorf("record import progress: %w", err)
	}
	doc, _ := json.Marshal(im.sum)
	if err := im.s.Imports().Finish(ctx, im.sum.ImportID, im.sum.Status, time.Now().UTC(), string(doc)); err != nil {
		return fmt.Errorf("record import result: %w", err)
	}
	return nil
}

func (im *importer) run(ctx context.Context, r io.Reader) error {
	t0 := time.Now()
	if err := im.stageRows(ctx, r); err != nil {
		return err
	}
	t1 := time.Now()
	im.sum.Phases.Stage = t1.Sub(t0).Seconds()
	if err := im.checkLinks(ctx); err != nil {
		return err
	}
	t2 := time.Now()
	im.sum.Phases.Check = t2.Sub(t1).Seconds()
	defer func() { im.sum.Phases.Merge = time.Since(t2).Seconds() }()
	if err := im.overLimit(); err != nil {
		return err
	}
	if im.sum.Read > 0 && im.sum.Rejected >= im.sum.Read {
		return fmt.Errorf("%w: every row (%d) was rejected; %s left unchanged", ErrNothingLoaded, im.sum.Read, im.e.Name)
	}
	if err := im.flushRejects(ctx); err != nil {
		return err
	}
	return im.merge(ctx)
}

func (im *importer) overLimit() error {
	if im.opts.MaxErrors >= 0 && im.sum.Rejected > int64(im.opts.MaxErrors) {
		return fmt.Errorf("%w: %d rows rejected, at most %d allowed; %s left unchanged", ErrTooManyErrors, im.sum.Rejected, im.opts.MaxErrors, im.e.Name)
	}
	return nil
}

// reject records one problem; rowDone says it is the first problem of its row.
func (im *importer) reject(rj Reject, newRow bool) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if newRow {
		im.sum.Rejected++
	}
	if len(im.sum.Rejects) < SummaryRejects {
		im.sum.Rejects = append(im.sum.Rejects, rj)
	}
	im.rejects = append(im.rejects, rj)
}

// flushRejects writes pending rejects to the store, in a form either
// store can hold (see clipValue).
func (im *importer) flushRejects(ctx context.Context) error {
	im.mu.Lock()
	pending := im.rejects
	im.rejects = nil
	im.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	rows := make([]store.ImportReject, len(pending))
	for i, rj := range pending {
		rows[i] = store.ImportReject{Line: rj.Line, Column: clipValue(rj.Column), Value: clipValue(rj.Value), Reason: strings.ToValidUTF8(rj.Reason, "\uFFFD")}
	}
	if err := im.s.Imports().AddRejects(ctx, im.sum.ImportID, rows); err != nil {
		return fmt.Errorf("record rejected rows: %w", err)
	}
	return nil
}

// Rejects streams every rejected row of an import in line order.
func Rejects(ctx context.Context, s *store.Store, importID int64, fn func(Reject) error) error {
	var ferr error
	err := s.Imports().Rejects(ctx, importID, func(r store.ImportReject) error {
		ferr = fn(Reject{Line: r.Line, Column: r.Column, Value: r.Value, Reason: r.Reason})
		return ferr
	})
	if err != nil && ferr == nil {
		return fmt.Errorf("read rejects: %w", err)
	}
	return err
}

// Get returns the summary of an import.
func Get(ctx context.Context, s *store.Store, importID int64) (*Summary, error) {
	j, err := Status(ctx, s, importID)
	if err != nil {
		return nil, err
	}
	return &j.Summary, nil
}
