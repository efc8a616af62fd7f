package audience

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
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
	var table string
	err := s.Store.DB.QueryRowContext(ctx, `SELECT v.table_name FROM ff_audiences a
		JOIN ff_audience_versions v ON v.audience_id = a.id AND v.version = a.current_version
		WHERE a.name = $1`, name).Scan(&table)
	if errors.Is(err, sql.ErrNoRows) {
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
	now := time.Now().UTC()
	err = s.Store.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ff_audiences WHERE name = $1`, name).Scan(&n); err != nil {
			return ctxErr(ctx, "look up saved audience "+name, err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %q", ErrExists, name)
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO ff_audiences (name, dimension, description, current_version, created_at, updated_at)
			VALUES ($1, $2, $3, 1, $4, $4) RETURNING id`, name, p.dim.Name, description, now).Scan(&id)
		if err != nil {
			return ctxErr(ctx, "save audience "+name, err)
		}
		table := memberTable(id, 1)
		query, args := c.SQL(keyList(c), "")
		count, err := s.fillMembers(ctx, tx, p.dim, table, query, args)
		if err != nil {
			return err
		}
		return insertVersion(ctx, tx, id, 1, KindSnapshot, sq, count, p.modelVersion, table, now)
	})
	if err != nil {
		return nil, fmt.Errorf("save audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
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
	q, err := cur.query()
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
	if err := s.addVersion(ctx, cur, p, KindSnapshot, cur.stored, query, args); err != nil {
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
		qc.Dimension = cur.dimension
	}
	if qc.Dimension != cur.dimension {
		return nil, fmt.Errorf("%w: audience %s holds %s rows, the query selects %s", ErrInvalidRequest, name, cur.dimension, qc.Dimension)
	}
	prev, err := cur.query()
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
	keys := store.QuoteList(p.dim.Key)
	added, args := c.SQL(keyList(c), "")
	query := "SELECT " + keys + " FROM " + store.Quote(cur.table) + " UNION " + added
	if err := s.addVersion(ctx, cur, p, KindAppend, sq, query, args); err != nil {
		return nil, fmt.Errorf("append to audience %s: %w", name, err)
	}
	return s.Get(ctx, name)
}

// addVersion fills a new version's table with the keys query selects and
// makes it current, unless another call did so first.
func (s *Service) addVersion(ctx context.Context, cur *versionRow, p *prepared, kind string, sq storedQuery, query string, args []any) error {
	now := time.Now().UTC()
	return s.Store.InTx(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM ff_audience_versions WHERE audience_id = $1`, cur.id).Scan(&last); err != nil {
			return ctxErr(ctx, "read audience versions", err)
		}
		v := last + 1
		table := memberTable(cur.id, v)
		count, err := s.fillMembers(ctx, tx, p.dim, table, query, args)
		if err != nil {
			return err
		}
		if err := insertVersion(ctx, tx, cur.id, v, kind, sq, count, p.modelVersion, table, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE ff_audiences SET current_version = $1, updated_at = $2 WHERE id = $3 AND current_version = $4`,
			v, now, cur.id, cur.version)
		if err != nil {
			return ctxErr(ctx, "update audience", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrConcurrentChange
		}
		return nil
	})
}

// fillMembers creates a member table with the dimension's key columns and
// fills it from query, returning its row count.
func (s *Service) fillMembers(ctx context.Context, tx *sql.Tx, dim *datamodel.Entity, table, query string, args []any) (int64, error) {
	var b bytes.Buffer
	b.WriteString("CREATE TABLE " + store.Quote(table) + " (")
	for i, a := range dim.KeyAttributes() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(store.Quote(a.Name) + " " + s.Store.Dialect.ColumnType(a) + " NOT NULL")
	}
	if s.Store.Dialect.PrimaryKeys() {
		// Membership conditions and exports look members up by key.
		b.WriteString(", PRIMARY KEY (" + store.QuoteList(dim.Key) + ")")
	}
	b.WriteString(")")
	if _, err := tx.ExecContext(ctx, b.String()); err != nil {
		return 0, ctxErr(ctx, "create member table "+table, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+store.Quote(table)+" ("+store.QuoteList(dim.Key)+") "+query, args...); err != nil {
		return 0, ctxErr(ctx, "compute audience members", err)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+store.Quote(table)).Scan(&n); err != nil {
		return 0, ctxErr(ctx, "count audience members", err)
	}
	return n, nil
}

