package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// OutboxFill is one channel activity's messages to write. The candidates
// are SQL the working-table compiler generates (worktable.Compiler.Candidates) over the activity's population (a working
// table) and the recipients' dimension; the store writes them.
type OutboxFill struct {
	// Prefix starts every message id ("<run>:<activity>:"); Candidates
	// may use it as $1.
	Prefix    string
	RunID     int64
	Activity  string
	Channel   string
	Dimension string
	// Ready is the status of a message that can go: pending, or held for
	// an operator's confirm send.
	Ready MessageStatus
	Now   time.Time
	// Candidates returns the SELECT of the activity's messages restricted
	// by where ("" or "WHERE …" over the population, alias w): one row per
	// recipient and address with the columns id, recipient, address,
	// platform, active (may the device receive), k0… (the key's values, in
	// key order).
	Candidates func(where string) string
	// Population is the population's working table; Key its key columns,
	// KeyType the SQL type of the first, whose ranges are the slices.
	Population string
	Key        []string
	KeyType    string
	// Slice is how many recipients the embedded store writes per
	// statement (see Fill).
	Slice int
}

// dupesTable holds, while a channel activity writes the outbox, the rows
// that share a message id or an address, ranked (see Fill).
const dupesTable = "ff_outbox_dupes"

// outboxAppend serialises fills of the embedded store's outbox (see
// Append).
var outboxAppend sync.Mutex

// Append serialises outbox fills in this process until release is called,
// where the writer numbers the rows (the embedded store): two fills never
// read the same highest number. It is taken before the transaction.
func (o Outbox) Append() (release func()) {
	if rowLocks(o.d) {
		return func() {}
	}
	outboxAppend.Lock()
	return outboxAppend.Unlock
}

// Fill writes an activity's messages, once: a second fill of the activity
// writes nothing. Every copy after the first to one address is excluded
// (ReasonDuplicate), and so are recipients without an address
// (ReasonNoAddress) and inactive devices (ReasonInactiveDevice); one row
// stays per message id (a recipient twice in the population, or a device
// token listed twice for one recipient, would repeat it). Rows that share
// an id or an address are few: they alone are ranked, once over the whole
// population (an inactive device's copy does not count against the active
// ones sharing its token: active devices rank first), into a table the
// inserts take them from; the others pass as first copies. Ranking every
// row (a window partitioned by address over the whole population) needed
// more than 256 MB of DuckDB memory at 1M recipients; the counts that find
// the shared rows spill to disk where they must.
//
// On the embedded store rows are numbered here (seq, see migration 0010),
// in key order after the highest number so far (hold Append), and written
// in that order, a slice of keys per statement: a dispatcher's batch (rows
// written together) holds a narrow range of keys, and loading its profiles
// reads the row groups of that range alone (DuckDB keeps no index on the
// dimension's key). ON CONFLICT would write rows out of that order, so a
// second fill is told by its rows being there. Run it in a transaction.
func (o Outbox) Fill(ctx context.Context, f OutboxFill) error {
	var written bool
	if err := o.row(ctx, []any{&written}, `SELECT EXISTS (SELECT 1 FROM ff_outbox WHERE run_id = $1 AND activity_id = $2)`, f.RunID, f.Activity); err != nil {
		return err
	}
	if written {
		return nil
	}
	ranked := make([]string, len(f.Key))
	for i := range f.Key {
		ranked[i] = fmt.Sprintf("s.k%d", i)
	}
	cols := fillColumns(len(f.Key))
	dupes := `CREATE TEMPORARY TABLE ` + dupesTable + ` AS WITH base AS (` + f.Candidates("") + `),
		shared_ids AS (SELECT id FROM base GROUP BY id HAVING count(*) > 1),
		shared_addresses AS (SELECT lower(address) AS a FROM base WHERE address IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
		ranked AS (SELECT s.*, row_number() OVER (PARTITION BY lower(s.address) ORDER BY s.active DESC, ` + strings.Join(ranked, ", ") + `) AS copy FROM base s
			WHERE s.id IN (SELECT id FROM shared_ids) OR lower(s.address) IN (SELECT a FROM shared_addresses))
		SELECT ` + strings.Join(cols, ", ") + `, copy FROM (SELECT r.*, row_number() OVER (PARTITION BY r.id ORDER BY r.copy) AS dup FROM ranked r) f WHERE f.dup = 1`
	if _, err := o.q.ExecContext(ctx, dupes, f.Prefix); err != nil {
		return err
	}
	args := []any{f.Prefix, f.RunID, f.Activity, f.Channel, f.Dimension, f.Now.UTC(), string(f.Ready)}
	if rowLocks(o.d) {
		if _, err := o.q.ExecContext(ctx, fillInsert(f, "", "", false), args...); err != nil {
			return err
		}
		// PostgreSQL keeps the plans of the dispatchers' statements, made
		// on the outbox as it was: a 1M-message send claimed on a plan made
		// for an empty outbox took minutes a batch (measured). The outbox is
		// analysed in the transaction that writes it, so that its rows
		// become visible with statistics that count them, and the cached
		// plans are dropped.
		if _, err := o.q.ExecContext(ctx, `ANALYZE ff_outbox`); err != nil {
			return fmt.Errorf("analyse the outbox: %w", err)
		}
	} else if err := o.fillSlices(ctx, f, args); err != nil {
		return err
	}
	_, err := o.q.ExecContext(ctx, `DROP TABLE `+dupesTable)
	return err
}

