package audience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// DefaultTimeout is the time limit of a query when Service.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Limits and defaults of breakdowns and samples.
const (
	DefaultTop    = 10
	MaxTop        = 1000
	DefaultSample = 20
	MaxSample     = 10000
)

// ErrInvalidRequest is wrapped by errors about a request's own arguments
// (limits, attribute paths, names, formats), as opposed to its query, whose
// problems come as a *ValidationError.
var ErrInvalidRequest = errors.New("invalid request")

// Service counts, previews, saves and exports audiences on a store.
type Service struct {
	Store *store.Store
	// Timeout limits each call (default DefaultTimeout); a call also stops
	// as soon as the caller's context ends.
	Timeout time.Duration
}

// Bucket is one value of a breakdown with the number of matching rows
// holding it; a nil Value counts the rows where the attribute is null.
type Bucket struct {
	Value any   `json:"value"`
	Count int64 `json:"count"`
}

// CountRequest asks for a count and, optionally, a breakdown and a sample.
type CountRequest struct {
	Query Query `json:"query"`
	// Breakdown is an attribute path to break the count down by (none when
	// empty); Top how many of its values to list (default DefaultTop).
	Breakdown string `json:"breakdown,omitempty"`
	Top       int    `json:"top,omitempty"`
	// Sample is how many matching rows to return (none when 0), with the
	// attribute paths in Attributes (default: every attribute).
	Sample     int      `json:"sample,omitempty"`
	Attributes []string `json:"attributes,omitempty"`
}

// BreakdownResult lists the most frequent values of an attribute.
type BreakdownResult struct {
	Attribute string   `json:"attribute"`
	Buckets   []Bucket `json:"buckets"`
	// Others counts the matching rows whose value is not in Buckets.
	Others int64 `json:"others"`
}

// SampleResult holds the first matching rows, ordered by key.
type SampleResult struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// CountResult answers a CountRequest.
type CountResult struct {
	Count     int64            `json:"count"`
	Breakdown *BreakdownResult `json:"breakdown,omitempty"`
	Sample    *SampleResult    `json:"sample,omitempty"`
	// Millis is the time the whole request took.
	Millis float64 `json:"millis"`
}

// prepared is a validated query with what compiling it needs.
type prepared struct {
	m            *datamodel.Model
	modelVersion int64
	dim          *datamodel.Entity
	q            *Query
	cat          catalogue
}

// catalogue maps the names of saved audiences to their current version.
type catalogue map[string]catalogueEntry

type catalogueEntry struct {
	dimension string
	table     string
}

func (c catalogue) info(name string) (string, bool) {
	e, ok := c[name]
	return e.dimension, ok
}

func (c catalogue) table(name string) (string, error) {
	e, ok := c[name]
	if !ok {
		return "", fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	return e.table, nil
}

// loadCatalogue reads every saved audience's dimension and current member
// table; there are few, and validation needs them without a context.
func (s *Service) loadCatalogue(ctx context.Context) (catalogue, error) {
	list, err := s.Store.Audiences().Catalogue(ctx)
	if err != nil {
		return nil, ctxErr(ctx, "read saved audiences", err)
	}
	cat := make(catalogue, len(list))
	for name, v := range list {
		cat[name] = catalogueEntry{dimension: v.Dimension, table: v.Table}
	}
	return cat, nil
}

// withTimeout bounds ctx by the service's time limit.
func (s *Service) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

// Prepare loads the current data model, validates q against it and the
// saved audiences, and compiles it.
func (s *Service) Prepare(ctx context.Context, q *Query) (*datamodel.Model, *Compiled, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	p, err := s.prepare(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return nil, nil, err
	}
	return p.m, c, nil
}

// prepare loads the model and the saved-audience catalogue and validates a
// copy of q whose Now is fixed, so every statement of one call sees the same
// instant.
func (s *Service) prepare(ctx context.Context, q *Query) (*prepared, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: no query", ErrInvalidRequest)
	}
	m, mv, err := schema.Current(ctx, s.Store)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no data model has been applied yet: %w", err)
	}
	if err != nil {
		return nil, ctxErr(ctx, "load data model", err)
	}
	cat := catalogue{}
	if namesAudience(q.Where, 0) {
		if cat, err = s.loadCatalogue(ctx); err != nil {
			return nil, err
		}
	}
	qc := *q
	if qc.Now.IsZero() {
		qc.Now = time.Now().UTC()
	}
	if err := Validate(m, &qc, cat.info); err != nil {
		return nil, err
	}
	dim := m.Entity(qc.Dimension)
	if dim == nil {
		// Validate reports unknown dimensions; this guards the code below.
		return nil, fmt.Errorf("%w: unknown dimension %q", ErrInvalidRequest, qc.Dimension)
	}
	return &prepared{m: m, modelVersion: mv, dim: dim, q: &qc, cat: cat}, nil
}