func insertVersion(ctx context.Context, tx *sql.Tx, id, v int64, kind string, sq storedQuery, count, modelVersion int64, table string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ff_audience_versions
		(audience_id, version, kind, query, params, timezone, count, model_version, table_name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, v, kind, sq.node, sq.params, sq.timeZone, count, modelVersion, table, now)
	if err != nil {
		return ctxErr(ctx, "record audience version", err)
	}
	return nil
}

// memberTable names the table of one version's members.
func memberTable(id, version int64) string { return fmt.Sprintf("ff_aud_%d_v%d", id, version) }

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
	return s.audiences(ctx, "", nil)
}

// Get returns the named audience, or an error wrapping store.ErrNotFound.
func (s *Service) Get(ctx context.Context, name string) (*Audience, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	list, err := s.audiences(ctx, "WHERE a.name = $1", []any{name})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	return &list[0], nil
}

func (s *Service) audiences(ctx context.Context, where string, args []any) ([]Audience, error) {
	rows, err := s.Store.DB.QueryContext(ctx, `SELECT a.name, a.dimension, a.description, a.current_version, v.count,
		v.query, v.params, v.timezone, v.model_version, a.created_at, a.updated_at
		FROM ff_audiences a JOIN ff_audience_versions v ON v.audience_id = a.id AND v.version = a.current_version
		`+where+` ORDER BY a.name`, args...)
	if err != nil {
		return nil, ctxErr(ctx, "list saved audiences", err)
	}
	defer rows.Close()
	out := []Audience{}
	for rows.Next() {
		var (
			a  Audience
			sq storedQuery
		)
		if err := rows.Scan(&a.Name, &a.Dimension, &a.Description, &a.Version, &a.Count,
			&sq.node, &sq.params, &sq.timeZone, &a.ModelVersion, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, ctxErr(ctx, "list saved audiences", err)
		}
		a.Query, a.TimeZone = json.RawMessage(sq.node), sq.timeZone
		if a.Params, err = sq.decodeParams(); err != nil {
			return nil, err
		}
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, ctxErr(ctx, "list saved audiences", err)
	}
	return out, nil
}

