package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Audiences is the catalogue of saved audiences: ff_audiences,
// ff_audience_versions, and each version's member table (ff_aud_<id>_v<n>,
// the dimension's key columns).
type Audiences struct{ area }

// Audiences returns the saved audiences' area.
func (s *Store) Audiences() Audiences { return Audiences{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (a Audiences) On(q Querier) Audiences { return Audiences{a.area.on(q)} }

// AudienceRecord is a saved audience with its current version's figures.
type AudienceRecord struct {
	ID          int64
	Name        string
	Dimension   string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Current is the current version.
	Current AudienceVersion
}

// AudienceVersion is one version of a saved audience. The query, its
// parameters (JSON text) and time zone describe all its members.
type AudienceVersion struct {
	AudienceID int64
	// Dimension is the audience's.
	Dimension    string
	Version      int64
	Kind         string
	Count        int64
	Query        string
	Params       string
	TimeZone     string
	ModelVersion int64
	// Table holds the members' keys.
	Table     string
	Current   bool
	CreatedAt time.Time
	// CreatedBy is who made the version, an audit actor (kind:name); ""
	// when unknown.
	CreatedBy string
}

// Members says what fills a new version's member table: the rows of Query
// (compiled SQL selecting the key columns, with Args), or the distinct
// keys of Table; with those of the member table Union when it is set.
type Members struct {
	// Keys are the dimension's key attributes, in key order.
	Keys  []*datamodel.Attribute
	Query string
	Args  []any
	Table string
	Union string
}

// audienceVersions joins every audience to its versions.
const audienceVersions = `SELECT a.id, a.name, a.dimension, a.description, a.created_at, a.updated_at,
	v.version, v.kind, v.count, v.query, v.params, v.timezone, v.model_version, v.table_name, v.version = a.current_version, v.created_at, coalesce(v.created_by, '')
	FROM ff_audiences a JOIN ff_audience_versions v ON v.audience_id = a.id `

// scanVersion scans a row of audienceVersions.
func scanVersion(rows *sql.Rows) (AudienceRecord, error) {
	var r AudienceRecord
	v := &r.Current
	err := rows.Scan(&r.ID, &r.Name, &r.Dimension, &r.Description, &r.CreatedAt, &r.UpdatedAt,
		&v.Version, &v.Kind, &v.Count, &v.Query, &v.Params, &v.TimeZone, &v.ModelVersion, &v.Table, &v.Current, &v.CreatedAt, &v.CreatedBy)
	r.CreatedAt, r.UpdatedAt, v.CreatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC(), v.CreatedAt.UTC()
	v.AudienceID, v.Dimension = r.ID, r.Dimension
	return r, err
}

// list returns the rows of audienceVersions that where selects.
func (a Audiences) list(ctx context.Context, where string, args ...any) ([]AudienceRecord, error) {
	out := []AudienceRecord{}
	err := a.each(ctx, func(rows *sql.Rows) error {
		r, err := scanVersion(rows)
		out = append(out, r)
		return err
	}, audienceVersions+where, args...)
	return out, err
}

// List returns every saved audience at its current version, by name.
func (a Audiences) List(ctx context.Context) ([]AudienceRecord, error) {
	return a.list(ctx, `WHERE v.version = a.current_version ORDER BY a.name`)
}

// Get returns the named audience at its current version; ErrNotFound if
// there is none.
func (a Audiences) Get(ctx context.Context, name string) (AudienceRecord, error) {
	list, err := a.list(ctx, `WHERE v.version = a.current_version AND a.name = $1`, name)
	if err == nil && len(list) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return AudienceRecord{}, err
	}
	return list[0], nil
}

// Versions returns the named audience's versions, oldest first;
// ErrNotFound if there is no such audience.
func (a Audiences) Versions(ctx context.Context, name string) ([]AudienceVersion, error) {
	list, err := a.list(ctx, `WHERE a.name = $1 ORDER BY v.version`, name)
	if err == nil && len(list) == 0 {
		err = ErrNotFound
	}
	out := make([]AudienceVersion, len(list))
	for i, r := range list {
		out[i] = r.Current
	}
	return out, err
}

// Version returns one version of the named audience, the current one when
// version is 0; ErrNotFound if the audience or the version does not exist.
func (a Audiences) Version(ctx context.Context, name string, version int64) (AudienceVersion, error) {
	list, err := a.list(ctx, `WHERE a.name = $1 AND v.version = CASE WHEN CAST($2 AS BIGINT) > 0 THEN CAST($2 AS BIGINT) ELSE a.current_version END`, name, version)
	if err == nil && len(list) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return AudienceVersion{}, err
	}
	return list[0].Current, nil
}

