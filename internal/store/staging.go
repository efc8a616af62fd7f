package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// An import stages its rows before it touches the entity's table: it
// bulk-loads them into a temporary table, checks their links there, then
// merges them into the table in one transaction, which is what makes a
// failed or aborted import leave the table as it was.
//
// The statements are the same on both databases but for what the Dialect
// already decides (column types, deferred indexes), and are written from
// the data model alone (an entity, its attributes, key and links, already
// validated), as the schema area's DDL is: so they live here, with the
// connection and the transaction they run on, rather than behind Dialect
// methods returning text for the importer to run. SQL generated from a
// user's queries (audiences, activities) comes from the compilers instead.

// Staging columns beside the entity's attributes: the row's line in the
// file, and whether it deletes its key.
const (
	stageLine   = "_line"
	stageDelete = "_delete"
)

// deferIndexesRows is the size of a first load from which indexes are
// built after the insert rather than maintained during it.
const deferIndexesRows = 100_000

// Staging is one import's connection of its own and, once created, its
// staging table: a temporary table lives on one connection, and is neither
// logged nor checkpointed. Get it from Imports().Staging; Close it.
type Staging struct {
	conn  *sql.Conn
	im    Imports // bound to conn
	d     Dialect
	id    int64 // the import's, once Begin has recorded it
	e     *datamodel.Entity
	name  string // of the staging table, once created
	table string // the same, quoted
}

// Staging takes a connection of the area's database for one import.
func (i Imports) Staging(ctx context.Context) (*Staging, error) {
	db, ok := i.q.(*sql.DB)
	if !ok {
		return nil, fmt.Errorf("staging: needs the database, not a transaction")
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &Staging{conn: conn, im: i.On(conn), d: i.d}, nil
}

// Begin records a running import of source into entity on the staging
// connection, whose session holds the import's owner lock until Close
// (see Imports.Begin), and returns its id.
func (st *Staging) Begin(ctx context.Context, entity, source string, at time.Time) (int64, error) {
	id, err := st.im.Begin(ctx, st.conn, entity, source, at)
	if err == nil {
		st.id = id
	}
	return id, err
}

// Create creates the staging table of the import begun for e: its line,
// its delete flag, then e's attributes in order. Decimals and JSON travel
// as text (the importer has checked them) and are cast when merged.
func (st *Staging) Create(ctx context.Context, e *datamodel.Entity) error {
	st.e = e
	st.name = fmt.Sprintf("ff_stage_%d", st.id)
	st.table = Quote(st.name)
	cols := []string{Quote(stageLine) + " BIGINT", Quote(stageDelete) + " BOOLEAN"}
	for _, a := range e.Attributes {
		typ := st.d.ColumnType(a)
		if a.Type == datamodel.TypeDecimal || a.Type == datamodel.TypeJSON {
			typ = st.d.ColumnType(&datamodel.Attribute{Type: datamodel.TypeString})
		}
		cols = append(cols, Quote(a.Name)+" "+typ)
	}
	_, err := st.conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMPORARY TABLE %s (%s)", st.table, strings.Join(cols, ", ")))
	return err
}

// Load appends the rows next returns to the staging table by the bulk
// path: each its line (int64), whether it deletes (bool), then a value
// per attribute of the entity, in order.
func (st *Staging) Load(ctx context.Context, next RowFunc) (int64, error) {
	columns := []string{stageLine, stageDelete}
	for _, a := range st.e.Attributes {
		columns = append(columns, a.Name)
	}
	return st.d.BulkLoad(ctx, st.conn, st.name, columns, next)
}

// Drop drops the staging table, if there is one.
func (st *Staging) Drop(ctx context.Context) {
	if st.table != "" {
		_, _ = st.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+st.table)
	}
}

// Close lets go of the import's owner lock, once its outcome is recorded,
// and of the connection.
func (st *Staging) Close(ctx context.Context) {
	if st.id != 0 {
		_ = st.im.Release(ctx, st.conn, st.id)
	}
	_ = st.conn.Close()
}