// Versions returns the named audience's versions, oldest first.
func (s *Service) Versions(ctx context.Context, name string) ([]Version, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.Store.DB.QueryContext(ctx, `SELECT v.version, v.kind, v.count, v.query, v.params, v.timezone,
		v.model_version, v.table_name, v.version = a.current_version, v.created_at
		FROM ff_audiences a JOIN ff_audience_versions v ON v.audience_id = a.id
		WHERE a.name = $1 ORDER BY v.version`, name)
	if err != nil {
		return nil, ctxErr(ctx, "list versions of audience "+name, err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var (
			v  Version
			sq storedQuery
		)
		if err := rows.Scan(&v.Version, &v.Kind, &v.Count, &sq.node, &sq.params, &sq.timeZone,
			&v.ModelVersion, &v.Table, &v.Current, &v.CreatedAt); err != nil {
			return nil, ctxErr(ctx, "list versions of audience "+name, err)
		}
		v.Query, v.TimeZone, v.CreatedAt = json.RawMessage(sq.node), sq.timeZone, v.CreatedAt.UTC()
		if v.Params, err = sq.decodeParams(); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, ctxErr(ctx, "list versions of audience "+name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	return out, nil
}

// Delete removes the named audience: its catalogue rows and every
// version's member table. Queries that name it stop validating.
func (s *Service) Delete(ctx context.Context, name string) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.Store.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM ff_audiences WHERE name = $1`, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
		}
		if err != nil {
			return ctxErr(ctx, "delete audience "+name, err)
		}
		tables, err := versionTables(ctx, tx, id, -1)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+store.Quote(t)); err != nil {
				return ctxErr(ctx, "drop member table "+t, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ff_audience_versions WHERE audience_id = $1`, id); err != nil {
			return ctxErr(ctx, "delete audience "+name, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ff_audiences WHERE id = $1`, id); err != nil {
			return ctxErr(ctx, "delete audience "+name, err)
		}
		return nil
	})
}

// DeleteVersion removes one version of the named audience and its member
// table; the current version cannot be deleted (ErrCurrentVersion).
func (s *Service) DeleteVersion(ctx context.Context, name string, version int64) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.Store.InTx(ctx, func(tx *sql.Tx) error {
		var id, current int64
		err := tx.QueryRowContext(ctx, `SELECT id, current_version FROM ff_audiences WHERE name = $1`, name).Scan(&id, &current)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
		}
		if err != nil {
			return ctxErr(ctx, "delete audience version", err)
		}
		if version == current {
			return fmt.Errorf("audience %s version %d: %w", name, version, ErrCurrentVersion)
		}
		tables, err := versionTables(ctx, tx, id, version)
		if err != nil {
			return err
		}
		if len(tables) == 0 {
			return fmt.Errorf("audience %s version %d: %w", name, version, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+store.Quote(tables[0])); err != nil {
			return ctxErr(ctx, "drop member table "+tables[0], err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ff_audience_versions WHERE audience_id = $1 AND version = $2`, id, version); err != nil {
			return ctxErr(ctx, "delete audience version", err)
		}
		return nil
	})
}

// versionTables returns the member tables of an audience's versions: one
// version's, or all of them when version is negative.
func versionTables(ctx context.Context, tx *sql.Tx, id, version int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_name FROM ff_audience_versions
		WHERE audience_id = $1 AND (CAST($2 AS BIGINT) < 0 OR version = CAST($2 AS BIGINT)) ORDER BY version`, id, version)
	if err != nil {
		return nil, ctxErr(ctx, "read audience versions", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, ctxErr(ctx, "read audience versions", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, ctxErr(ctx, "read audience versions", err)
	}
	return out, nil
}

// versionRow is one version of an audience as stored.
type versionRow struct {
	id        int64
	dimension string
	version   int64
	table     string
	stored    storedQuery
}

// currentVersion reads the named audience's current version.
func (s *Service) currentVersion(ctx context.Context, name string) (*versionRow, error) {
	return s.versionOf(ctx, name, 0)
}

// versionOf reads one version of the named audience, the current one when
// version is 0.

func (s *Service) versionOf(ctx context.Context, name string, version int64) (*versionRow, error) {
	var r versionRow
	err := s.Store.DB.QueryRowContext(ctx, `SELECT a.id, a.dimension, v.version, v.table_name, v.query, v.params, v.timezone
		FROM ff_audiences a JOIN ff_audience_versions v ON v.audience_id = a.id
		WHERE a.name = $1 AND v.version = CASE WHEN CAST($2 AS BIGINT) > 0 THEN CAST($2 AS BIGINT) ELSE a.current_version END`, name, version).
		Scan(&r.id, &r.dimension, &r.version, &r.table, &r.stored.node, &r.stored.params, &r.stored.timeZone)
	if errors.Is(err, sql.ErrNoRows) {
		if version > 0 {
			return nil, fmt.Errorf("audience %s version %d: %w", name, version, store.ErrNotFound)
		}
		return nil, fmt.Errorf("saved audience %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, ctxErr(ctx, "read saved audience "+name, err)
	}
	return &r, nil
}

// query rebuilds the version's query.
func (r *versionRow) query() (*Query, error) {
	q := &Query{Dimension: r.dimension, TimeZone: r.stored.timeZone}
	var err error
	if q.Where, err = decodeNode(r.stored.node); err != nil {
		return nil, fmt.Errorf("read stored query of audience version %d: %w", r.version, err)
	}
	if q.Params, err = r.stored.decodeParams(); err != nil {
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