// MemberTable returns the member table of the named audience's current
// version; ErrNotFound if there is no such audience.
func (a Audiences) MemberTable(ctx context.Context, name string) (string, error) {
	var table string
	err := a.row(ctx, []any{&table}, `SELECT v.table_name FROM ff_audiences a
		JOIN ff_audience_versions v ON v.audience_id = a.id AND v.version = a.current_version WHERE a.name = $1`, name)
	return table, err
}

// Catalogue returns every saved audience's dimension and current member
// table, by name (without the figures List reads).
func (a Audiences) Catalogue(ctx context.Context) (map[string]AudienceVersion, error) {
	out := map[string]AudienceVersion{}
	err := a.each(ctx, func(rows *sql.Rows) error {
		var name string
		var v AudienceVersion
		if err := rows.Scan(&name, &v.Dimension, &v.Table); err != nil {
			return err
		}
		out[name] = v
		return nil
	}, `SELECT a.name, a.dimension, v.table_name FROM ff_audiences a
		JOIN ff_audience_versions v ON v.audience_id = a.id AND v.version = a.current_version`)
	return out, err
}

// Create records a new audience whose current version will be 1 and
// returns its id; ErrDuplicate if the name is taken. Add its version 1
// with AddVersion in the same transaction.
func (a Audiences) Create(ctx context.Context, r AudienceRecord) (int64, error) {
	var n int
	if err := a.row(ctx, []any{&n}, `SELECT count(*) FROM ff_audiences WHERE name = $1`, r.Name); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, ErrDuplicate
	}
	var id int64
	err := a.row(ctx, []any{&id}, `INSERT INTO ff_audiences (name, dimension, description, current_version, created_at, updated_at)
		VALUES ($1, $2, $3, 1, $4, $4) RETURNING id`, r.Name, r.Dimension, r.Description, r.CreatedAt)
	return id, err
}

