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
		res, err := im.s.DB.ExecContext(ctx, fmt.Sprintf(
			`INSERT INTO ff_import_rejects (import_id, line, col, value, reason) SELECT $1, s.%s, $2, %s, $3 FROM %s s WHERE %s`,
			store.Quote(lineCol), valueExpr, stage, cond), im.sum.ImportID, col, reason)
		if err != nil {
			return fmt.Errorf("check link %s: %w", l.Name, err)
		}
		n, _ := res.RowsAffected()
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
		res, err = im.s.DB.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s s WHERE %s`, stage, cond))
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
	rows, err := im.s.DB.QueryContext(ctx, fmt.Sprintf(`SELECT s.%s, %s FROM %s s WHERE %s ORDER BY s.%s LIMIT %d`,
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

// merge applies the staged rows to the table in one transaction: the last
// row of each key wins; deletes remove, others insert or update.
func (im *importer) merge(ctx context.Context) error {
	e := im.e
	table := store.Quote(e.Name)
	keys := store.QuoteList(e.Key)
	// The newest staged row of each key is the one that counts.
	var sel []string
	for _, a := range e.Attributes {
		expr := store.Quote(a.Name)
		if a.Type == datamodel.TypeDecimal || a.Type == datamodel.TypeJSON {
			expr = fmt.Sprintf("CAST(%s AS %s) AS %s", expr, im.s.Dialect.ColumnType(a), store.Quote(a.Name))
		}
		sel = append(sel, expr)
	}
	src := fmt.Sprintf(`(SELECT %s, %s FROM (SELECT *, row_number() OVER (PARTITION BY %s ORDER BY %s DESC) AS _rn FROM %s) x WHERE _rn = 1)`,
		store.Quote(deleteCol), strings.Join(sel, ", "), keys, store.Quote(lineCol), store.Quote(im.stage))
	var on, set, cols, vals []string
	for _, k := range e.Key {
		on = append(on, "t."+store.Quote(k)+" = s."+store.Quote(k))
	}
	for _, a := range e.Attributes {
		cols = append(cols, store.Quote(a.Name))
		vals = append(vals, "s."+store.Quote(a.Name))
		if !e.IsKey(a.Name) {
			set = append(set, store.Quote(a.Name)+" = s."+store.Quote(a.Name))
		}
	}
	onClause := strings.Join(on, " AND ")
	counts := fmt.Sprintf(`SELECT
	  count(*),
	  coalesce(sum(CASE WHEN NOT s.%[1]s AND t.%[2]s IS NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN NOT s.%[1]s AND t.%[2]s IS NOT NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN s.%[1]s AND t.%[2]s IS NOT NULL THEN 1 ELSE 0 END), 0),
	  coalesce(sum(CASE WHEN s.%[1]s AND t.%[2]s IS NULL THEN 1 ELSE 0 END), 0)
	FROM %[3]s s LEFT JOIN %[4]s t ON %[5]s`,
		store.Quote(deleteCol), store.Quote(e.Key[0]), src, table, onClause)
	merge := fmt.Sprintf(`MERGE INTO %s AS t USING %s AS s ON %s
	WHEN MATCHED AND s.%s THEN DELETE`, table, src, onClause, store.Quote(deleteCol))
	if len(set) > 0 {
		merge += "\n\tWHEN MATCHED THEN UPDATE SET " + strings.Join(set, ", ")
	}
	merge += fmt.Sprintf("\n\tWHEN NOT MATCHED AND NOT s.%s THEN INSERT (%s) VALUES (%s)",
		store.Quote(deleteCol), strings.Join(cols, ", "), strings.Join(vals, ", "))
	var staged int64
	err := im.s.InTx(ctx, func(tx *sql.Tx) error {
		var total int64
		err := tx.QueryRowContext(ctx, counts).Scan(&total, &im.sum.Inserted, &im.sum.Updated, &im.sum.Deleted, &im.sum.Unchanged)
		if err != nil {
			return fmt.Errorf("count changes: %w", err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+store.Quote(im.stage)).Scan(&staged); err != nil {
			return fmt.Errorf("count staged rows: %w", err)
		}
		im.sum.Superseded = staged - total
		if total == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, merge); err != nil {
			return fmt.Errorf("merge into %s: %w", e.Name, err)
		}
		return nil
	})
	return err
}
