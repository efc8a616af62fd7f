package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// checkLinks finds staged rows whose many-to-one (or one-to-one) link names
// a key that exists neither in the linked table nor, for a self-link, among
// the staged rows. They are rejected, or kept and reported, per policy.
func (im *importer) checkLinks(ctx context.Context) error {
	stage := store.Quote(im.stage)
	for _, l := range im.e.DeclaredLinks() {
		target := im.m.Entity(l.Entity)
		if target == nil {
			continue
		}
		var notNull, match, selfMatch []string
		for i, c := range l.Columns {
			k := target.Key[i]
			notNull = append(notNull, "s."+store.Quote(c)+" IS NOT NULL")
			match = append(match, "t."+store.Quote(k)+" = s."+store.Quote(c))
			selfMatch = append(selfMatch, "u."+store.Quote(k)+" = s."+store.Quote(c))
		}
		cond := fmt.Sprintf("NOT s.%s AND %s AND NOT EXISTS (SELECT 1 FROM %s t WHERE %s)",
			store.Quote(deleteCol), strings.Join(notNull, " AND "), store.Quote(target.Name), strings.Join(match, " AND "))
		if target == im.e {
			cond += fmt.Sprintf(" AND NOT EXISTS (SELECT 1 FROM %s u WHERE NOT u.%s AND %s)", stage, store.Quote(deleteCol), strings.Join(selfMatch, " AND "))
		}
		valueExpr := linkValueExpr(l.Columns)
		reason := fmt.Sprintf("link %s: no %s with %s", l.Name, target.Name, strings.Join(target.Key, ", "))
		if im.opts.Orphans == OrphansKeep {
			reason += " (row kept)"
		}
		col := strings.Join(l.Columns, ",")
		// Report every orphan in the store, set-based, and the first few in
		// the summary.
		orphans := fmt.Sprintf(`SELECT s.%s AS line, %s AS value FROM %s s WHERE %s`, store.Quote(lineCol), valueExpr, stage, cond)
		n, err := im.s.Imports().On(im.conn).AddRejectsFrom(ctx, im.sum.ImportID, col, reason, orphans)
		if err != nil {
			return fmt.Errorf("check link %s: %w", l.Name, err)
		}
		if n == 0 {
			continue
		}
		if err := im.sampleOrphans(ctx, cond, valueExpr, col, reason); err != nil {
			return err
		}
		if im.opts.Orphans == OrphansKeep {
			im.sum.OrphansKept += n
			continue
		}
		res, err := im.conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s s WHERE %s`, stage, cond))
		if err != nil {
			return fmt.Errorf("drop orphan rows of link %s: %w", l.Name, err)
		}
		n, _ = res.RowsAffected()
		im.sum.Rejected += n
	}
	return nil
}

func linkValueExpr(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "CAST(s." + store.Quote(c) + " AS VARCHAR)"
	}
	return strings.Join(parts, " || ',' || ")
}

func (im *importer) sampleOrphans(ctx context.Context, cond, valueExpr, col, reason string) error {
	room := SummaryRejects - len(im.sum.Rejects)
	if room <= 0 {
		return nil
	}
	rows, err := im.conn.QueryContext(ctx, fmt.Sprintf(`SELECT s.%s, %s FROM %s s WHERE %s ORDER BY s.%s LIMIT %d`,
		store.Quote(lineCol), valueExpr, store.Quote(im.stage), cond, store.Quote(lineCol), room))
	if err != nil {
		return fmt.Errorf("read orphan rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		rj := Reject{Column: col, Reason: reason}
		if err := rows.Scan(&rj.Line, &rj.Value); err != nil {
			return err
		}
		im.sum.Rejects = append(im.sum.Rejects, rj)
	}
	return rows.Err()
}

// deferIndexesRows is the size of a first load from which indexes are
// built after the insert rather than maintained during it.
const deferIndexesRows = 100_000

// mergeSQL holds the pieces of SQL that merge the staging table into the
// entity's table; every identifier comes from the data model.
type mergeSQL struct {
	table, stage, del, keys, on string
	sel, set, cols, vals        []string
}

func (im *importer) mergeSQL() mergeSQL {
	e := im.e
	m := mergeSQL{table: store.Quote(e.Name), stage: store.Quote(im.stage), del: store.Quote(deleteCol), keys: store.QuoteList(e.Key)}
	var on []string
	for _, k := range e.Key {
		on = append(on, "t."+store.Quote(k)+" = s."+store.Quote(k))
	}
	m.on = strings.Join(on, " AND ")
	for _, a := range e.Attributes {
		col := store.Quote(a.Name)
		expr := col
		if a.Type == datamodel.TypeDecimal || a.Type == datamodel.TypeJSON {
			expr = fmt.Sprintf("CAST(%s AS %s) AS %s", col, im.s.Dialect.ColumnType(a), col)
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

// merge applies the staged rows to the table in one transaction: the last
// row of each key wins; deletes remove, others insert or update.
func (im *importer) merge(ctx context.Context) error {
	tx, err := im.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin merge: %w", err)
	}
	if err := im.mergeTx(ctx, tx, im.mergeSQL()); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit merge into %s: %w", im.e.Name, err)
	}
	return nil
}

// mergeTx counts and applies the changes inside the merge transaction.
func (im *importer) mergeTx(ctx context.Context, tx *sql.Tx, m mergeSQL) error {
	// The newest staged row of each key is the one that counts; the window
	// that finds it is skipped when no key repeats.
	var staged, distinct int64
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM %s GROUP BY %s) g`, m.stage, m.keys)).Scan(&distinct, &staged)
	if err != nil {
		return fmt.Errorf("count staged keys: %w", err)
	}
	im.sum.Superseded = staged - distinct
	if staged == 0 {
		return nil
	}
	src := fmt.Sprintf(`(SELECT %s, %s FROM %s)`, m.del, strings.Join(m.sel, ", "), m.stage)
	if staged != distinct {
		src = fmt.Sprintf(`(SELECT %s, %s FROM (SELECT *, row_number() OVER (PARTITION BY %s ORDER BY %s DESC) AS _rn FROM %s) x WHERE _rn = 1)`,
			m.del, strings.Join(m.sel, ", "), m.keys, store.Quote(lineCol), m.stage)
	}
	var nonEmpty bool
	if err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s)`, m.table)).Scan(&nonEmpty); err != nil {
		return fmt.Errorf("look at %s: %w", im.e.Name, err)
	}
	if !nonEmpty {
		// A first load: nothing to match, so a plain insert does; a large
		// one builds the table's indexes once, after the rows are in.
		var rebuild []string
		if staged >= deferIndexesRows {
			if rebuild, err = im.s.Dialect.DeferIndexes(ctx, tx, im.e.Name); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s s WHERE NOT s.%s`,
			m.table, strings.Join(m.cols, ", "), strings.Join(m.vals, ", "), src, m.del))
		if err != nil {
			return fmt.Errorf("insert into %s: %w", im.e.Name, err)
		}
		for _, stmt := range rebuild {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("rebuild indexes of %s: %w", im.e.Name, err)
			}
		}
		im.sum.Inserted, _ = res.RowsAffected()
		im.sum.Unchanged = distinct - im.sum.Inserted
		return nil
	}
	counts := fmt.Sprintf(`SELECT
	  coalesce(sum(CASE WHEN NOT s.%[1]s AND t.%[2]s IS NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN NOT s.%[1]s AND t.%[2]s IS NOT NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN s.%[1]s AND t.%[2]s IS NOT NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN s.%[1]s AND t.%[2]s IS NULL THEN 1 ELSE 0 END), 0)
	FROM %[3]s s LEFT JOIN %[4]s t ON %[5]s`, m.del, store.Quote(im.e.Key[0]), src, m.table, m.on)
	if err := tx.QueryRowContext(ctx, counts).Scan(&im.sum.Inserted, &im.sum.Updated, &im.sum.Deleted, &im.sum.Unchanged); err != nil {
		return fmt.Errorf("count changes: %w", err)
	}
	merge := fmt.Sprintf("MERGE INTO %s AS t USING %s AS s ON %s\n\tWHEN MATCHED AND s.%s THEN DELETE", m.table, src, m.on, m.del)
	if len(m.set) > 0 {
		merge += "\n\tWHEN MATCHED THEN UPDATE SET " + strings.Join(m.set, ", ")
	}
	merge += fmt.Sprintf("\n\tWHEN NOT MATCHED AND NOT s.%s THEN INSERT (%s) VALUES (%s)", m.del, strings.Join(m.cols, ", "), strings.Join(m.vals, ", "))
	if _, err := tx.ExecContext(ctx, merge); err != nil {
		return fmt.Errorf("merge into %s: %w", im.e.Name, err)
	}
	return nil
}
