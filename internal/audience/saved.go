package audience

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrExists is returned when saving an audience under a name already taken.
var ErrExists = errors.New("an audience of that name already exists")

// ErrCurrentVersion is returned when deleting the version an audience
// currently uses.
var ErrCurrentVersion = errors.New("the current version of an audience cannot be deleted")

// ErrConcurrentChange is returned when another call changed the audience
// while this one was computing its new version.
var ErrConcurrentChange = errors.New("the audience was changed meanwhile; try again")

// MaxNameLength is the longest audience name.
const MaxNameLength = 100

// Kinds of audience versions.
const (
	// KindSnapshot versions hold the rows their query matched.
	KindSnapshot = "snapshot"
	// KindAppend versions hold the previous version's members and the rows
	// an added query matched.
	KindAppend = "append"
)

// Audience is a saved audience as of its current version.
type Audience struct {
	Name        string `json:"name"`
	Dimension   string `json:"dimension"`
	Description string `json:"description"`
	// Version is the current version; Count its number of members.
	Version int64 `json:"version"`
	Count   int64 `json:"count"`
	// Query is the current version's query tree (JSON of a Node), with the
	// parameters and time zone it runs with.
	Query        json.RawMessage `json:"query"`
	Params       map[string]any  `json:"params,omitempty"`
	TimeZone     string          `json:"timezone,omitempty"`
	ModelVersion int64           `json:"model_version"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	// Publish is where the audience is published on every refresh
	// (docs/outbound.md), shown with one audience; nil for nowhere.
	Publish *Publication `json:"publish,omitempty"`
}

// Publication is where a saved audience is published on every refresh:
// an outbound destination, a format (csv or ndjson) and the attributes
// its rows carry besides the key (the export's defaults when none).
type Publication struct {
	Destination string   `json:"destination"`
	Format      string   `json:"format"`
	Attributes  []string `json:"attributes,omitempty"`
}

// Version is one computed membership of a saved audience.
type Version struct {
	Version int64 `json:"version"`
	// Kind is KindSnapshot or KindAppend.
	Kind  string `json:"kind"`
	Count int64  `json:"count"`
	// Query describes all the version's members: for an append, the
	// previous query or'ed with the added one.
	Query        json.RawMessage `json:"query"`
	Params       map[string]any  `json:"params,omitempty"`
	TimeZone     string          `json:"timezone,omitempty"`
	ModelVersion int64           `json:"model_version"`
	// Table holds the members' keys.
	Table     string    `json:"table"`
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
	// CreatedBy is who made it (token:ci, cli:alice, run:42); empty when
	// unknown (versions made before Fanfare recorded it).
	CreatedBy string `json:"created_by,omitempty"`
}

// MemberTables returns an AudienceTables that looks up current member
// tables under ctx, for compiling queries outside the Service.
func (s *Service) MemberTables(ctx context.Context) AudienceTables {
	return func(name string) (string, error) { return s.MemberTable(ctx, name) }
}

// MemberTable returns the table of the named audience's current members,
// whose columns are the dimension's key attributes.
func (s *Service) MemberTable(ctx context.Context, name string) (string, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	table, err := s.Store.Audiences().MemberTable(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return "", ctxErr(ctx, "look up saved audience "+name, err)
	}
	return table, nil
}

// CheckName reports whether name can name an audience: 1 to 100 letters,
// digits, '_', '-' and '.', starting with a letter, a digit or '_'.
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Errorf("%w: an audience name has 1 to %d characters", ErrInvalidRequest, MaxNameLength)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' ||
			i > 0 && (r == '-' || r == '.')
		if !ok {
			return fmt.Errorf("%w: audience name %q: use letters, digits, '_', '-' and '.', starting with a letter, a digit or '_'", ErrInvalidRequest, name)
		}
	}
	return nil
}

// Save computes the members of q and saves them as version 1 of a new
// audience; ErrExists if the name is taken.
func (s *Service) Save(ctx context.Context, name, description string, q *Query) (*Audience, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	p, err := s.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return nil, err
	}
	sq, err := encodeStored(p.q)
	if err != nil {
		return nil, err
	}
	query, args := c.SQL(keyList(c), "")
	m := store.Members{Keys: p.dim.KeyAttributes(), Query: query, Args: args}
	if err := s.create(ctx, name, description, p, sq, m); err != nil {
		return nil, fmt.Errorf("save audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
}

// create records a new audience of p's dimension with version 1, whose
// members m selects; ErrExists if the name is taken.
func (s *Service) create(ctx context.Context, name, description string, p *prepared, sq storedQuery, m store.Members) error {
	now := time.Now().UTC()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		a := s.Store.Audiences().On(tx)
		id, err := a.Create(ctx, store.AudienceRecord{Name: name, Dimension: p.dim.Name, Description: description, CreatedAt: now})
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("%w: %q", ErrExists, name)
		}
		if err != nil {
			return ctxErr(ctx, "save audience "+name, err)
		}
		if _, err := a.AddVersion(ctx, newVersion(ctx, id, KindSnapshot, sq, p.modelVersion, now), m); err != nil {
			return ctxErr(ctx, "save audience "+name, err)
		}
		return nil
	})
}

// newVersion is the record of a version to add, made by the actor ctx
// carries.
func newVersion(ctx context.Context, id int64, kind string, sq storedQuery, modelVersion int64, now time.Time) store.AudienceVersion {
	v := store.AudienceVersion{AudienceID: id, Kind: kind, Query: sq.node, Params: sq.params, TimeZone: sq.timeZone,
		ModelVersion: modelVersion, CreatedAt: now}
	if a, ok := audit.From(ctx); ok && !a.IsZero() {
		v.CreatedBy = a.String()
	}
	return v
}

// Refresh runs the current version's query again, against the current data
// and model, into a new current version; earlier versions are kept.
func (s *Service) Refresh(ctx context.Context, name string) (*Audience, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	cur, err := s.currentVersion(ctx, name)
	if err != nil {
		return nil, err
	}
	q, err := versionQuery(cur)
	if err != nil {
		return nil, err
	}
	p, err := s.prepare(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("refresh audience %s: %w", name, err)
	}
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return nil, err
	}
	query, args := c.SQL(keyList(c), "")
	m := store.Members{Keys: p.dim.KeyAttributes(), Query: query, Args: args}
	if err := s.addVersion(ctx, cur, p, KindSnapshot, storedOf(cur), m); err != nil {
		return nil, fmt.Errorf("refresh audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
}

// Append adds the rows matching q to the audience's current members, as a
// new current version of kind KindAppend. q's dimension defaults to the
// audience's; its parameters and time zone must agree with the audience's
// query, as the new version's query is both or'ed.
func (s *Service) Append(ctx context.Context, name string, q *Query) (*Audience, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: no query", ErrInvalidRequest)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	cur, err := s.currentVersion(ctx, name)
	if err != nil {
		return nil, err
	}
	qc := *q
	if qc.Dimension == "" {
		qc.Dimension = cur.Dimension
	}
	if qc.Dimension != cur.Dimension {
		return nil, fmt.Errorf("%w: audience %s holds %s rows, the query selects %s", ErrInvalidRequest, name, cur.Dimension, qc.Dimension)
	}
	prev, err := versionQuery(cur)
	if err != nil {
		return nil, err
	}
	merged, err := orQueries(prev, &qc)
	if err != nil {
		return nil, fmt.Errorf("append to audience %s: %w", name, err)
	}
	p, err := s.prepare(ctx, &qc)
	if err != nil {
		return nil, err
	}
	c, err := p.compile(s.Store.Dialect, nil)
	if err != nil {
		return nil, err
	}
	sq, err := encodeStored(merged)
	if err != nil {
		return nil, err
	}
	added, args := c.SQL(keyList(c), "")
	m := store.Members{Keys: p.dim.KeyAttributes(), Query: added, Args: args, Union: cur.Table}
	if err := s.addVersion(ctx, cur, p, KindAppend, sq, m); err != nil {
		return nil, fmt.Errorf("append to audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
}

// addVersion fills a new version's table with the keys m selects and
// makes it current, unless another call did so first.
func (s *Service) addVersion(ctx context.Context, cur store.AudienceVersion, p *prepared, kind string, sq storedQuery, m store.Members) error {
	now := time.Now().UTC()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		a := s.Store.Audiences().On(tx)
		v, err := a.AddVersion(ctx, newVersion(ctx, cur.AudienceID, kind, sq, p.modelVersion, now), m)
		if err != nil {
			return ctxErr(ctx, "add audience version", err)
		}
		err = a.MakeCurrent(ctx, cur.AudienceID, cur.Version, v.Version, now)
		if errors.Is(err, store.ErrNotFound) {
			return ErrConcurrentChange
		}
		if err != nil {
			return ctxErr(ctx, "update audience", err)
		}
		return nil
	})
}

// keyList selects the dimension's key columns of a compiled query.
func keyList(c *Compiled) string {
	keys := c.Keys()
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
	}
	return b.String()
}

// List returns every saved audience by name.
func (s *Service) List(ctx context.Context) ([]Audience, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	recs, err := s.Store.Audiences().List(ctx)
	if err != nil {
		return nil, ctxErr(ctx, "list saved audiences", err)
	}
	out := make([]Audience, len(recs))
	for i, r := range recs {
		if err := audienceOf(r, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Get returns the named audience, or an error wrapping store.ErrNotFound.
func (s *Service) Get(ctx context.Context, name string) (*Audience, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	r, err := s.Store.Audiences().Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, ctxErr(ctx, "list saved audiences", err)
	}
	var a Audience
	if err := audienceOf(r, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// audienceOf fills a from the store's record.
func audienceOf(r store.AudienceRecord, a *Audience) (err error) {
	v := r.Current
	*a = Audience{Name: r.Name, Dimension: r.Dimension, Description: r.Description, Version: v.Version, Count: v.Count,
		Query: json.RawMessage(v.Query), TimeZone: v.TimeZone, ModelVersion: v.ModelVersion, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	a.Params, err = storedOf(v).decodeParams()
	return err
}

// Versions returns the named audience's versions, oldest first.
func (s *Service) Versions(ctx context.Context, name string) ([]Version, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	recs, err := s.Store.Audiences().Versions(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, ctxErr(ctx, "list versions of audience "+name, err)
	}
	out := make([]Version, len(recs))
	for i, r := range recs {
		out[i] = Version{Version: r.Version, Kind: r.Kind, Count: r.Count, Query: json.RawMessage(r.Query), TimeZone: r.TimeZone,
			ModelVersion: r.ModelVersion, Table: r.Table, Current: r.Current, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
		if out[i].Params, err = storedOf(r).decodeParams(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delete removes the named audience: its catalogue rows and every
// version's member table. Queries that name it stop validating.
func (s *Service) Delete(ctx context.Context, name string) error {
	return s.remove(ctx, name, -1)
}

// DeleteVersion removes one version of the named audience and its member
// table; the current version cannot be deleted (ErrCurrentVersion).
func (s *Service) DeleteVersion(ctx context.Context, name string, version int64) error {
	return s.remove(ctx, name, version)
}

// remove deletes the named audience, or one version of it.
func (s *Service) remove(ctx context.Context, name string, version int64) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	what := "delete audience " + name
	if version >= 0 {
		what = "delete audience version"
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		a := s.Store.Audiences().On(tx)
		r, err := a.Get(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
		}
		if err != nil {
			return ctxErr(ctx, what, err)
		}
		if version < 0 {
			err = a.Delete(ctx, r.ID)
		} else if version == r.Current.Version {
			return fmt.Errorf("audience %s version %d: %w", name, version, ErrCurrentVersion)
		} else if err = a.DeleteVersion(ctx, r.ID, version); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("audience %s version %d: %w", name, version, store.ErrNotFound)
		}
		if err != nil {
			return ctxErr(ctx, what, err)
		}
		return nil
	})
}

// currentVersion reads the named audience's current version.
func (s *Service) currentVersion(ctx context.Context, name string) (store.AudienceVersion, error) {
	return s.versionOf(ctx, name, 0)
}

// versionOf reads one version of the named audience, the current one when
// version is 0.
func (s *Service) versionOf(ctx context.Context, name string, version int64) (store.AudienceVersion, error) {
	v, err := s.Store.Audiences().Version(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		if version > 0 {
			return v, fmt.Errorf("audience %s version %d: %w", name, version, store.ErrNotFound)
		}
		return v, fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return v, ctxErr(ctx, "read saved audience "+name, err)
	}
	return v, nil
}

// versionQuery rebuilds a version's query.
func versionQuery(v store.AudienceVersion) (*Query, error) {
	q := &Query{Dimension: v.Dimension, TimeZone: v.TimeZone}
	var err error
	if q.Where, err = decodeNode(v.Query); err != nil {
		return nil, fmt.Errorf("read stored query of audience version %d: %w", v.Version, err)
	}
	if q.Params, err = storedOf(v).decodeParams(); err != nil {
		return nil, err
	}
	return q, nil
}

// storedQuery is a query as the catalogue keeps it: the tree and the
// parameters as JSON text, and the time zone. Now is not kept: a refresh
// measures relative conditions from the time it runs.
type storedQuery struct {
	node     string
	params   string
	timeZone string
}

// storedOf is the query a version keeps.
func storedOf(v store.AudienceVersion) storedQuery {
	return storedQuery{node: v.Query, params: v.Params, timeZone: v.TimeZone}
}

func encodeStored(q *Query) (storedQuery, error) {
	node, err := encodeNode(q.Where)
	if err != nil {
		return storedQuery{}, err
	}
	params := []byte("{}")
	if len(q.Params) > 0 {
		if params, err = json.Marshal(q.Params); err != nil {
			return storedQuery{}, fmt.Errorf("encode query parameters: %w", err)
		}
	}
	return storedQuery{node: string(node), params: string(params), timeZone: q.TimeZone}, nil
}

func (sq storedQuery) decodeParams() (map[string]any, error) {
	var p map[string]any
	if err := decodeJSON(sq.params, &p); err != nil {
		return nil, fmt.Errorf("read stored query parameters: %w", err)
	}
	if len(p) == 0 {
		return nil, nil
	}
	return p, nil
}

// encodeNode writes a tree as JSON. An empty "and" (everything) would
// lose its list to omitempty and read back as an empty object, so empty
// nodes are written {"and":[]}.
func encodeNode(n *Node) ([]byte, error) {
	if n == nil {
		return []byte(`{"and":[]}`), nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode query: %w", err)
	}
	var tree any
	if err := decodeJSON(string(b), &tree); err != nil {
		return nil, fmt.Errorf("encode query: %w", err)
	}
	if b, err = json.Marshal(fillEmptyNodes(tree)); err != nil {
		return nil, fmt.Errorf("encode query: %w", err)
	}
	return b, nil
}

// fillEmptyNodes replaces empty objects in node positions of a decoded tree
// (the root, and/or items, not, where) by {"and": []}.
func fillEmptyNodes(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if len(m) == 0 {
		return map[string]any{"and": []any{}}
	}
	for _, k := range []string{"and", "or"} {
		if list, ok := m[k].([]any); ok {
			for i := range list {
				list[i] = fillEmptyNodes(list[i])
			}
		}
	}
	for _, k := range []string{"not", "where"} {
		if x, ok := m[k]; ok {
			m[k] = fillEmptyNodes(x)
		}
	}
	return m
}

// decodeNode reads a stored tree as the API reads one, so parameters come
// back as Param.
func decodeNode(text string) (*Node, error) {
	return ParseJSON([]byte(text))
}

// decodeJSON keeps numbers as json.Number, so that stored integers and
// decimals come back exactly.
func decodeJSON(text string, v any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(text)))
	d.UseNumber()
	return d.Decode(v)
}

// orQueries returns a query matching the rows of either a or b, which
// must agree on parameters they share and on the time zone.
func orQueries(a, b *Query) (*Query, error) {
	tzA, tzB := a.TimeZone, b.TimeZone
	if tzA == "" {
		tzA = "UTC"
	}
	if tzB == "" {
		tzB = "UTC"
	}
	if tzA != tzB {
		return nil, fmt.Errorf("%w: the added query's time zone %s differs from the audience's (%s)", ErrInvalidRequest, tzB, tzA)
	}
	params := map[string]any{}
	for k, v := range a.Params {
		params[k] = v
	}
	for k, v := range b.Params {
		if old, ok := params[k]; ok && !sameJSON(old, v) {
			return nil, fmt.Errorf("%w: parameter %q has another value in the audience's query; rename it", ErrInvalidRequest, k)
		}
		params[k] = v
	}
	if len(params) == 0 {
		params = nil
	}
	where := &Node{}
	switch {
	case a.Where != nil && len(a.Where.Or) > 0:
		where.Or = append(append(where.Or, a.Where.Or...), orNode(b.Where))
	default:
		where.Or = []*Node{orNode(a.Where), orNode(b.Where)}
	}
	return &Query{Dimension: a.Dimension, Where: where, Params: params, TimeZone: a.TimeZone}, nil
}

// orNode stands for a query's tree in an or: a nil tree matches everything.
func orNode(n *Node) *Node {
	if n == nil {
		return &Node{And: []*Node{}}
	}
	return n
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// Info looks saved audiences up for validation: each one's dimension.
func (s *Service) Info(ctx context.Context) AudienceInfo {
	return func(name string) (string, bool) {
		a, err := s.Get(ctx, name)
		if err != nil {
			return "", false
		}
		return a.Dimension, true
	}
}