// orphans returns the condition on a staged row s that link l of the
// staged entity names a key of target that exists neither in target's
// table nor, for a self-link, among the staged rows that are not deletes;
// and the expression of the row's link value as text (its columns joined
// by commas).
func (st *Staging) orphans(l *datamodel.Link, target *datamodel.Entity) (cond, value string) {
	var notNull, match, selfMatch, values []string
	for i, c := range l.Columns {
		k := target.Key[i]
		notNull = append(notNull, "s."+Quote(c)+" IS NOT NULL")
		match = append(match, "t."+Quote(k)+" = s."+Quote(c))
		selfMatch = append(selfMatch, "u."+Quote(k)+" = s."+Quote(c))
		values = append(values, "CAST(s."+Quote(c)+" AS VARCHAR)")
	}
	cond = fmt.Sprintf("NOT s.%s AND %s AND NOT EXISTS (SELECT 1 FROM %s t WHERE %s)",
		Quote(stageDelete), strings.Join(notNull, " AND "), Quote(target.Name), strings.Join(match, " AND "))
	if target == st.e {
		cond += fmt.Sprintf(" AND NOT EXISTS (SELECT 1 FROM %s u WHERE NOT u.%s AND %s)", st.table, Quote(stageDelete), strings.Join(selfMatch, " AND "))
	}
	return cond, strings.Join(values, " || ',' || ")
}

// RejectOrphans records, set-based, a reject (column, reason) of the
// import for every staged row whose link l names a missing key of target
// (see orphans), and returns how many.
func (st *Staging) RejectOrphans(ctx context.Context, l *datamodel.Link, target *datamodel.Entity, column, reason string) (int64, error) {
	cond, value := st.orphans(l, target)
	orphans := fmt.Sprintf(`SELECT s.%s AS line, %s AS value FROM %s s WHERE %s`, Quote(stageLine), value, st.table, cond)
	return st.im.addRejectsFrom(ctx, st.id, column, reason, orphans)
}