// compile compiles the prepared query; aud, when set, overrides the
// catalogue's member tables.
func (p *prepared) compile(d store.Dialect, aud AudienceTables) (*Compiled, error) {
	if aud == nil {
		aud = p.cat.table
	}
	c, err := Compile(p.m, d, p.q, aud)
	if err != nil {
		return nil, fmt.Errorf("compile query: %w", err)
	}
	return c, nil
}

// Count returns the number of rows matching q.
func (s *Service) Count(ctx context.Context, q *Query) (int64, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	p, err := s.prepare(ctx, q)
	if err != nil {
		return 0, err
	}
	return s.count(ctx, p)
}

func (s *Service) count(ctx context.Context, p *prepared) (int64, error) {
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return 0, err
	}
	query, args := c.SQL("count(*)", "")
	var n int64
	if err := s.Store.Generated().Row(ctx, query, args, &n); err != nil {
		return 0, ctxErr(ctx, "count audience", err)
	}
	return n, nil
}

// Breakdown returns the top most frequent values of the attribute at
// attrPath (which may go through to-one links) among the rows matching q,
// most frequent first, nulls counted as one value, and how many matching
// rows hold the other values. top 0 means DefaultTop.
func (s *Service) Breakdown(ctx context.Context, q *Query, attrPath string, top int) ([]Bucket, int64, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	p, err := s.prepare(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	return s.breakdown(ctx, p, attrPath, top)
}

func (s *Service) breakdown(ctx context.Context, p *prepared, attrPath string, top int) ([]Bucket, int64, error) {
	if top == 0 {
		top = DefaultTop
	}
	if top < 1 || top > MaxTop {
		return nil, 0, fmt.Errorf("%w: top must be between 1 and %d, not %d", ErrInvalidRequest, MaxTop, top)
	}
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return nil, 0, err
	}
	cols, err := selectColumns(p, c, []string{attrPath})
	if err != nil {
		return nil, 0, err
	}
	col := cols[0]
	query, args := c.Breakdown(col.raw, col.convert, top)
	buckets := []Bucket{}
	var total, listed int64
	err = s.Store.Generated().Rows(ctx, query, args, func(scan func(...any) error) error {
		var (
			v any
			b Bucket
		)
		if err := scan(&v, &b.Count, &total); err != nil {
			return err
		}
		b.Value = jsonValue(col.attr, v)
		listed += b.Count
		buckets = append(buckets, b)
		return nil
	})
	if err != nil {
		return nil, 0, ctxErr(ctx, "break audience down by "+attrPath, err)
	}
	return buckets, total - listed, nil
}

// Sample returns the first limit rows matching q in key order, with the
// attributes at attrs (default: every attribute of the dimension). limit 0
// means DefaultSample.
func (s *Service) Sample(ctx context.Context, q *Query, attrs []string, limit int) ([]string, [][]any, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	p, err := s.prepare(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	res, err := s.sample(ctx, p, attrs, limit)
	if err != nil {
		return nil, nil, err
	}
	return res.Columns, res.Rows, nil
}

func (s *Service) sample(ctx context.Context, p *prepared, attrs []string, limit int) (*SampleResult, error) {
	if limit == 0 {
		limit = DefaultSample
	}
	if limit < 1 || limit > MaxSample {
		return nil, fmt.Errorf("%w: the sample size must be between 1 and %d, not %d", ErrInvalidRequest, MaxSample, limit)
	}
	if len(attrs) == 0 {
		for _, a := range p.dim.Attributes {
			attrs = append(attrs, a.Name)
		}
	}
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return nil, err
	}
	cols, err := selectColumns(p, c, attrs)
	if err != nil {
		return nil, err
	}
	query, args := c.SQL(selectList(cols), "ORDER BY "+strings.Join(c.Keys(), ", ")+" LIMIT "+strconv.Itoa(limit))
	res := &SampleResult{Columns: attrs, Rows: [][]any{}}
	err = s.Store.Generated().Rows(ctx, query, args, func(scan func(...any) error) error {
		row, err := scanRow(scan, cols)
		if err != nil {
			return err
		}
		res.Rows = append(res.Rows, row)
		return nil
	})
	if err != nil {
		return nil, ctxErr(ctx, "sample audience", err)
	}
	return res, nil
}

