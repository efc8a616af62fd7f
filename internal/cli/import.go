package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
)

// ImportCmd imports files into entities.
type ImportCmd struct {
	Args      []string `arg:"" name:"ENTITY FILE | DIR" help:"An entity and a file, or a directory holding one file per entity (<entity>.csv, .ndjson, .jsonl, optionally .gz)."`
	Format    string   `enum:",csv,ndjson" default:"" help:"File format (default: from the file name)."`
	Delimiter string   `help:"CSV field delimiter (default ','; 'tab' for tabs)."`
	Timezone  string   `help:"Time zone of timestamps without an offset (default UTC)."`
	MaxErrors int      `name:"max-errors" default:"-1" help:"Abort, leaving the table unchanged, when more rows than this are rejected (-1: no limit)."`
	Orphans   string   `enum:"reject,keep" default:"reject" help:"Rows whose link points at a missing key: reject or keep (reported either way)."`
	Rejects   string   `help:"Write every rejected row to this CSV file." type:"path"`
	JSON      bool     `help:"Print the summary as JSON."`
}

// Run imports the file(s).
func (c *ImportCmd) Run(ctx context.Context, g *Globals) error {
	opts, err := c.options()
	if err != nil {
		return err
	}
	jobs, err := c.jobs()
	if err != nil {
		return err
	}
	b, err := g.creatingBackend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	if len(jobs) > 1 || jobs[0].entity == "" {
		if jobs, err = orderJobs(ctx, b, c.Args[0]); err != nil {
			return err
		}
	}
	var sums []*ingest.Summary
	var failed error
	for _, j := range jobs {
		sum, err := importFile(ctx, g, b, j.entity, j.path, opts)
		if sum != nil {
			sums = append(sums, sum)
			if !c.JSON {
				printSummary(g, sum)
			}
		}
		if err != nil {
			failed = fmt.Errorf("%s: %w", j.path, err)
			break
		}
	}
	if c.Rejects != "" {
		if err := writeRejects(ctx, b, sums, c.Rejects); err != nil {
			return err
		}
	}
	if c.JSON {
		if len(c.Args) == 2 && len(sums) == 1 {
			_ = printJSON(g.stdout, sums[0])
		} else {
			_ = printJSON(g.stdout, sums)
		}
	}
	return importOutcome(sums, failed)
}

// ExitPartial is the exit code of an import that loaded the good rows and
// rejected others (or, for a directory, loaded some files and not all):
// 0 says every row loaded, 1 that nothing did.
const ExitPartial = 3

// importOutcome turns the summaries into the command's exit: nil when
// every row loaded, the failure (exit 1) when nothing did, and
// ExitPartial in between.
func importOutcome(sums []*ingest.Summary, failed error) error {
	var loaded, rejected int64
	for _, s := range sums {
		if s.Status == ingest.StatusCompleted || s.Status == ingest.StatusCompletedWithRejects {
			loaded += s.Read - s.Rejected
			rejected += s.Rejected
		}
	}
	switch {
	case failed == nil && rejected == 0:
		return nil
	case loaded == 0 && failed != nil:
		return failed
	case failed != nil:
		return &exitError{code: ExitPartial, msg: fmt.Sprintf("fanfare: %v\nfanfare: %d row(s) loaded before that are kept", failed, loaded)}
	}
	return &exitError{code: ExitPartial, msg: fmt.Sprintf("fanfare: %d row(s) rejected; the %d other(s) loaded", rejected, loaded)}
}

func (c *ImportCmd) options() (ingest.Options, error) {
	opts := ingest.Options{Format: ingest.Format(c.Format), MaxErrors: c.MaxErrors, Orphans: c.Orphans}
	if c.Delimiter != "" {
		d := c.Delimiter
		if d == "tab" || d == `\t` {
			d = "\t"
		}
		if utf8.RuneCountInString(d) != 1 {
			return opts, errors.New("--delimiter must be one character")
		}
		opts.Delimiter, _ = utf8.DecodeRuneInString(d)
	}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return opts, fmt.Errorf("--timezone: unknown time zone %q", c.Timezone)
		}
		opts.TimeZone = loc
	}
	return opts, nil
}

type importJob struct{ entity, path string }