// SampleOrphans calls fn with the line and link value of the first limit
// staged rows, in line order, whose link l names a missing key of target.
func (st *Staging) SampleOrphans(ctx context.Context, l *datamodel.Link, target *datamodel.Entity, limit int, fn func(line int64, value string)) error {
	cond, value := st.orphans(l, target)
	line := Quote(stageLine)
	rows, err := st.conn.QueryContext(ctx, fmt.Sprintf(`SELECT s.%s, %s FROM %s s WHERE %s ORDER BY s.%s LIMIT %d`, line, value, st.table, cond, line, limit))
	if err != nil {
		return fmt.Errorf("read orphan rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var v string
		if err := rows.Scan(&n, &v); err != nil {
			return err
		}
		fn(n, v)
	}
	return rows.Err()
}

// DropOrphans deletes the staged rows whose link l names a missing key of
// target, and returns how many.
func (st *Staging) DropOrphans(ctx context.Context, l *datamodel.Link, target *datamodel.Entity) (int64, error) {
	cond, _ := st.orphans(l, target)
	return st.im.exec(ctx, fmt.Sprintf(`DELETE FROM %s s WHERE %s`, st.table, cond))
}

// Merged counts what a merge did to the entity's table: rows inserted,
// updated and deleted, deletes of keys the table did not hold (unchanged),
// and staged rows a later row of the same key superseded.
type Merged struct {
	Inserted, Updated, Deleted, Unchanged, Superseded int64
}

// mergeSQL holds the pieces of SQL that merge the staging table into the
// entity's table; every identifier comes from the data model.
type mergeSQL struct {
	table, del, keys, on string
	sel, set, cols, vals []string
}

func (st *Staging) mergeSQL() mergeSQL {
	e := st.e
	m := mergeSQL{table: Quote(e.Name), del: Quote(stageDelete), keys: QuoteList(e.Key)}
	var on []string
	for _, k := range e.Key {
		on = append(on, "t."+Quote(k)+" = s."+Quote(k))
	}
	m.on = strings.Join(on, " AND ")
	for _, a := range e.Attributes {
		col := Quote(a.Name)
		expr := col
		if a.Type == datamodel.TypeDecimal || a.Type == datamodel.TypeJSON {
			expr = fmt.Sprintf("CAST(%s AS %s) AS %s", col, st.d.ColumnType(a), col)
		}
		m.sel = append(m.sel, expr)
		m.cols = append(m.cols, col)
		m.vals = append(m.vals, "s."+col)
		if !e.IsKey(a.Name) {
			m.set = append(m.set, col+" = s."+col)
		}
	}
	return m
}

// Merge applies the staged rows to the entity's table in one transaction:
// the last row of each key wins; deletes remove, others insert or update.
// What it counted is returned even when it fails (the table is then left
// as it was).
func (st *Staging) Merge(ctx context.Context) (Merged, error) {
	var n Merged
	tx, err := st.conn.BeginTx(ctx, nil)
	if err != nil {
		return n, fmt.Errorf("begin merge: %w", err)
	}
	m := st.mergeSQL()
	if err := st.mergeTx(ctx, tx, m, &n); err != nil {
		_ = tx.Rollback()
		return n, err
	}
	// PostgreSQL plans from statistics only ANALYZE refreshes (autovacuum
	// runs it a minute later at best): an audience counted just after an
	// import was planned for the table as it was, empty for a first
	// import. The table is analysed in the transaction that changes it,
	// so its rows become visible with statistics that count them.
	if analyses(st.d) && n.Inserted+n.Updated+n.Deleted > 0 {
		if _, err := tx.ExecContext(ctx, `ANALYZE `+m.table); err != nil {
			_ = tx.Rollback()
			return n, fmt.Errorf("analyse %s: %w", st.e.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return n, fmt.Errorf("commit merge into %s: %w", st.e.Name, err)
	}
	return n, nil
}

// mergeTx counts and applies the changes inside the merge transaction.
func (st *Staging) mergeTx(ctx context.Context, tx *sql.Tx, m mergeSQL, n *Merged) error {
	// The newest staged row of each key is the one that counts; the window
	// that finds it is skipped when no key repeats.
	var staged, distinct int64
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM %s GROUP BY %s) g`, st.table, m.keys)).Scan(&distinct, &staged)
	if err != nil {
		return fmt.Errorf("count staged keys: %w", err)
	}
	n.Superseded = staged - distinct
	if staged == 0 {
		return nil
	}
	src := fmt.Sprintf(`(SELECT %s, %s FROM %s)`, m.del, strings.Join(m.sel, ", "), st.table)
	if staged != distinct {
		src = fmt.Sprintf(`(SELECT %s, %s FROM (SELECT *, row_number() OVER (PARTITION BY %s ORDER BY %s DESC) AS _rn FROM %s) x WHERE _rn = 1)`,
			m.del, strings.Join(m.sel, ", "), m.keys, Quote(stageLine), st.table)
	}
	var nonEmpty bool
	if err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s)`, m.table)).Scan(&nonEmpty); err != nil {
		return fmt.Errorf("look at %s: %w", st.e.Name, err)
	}
	if !nonEmpty {
		return st.insertFirst(ctx, tx, m, src, staged, distinct, n)
	}
	counts := fmt.Sprintf(`SELECT
	  coalesce(sum(CASE WHEN NOT s.%[1]s AND t.%[2]s IS NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN NOT s.%[1]s AND t.%[2]s IS NOT NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN s.%[1]s AND t.%[2]s IS NOT NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN s.%[1]s AND t.%[2]s IS NULL THEN 1 ELSE 0 END), 0)
	FROM %[3]s s LEFT JOIN %[4]s t ON %[5]s`, m.del, Quote(st.e.Key[0]), src, m.table, m.on)
	if err := tx.QueryRowContext(ctx, counts).Scan(&n.Inserted, &n.Updated, &n.Deleted, &n.Unchanged); err != nil {
		return fmt.Errorf("count changes: %w", err)
	}
	merge := fmt.Sprintf("MERGE INTO %s AS t USING %s AS s ON %s\n\tWHEN MATCHED AND s.%s THEN DELETE", m.table, src, m.on, m.del)
	if len(m.set) > 0 {
		merge += "\n\tWHEN MATCHED THEN UPDATE SET " + strings.Join(m.set, ", ")
	}
	merge += fmt.Sprintf("\n\tWHEN NOT MATCHED AND NOT s.%s THEN INSERT (%s) VALUES (%s)", m.del, strings.Join(m.cols, ", "), strings.Join(m.vals, ", "))
	if _, err := tx.ExecContext(ctx, merge); err != nil {
		return fmt.Errorf("merge into %s: %w", st.e.Name, err)
	}
	return nil
}

// insertFirst is the merge into an empty table: nothing to match, so a
// plain insert of src does; a large one builds the table's indexes once,
// after the rows are in.
func (st *Staging) insertFirst(ctx context.Context, tx *sql.Tx, m mergeSQL, src string, staged, distinct int64, n *Merged) error {
	var rebuild []string
	if staged >= deferIndexesRows {
		var err error
		if rebuild, err = st.d.DeferIndexes(ctx, tx, st.e.Name); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s s WHERE NOT s.%s`,
		m.table, strings.Join(m.cols, ", "), strings.Join(m.vals, ", "), src, m.del))
	if err != nil {
		return fmt.Errorf("insert into %s: %w", st.e.Name, err)
	}
	for _, stmt := range rebuild {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("rebuild indexes of %s: %w", st.e.Name, err)
		}
	}
	n.Inserted, _ = res.RowsAffected()
	n.Unchanged = distinct - n.Inserted
	return nil
}

// analyses reports whether the planner reads statistics that only ANALYZE
// refreshes (PostgreSQL); DuckDB keeps its own as it writes.
func analyses(d Dialect) bool { return d.Name() == "postgres" }