// Run answers a CountRequest: the count, then the breakdown and the sample
// when asked, all under one time limit and at one instant.
func (s *Service) Run(ctx context.Context, req CountRequest) (*CountResult, error) {
	start := time.Now()
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	p, err := s.prepare(ctx, &req.Query)
	if err != nil {
		return nil, err
	}
	res := &CountResult{}
	if res.Count, err = s.count(ctx, p); err != nil {
		return nil, err
	}
	if req.Breakdown != "" {
		b := &BreakdownResult{Attribute: req.Breakdown}
		if b.Buckets, b.Others, err = s.breakdown(ctx, p, req.Breakdown, req.Top); err != nil {
			return nil, err
		}
		res.Breakdown = b
	}
	if req.Sample != 0 {
		if res.Sample, err = s.sample(ctx, p, req.Attributes, req.Sample); err != nil {
			return nil, err
		}
	}
	res.Millis = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// column is an attribute path selected from a compiled query.
type column struct {
	path string
	attr *datamodel.Attribute
	raw  string // SQL expression of the stored value
}

// convert wraps expr so that the value scans the same on every dialect:
// decimals and JSON come back as text.
func (c column) convert(expr string) string {
	switch c.attr.Type {
	case datamodel.TypeDecimal, datamodel.TypeJSON:
		return "CAST(" + expr + " AS TEXT)"
	}
	return expr
}

// selectColumns resolves attribute paths from the query's dimension and
// adds the joins they need to c.
func selectColumns(p *prepared, c *Compiled, paths []string) ([]column, error) {
	cols := make([]column, 0, len(paths))
	for _, path := range paths {
		_, a, err := ResolveAttr(p.m, p.dim, path)
		if err != nil {
			return nil, fmt.Errorf("%w: attribute %q: %v", ErrInvalidRequest, path, err)
		}
		expr, err := c.Column(path)
		if err != nil {
			return nil, fmt.Errorf("%w: attribute %q: %v", ErrInvalidRequest, path, err)
		}
		cols = append(cols, column{path: path, attr: a, raw: expr})
	}
	return cols, nil
}

func selectList(cols []column) string {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = c.convert(c.raw)
	}
	return strings.Join(exprs, ", ")
}

// scanRow scans one row of cols into JSON-friendly values.
func scanRow(scan func(...any) error, cols []column) ([]any, error) {
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := scan(ptrs...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		vals[i] = jsonValue(c.attr, vals[i])
	}
	return vals, nil
}

// jsonValue turns a scanned value of attribute a into one that marshals to
// JSON the same way on every dialect: int64, bool, string (strings, enums,
// decimals, dates as YYYY-MM-DD), time.Time in UTC (timestamps),
// json.RawMessage (JSON), or nil.
func jsonValue(a *datamodel.Attribute, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		v = string(x)
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	case int16:
		v = int64(x)
	case int8:
		v = int64(x)
	case time.Time:
		if a.Type == datamodel.TypeDate {
			return x.UTC().Format(time.DateOnly)
		}
		return x.UTC()
	}
	if s, ok := v.(string); ok && a.Type == datamodel.TypeJSON && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return v
}

// ctxErr wraps a database error, reporting the context's error instead
// when the call was cancelled or ran out of time: drivers report that in
// their own words.
func ctxErr(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return fmt.Errorf("%s: the query ran out of time: %w", what, cerr)
		}
		return fmt.Errorf("%s: %w", what, cerr)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// namesAudience reports whether a tree mentions a saved audience, so a
// query that does not skips reading the catalogue.
func namesAudience(n *Node, depth int) bool {
	if n == nil || depth > MaxDepth {
		return n != nil
	}
	if n.Audience != "" {
		return true
	}
	for _, c := range n.And {
		if namesAudience(c, depth+1) {
			return true
		}
	}
	for _, c := range n.Or {
		if namesAudience(c, depth+1) {
			return true
		}
	}
	return namesAudience(n.Not, depth+1) || namesAudience(n.Where, depth+1)
}