func (c *ImportCmd) jobs() ([]importJob, error) {
	switch len(c.Args) {
	case 1:
		st, err := os.Stat(c.Args[0])
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s is a file: name the entity too (fanfare import ENTITY FILE)", c.Args[0])
		}
		return []importJob{{path: c.Args[0]}}, nil
	case 2:
		if _, err := os.Stat(c.Args[1]); err != nil {
			return nil, err
		}
		return []importJob{{entity: c.Args[0], path: c.Args[1]}}, nil
	}
	return nil, errors.New("want ENTITY FILE, or DIR")
}

// orderJobs maps a directory's files to entities and orders them so linked
// entities load first.
func orderJobs(ctx context.Context, b Backend, dir string) ([]importJob, error) {
	mr, err := b.Model(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("read the data model: %w", err)
	}
	m, err := datamodel.Parse([]byte(mr.Document))
	if err != nil {
		return nil, err
	}
	return dirJobs(m, dir)
}

func dirJobs(m *datamodel.Model, dir string) ([]importJob, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byEntity := map[string]string{}
	var unknown []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".gz")
		ext := filepath.Ext(base)
		switch ext {
		case ".csv", ".tsv", ".ndjson", ".jsonl", ".json":
		default:
			continue
		}
		name := strings.TrimSuffix(base, ext)
		if m.Entity(name) == nil {
			unknown = append(unknown, e.Name())
			continue
		}
		if prev, dup := byEntity[name]; dup {
			return nil, fmt.Errorf("%s: two files for entity %s: %s and %s", dir, name, prev, e.Name())
		}
		byEntity[name] = e.Name()
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s: no entity for %s (files must be named <entity>.csv|.ndjson|.jsonl[.gz])", dir, strings.Join(unknown, ", "))
	}
	var jobs []importJob
	for _, e := range m.LoadOrder() {
		if f, ok := byEntity[e.Name]; ok {
			jobs = append(jobs, importJob{entity: e.Name, path: filepath.Join(dir, f)})
		}
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("%s: no files to import", dir)
	}
	return jobs, nil
}

// importFile streams one file through the backend, with a progress bar on
// terminals.
func importFile(ctx context.Context, g *Globals, b Backend, entity, path string, opts ingest.Options) (*ingest.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if fd, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
		st, _ := f.Stat()
		bar := progressbar.NewOptions64(st.Size(),
			progressbar.OptionSetWriter(g.stderr),
			progressbar.OptionSetDescription(entity),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		pr := progressbar.NewReader(f, bar)
		r = &pr
	}
	return b.Import(ctx, entity, filepath.Base(path), r, opts)
}

func printSummary(g *Globals, s *ingest.Summary) {
	fmt.Fprintf(g.stdout, "%s ← %s: %s — read %d, inserted %d, updated %d, deleted %d, rejected %d",
		s.Entity, s.Source, s.Status, s.Read, s.Inserted, s.Updated, s.Deleted, s.Rejected)
	if s.OrphansKept > 0 {
		fmt.Fprintf(g.stdout, ", orphans kept %d", s.OrphansKept)
	}
	if s.Superseded > 0 {
		fmt.Fprintf(g.stdout, ", superseded %d", s.Superseded)
	}
	fmt.Fprintf(g.stdout, " (%.1fs, %.0f rows/s; import %d)\n", s.Seconds, s.RowsPerSecond, s.ImportID)
	for _, rj := range s.Rejects {
		col := rj.Column
		if col == "" {
			col = "-"
		}
		fmt.Fprintf(g.stdout, "  line %d, %s: %s (value %q)\n", rj.Line, col, rj.Reason, rj.Value)
	}
	if s.Rejected > int64(len(s.Rejects)) && len(s.Rejects) > 0 {
		fmt.Fprintf(g.stdout, "  … every rejected row: fanfare import --rejects FILE, or GET /api/imports/%d/rejects\n", s.ImportID)
	}
	if s.Error != "" {
		fmt.Fprintf(g.stdout, "  %s\n", s.Error)
	}
}

func writeRejects(ctx context.Context, b Backend, sums []*ingest.Summary, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"entity", "source", "line", "column", "value", "reason"})
	for _, s := range sums {
		err := b.Rejects(ctx, s.ImportID, func(rj ingest.Reject) error {
			return w.Write([]string{s.Entity, s.Source, strconv.FormatInt(rj.Line, 10), rj.Column, rj.Value, rj.Reason})
		})
		if err != nil {
			return fmt.Errorf("write rejects: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Close()
}