// AddVersion records the next version of audience v.AudienceID (its
// number, member table and count filled in from m) and returns it; it
// does not make it current. Run it in a transaction.
func (a Audiences) AddVersion(ctx context.Context, v AudienceVersion, m Members) (AudienceVersion, error) {
	var last int64
	if err := a.row(ctx, []any{&last}, `SELECT coalesce(max(version), 0) FROM ff_audience_versions WHERE audience_id = $1`, v.AudienceID); err != nil {
		return v, fmt.Errorf("read audience versions: %w", err)
	}
	v.Version = last + 1
	v.Table = fmt.Sprintf("ff_aud_%d_v%d", v.AudienceID, v.Version)
	var err error
	if v.Count, err = a.fillMembers(ctx, v.Table, m); err != nil {
		return v, err
	}
	_, err = a.exec(ctx, `INSERT INTO ff_audience_versions
		(audience_id, version, kind, query, params, timezone, count, model_version, table_name, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		v.AudienceID, v.Version, v.Kind, v.Query, v.Params, v.TimeZone, v.Count, v.ModelVersion, v.Table, v.CreatedAt, sql.NullString{String: v.CreatedBy, Valid: v.CreatedBy != ""})
	if err != nil {
		return v, fmt.Errorf("record audience version: %w", err)
	}
	return v, nil
}

// fillMembers creates a member table with the key columns, fills it from
// m and returns its row count.
func (a Audiences) fillMembers(ctx context.Context, table string, m Members) (int64, error) {
	var b strings.Builder
	names := make([]string, len(m.Keys))
	for i, k := range m.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		names[i] = k.Name
		b.WriteString(Quote(k.Name) + " " + a.d.ColumnType(k) + " NOT NULL")
	}
	if a.d.PrimaryKeys() {
		// Membership conditions and exports look members up by key.
		b.WriteString(", PRIMARY KEY (" + QuoteList(names) + ")")
	}
	if _, err := a.exec(ctx, "CREATE TABLE "+Quote(table)+" ("+b.String()+")"); err != nil {
		return 0, fmt.Errorf("create member table %s: %w", table, err)
	}
	keys := QuoteList(names)
	src := m.Query
	if m.Table != "" {
		src = "SELECT DISTINCT " + keys + " FROM " + Quote(m.Table)
	}
	if m.Union != "" {
		src = "SELECT " + keys + " FROM " + Quote(m.Union) + " UNION " + src
	}
	if _, err := a.exec(ctx, "INSERT INTO "+Quote(table)+" ("+keys+") "+src, m.Args...); err != nil {
		return 0, fmt.Errorf("compute audience members: %w", err)
	}
	var n int64
	if err := a.row(ctx, []any{&n}, "SELECT count(*) FROM "+Quote(table)); err != nil {
		return 0, fmt.Errorf("count audience members: %w", err)
	}
	return n, nil
}

// MakeCurrent makes version to the audience's current version if from
// still is; ErrNotFound if it is not (another call changed it meanwhile).
func (a Audiences) MakeCurrent(ctx context.Context, id, from, to int64, at time.Time) error {
	n, err := a.exec(ctx, `UPDATE ff_audiences SET current_version = $1, updated_at = $2 WHERE id = $3 AND current_version = $4`, to, at, id, from)
	if err == nil && n != 1 {
		err = ErrNotFound
	}
	return err
}

// Delete removes an audience: its catalogue rows and every version's
// member table. Run it in a transaction.
func (a Audiences) Delete(ctx context.Context, id int64) error {
	if err := a.dropMembers(ctx, id, -1); err != nil {
		return err
	}
	if _, err := a.exec(ctx, `DELETE FROM ff_audience_versions WHERE audience_id = $1`, id); err != nil {
		return err
	}
	_, err := a.exec(ctx, `DELETE FROM ff_audiences WHERE id = $1`, id)
	return err
}

// DeleteVersion removes one version of an audience and its member table;
// ErrNotFound if it has no such version. Run it in a transaction.
func (a Audiences) DeleteVersion(ctx context.Context, id, version int64) error {
	if err := a.dropMembers(ctx, id, version); err != nil {
		return err
	}
	_, err := a.exec(ctx, `DELETE FROM ff_audience_versions WHERE audience_id = $1 AND version = $2`, id, version)
	return err
}

// dropMembers drops the member tables of an audience's versions: one
// version's (ErrNotFound if there is none), or all of them when version
// is negative.
func (a Audiences) dropMembers(ctx context.Context, id, version int64) error {
	var tables []string
	err := a.each(ctx, func(rows *sql.Rows) error {
		var t string
		err := rows.Scan(&t)
		tables = append(tables, t)
		return err
	}, `SELECT table_name FROM ff_audience_versions
		WHERE audience_id = $1 AND (CAST($2 AS BIGINT) < 0 OR version = CAST($2 AS BIGINT)) ORDER BY version`, id, version)
	if err != nil {
		return fmt.Errorf("read audience versions: %w", err)
	}
	if version >= 0 && len(tables) == 0 {
		return ErrNotFound
	}
	for _, t := range tables {
		if _, err := a.exec(ctx, "DROP TABLE IF EXISTS "+Quote(t)); err != nil {
			return fmt.Errorf("drop member table %s: %w", t, err)
		}
	}
	return nil
}