// fillSlices writes the embedded store's rows a slice of keys per
// statement, numbered.
func (o Outbox) fillSlices(ctx context.Context, f OutboxFill, args []any) error {
	bounds, err := o.fillBounds(ctx, f)
	if err != nil {
		return err
	}
	// Slice i holds the first key's values above bounds[i-1] and up to
	// bounds[i].
	k0 := "w." + Quote(f.Key[0])
	for i := 0; i <= len(bounds); i++ {
		var where, dupWhere []string
		args := slices.Clip(args)
		if i > 0 {
			args = append(args, bounds[i-1])
			where = append(where, fmt.Sprintf("%s > CAST($%d AS %s)", k0, len(args), f.KeyType))
			dupWhere = append(dupWhere, fmt.Sprintf("k0 > CAST($%d AS %s)", len(args), f.KeyType))
		}
		if i < len(bounds) {
			args = append(args, bounds[i])
			where = append(where, fmt.Sprintf("%s <= CAST($%d AS %s)", k0, len(args), f.KeyType))
			dupWhere = append(dupWhere, fmt.Sprintf("k0 <= CAST($%d AS %s)", len(args), f.KeyType))
		}
		if _, err := o.q.ExecContext(ctx, fillInsert(f, whereSQL(where), whereSQL(dupWhere), true), args...); err != nil {
			return err
		}
	}
	return nil
}

func whereSQL(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(conds, " AND ")
}

// fillBounds returns the values of the first key column (as text) that
// end each slice of the population but the last: none when it fits in one.
func (o Outbox) fillBounds(ctx context.Context, f OutboxFill) ([]string, error) {
	var n int64
	if err := o.row(ctx, []any{&n}, `SELECT count(*) FROM `+Quote(f.Population)); err != nil {
		return nil, err
	}
	if n <= int64(f.Slice) {
		return nil, nil
	}
	k0 := Quote(f.Key[0])
	var out []string
	err := o.each(ctx, func(rows *sql.Rows) error {
		var b string
		if err := rows.Scan(&b); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	}, `SELECT CAST(k AS VARCHAR) FROM (SELECT DISTINCT k FROM
		(SELECT `+k0+` AS k, row_number() OVER (ORDER BY `+k0+`) AS n FROM `+Quote(f.Population)+`) t WHERE n % $1 = 0) b ORDER BY k`, int64(f.Slice))
	return out, err
}

// fillColumns are the columns of the candidates.
func fillColumns(keys int) []string {
	cols := []string{"id", "recipient", "address", "platform", "active"}
	for i := range keys {
		cols = append(cols, fmt.Sprintf("k%d", i))
	}
	return cols
}

// fillInsert is the statement writing the rows Candidates(where) selects,
// taking the rows that share an id or an address from the dupes table
// (dupWhere selects theirs); numbered makes it number them (the embedded
// store). Its arguments are Fill's $1…$7.
func fillInsert(f OutboxFill, where, dupWhere string, numbered bool) string {
	order := make([]string, len(f.Key))
	for i := range f.Key {
		order[i] = fmt.Sprintf("x.k%d", i)
	}
	seqCol, seqVal, tail := "", "", ` ON CONFLICT DO NOTHING`
	if numbered {
		seqCol = ", seq"
		seqVal = ", (SELECT coalesce(max(seq), 0) FROM ff_outbox) + row_number() OVER (ORDER BY " + strings.Join(order, ", ") + ")"
		tail = ` ORDER BY ` + strings.Join(order, ", ")
	}
	return `INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, platform, status, reason, attempts, created_at, updated_at` + seqCol + `)
		WITH base AS (` + f.Candidates(where) + `),
		x AS (SELECT b.*, 1 AS copy FROM base b WHERE NOT EXISTS (SELECT 1 FROM ` + dupesTable + ` r WHERE r.id = b.id)
			UNION ALL
			SELECT ` + strings.Join(fillColumns(len(f.Key)), ", ") + `, copy FROM ` + dupesTable + ` ` + dupWhere + `)
		SELECT x.id, $2, $3, $4, $5, x.recipient, x.address, x.platform,
			CASE WHEN x.address IS NULL OR x.address = '' OR NOT x.active OR x.copy > 1 THEN '` + string(MessageExcluded) + `' ELSE $7 END,
			CASE WHEN x.address IS NULL OR x.address = '' THEN '` + ReasonNoAddress + `' WHEN NOT x.active THEN '` + ReasonInactiveDevice + `' WHEN x.copy > 1 THEN '` + ReasonDuplicate + `' END,
			0, $6, $6` + seqVal + `
		FROM x` + tail
}
