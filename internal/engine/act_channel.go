package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Outbox statuses written here; package delivery moves them on.
const (
	outboxPending  = "pending"
	outboxHeld     = "held" // waiting for an operator's confirm send
	outboxExcluded = "excluded"
	// outboxCancelled marks a message its run's stop took back before it
	// was handed to a provider (reason outboxRunStopped).
	outboxCancelled  = "cancelled"
	outboxRunStopped = "run_stopped"
	// outboxRunPaused is the reason of a message held by its run's pause.
	outboxRunPaused = "run_paused"
)

// channel hands the population to the outbox in live runs, in one
// transaction: one message per recipient and address — per device for push —
// with a deterministic id "<run>:<activity>:<key values joined by '|'>"
// (plus "|<token>" for push), so a retried activity adds nothing (its rows
// are there; ON CONFLICT DO NOTHING on PostgreSQL too). Recipients without
// an address, devices the model marks inactive, and every copy after the
// first to one address within the message, are written excluded with
// their reason, so the figures count them. A simulation writes nothing.
// The population passes on.
func channel(v *env) ([]output, error) {
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	if v.simulate() {
		return passThrough(v, "out")
	}
	dim, err := v.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	addr, err := v.addressSource(dim)
	if err != nil {
		return nil, err
	}
	o := newOutboxWrite(v, in, dim, addr)
	if v.e.store.Embedded() {
		// Rows are numbered in key order after the highest number so far
		// (see write): appends are serialised so that two activities never
		// read the same highest number.
		outboxAppend.Lock()
		defer outboxAppend.Unlock()
	}
	// The run stays held until the messages are written, so that a stop
	// or a pause comes wholly before them or after them (see write).
	if err := v.e.inRun(v.ctx, v.st.run.ID, o.write); err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	return passThrough(v, "out")
}

// outboxAppend serialises writes to the embedded store's outbox (see
// channel).
var outboxAppend sync.Mutex

// DefaultOutboxSlice is how many recipients the embedded store's channel
// activity writes per statement. One statement for a whole population
// sorts it at once: 1M recipients failed under a 64 MB store limit (and
// took 6.7 s under 128 MB); slices of 100 000 keys write them under 64 MB
// in the same time (measured).
const DefaultOutboxSlice = 100_000

// dupesTable holds, while a channel activity writes the outbox, the rows
// that share a message id or an address, ranked (see write).
const dupesTable = "ff_outbox_dupes"

// outboxWrite is the SQL of one channel activity's outbox write.
type outboxWrite struct {
	v     *env
	table string   // the population's working table (alias w)
	key   []string // the dimension's key columns
	keyT  string   // the type of the first, which slices are ranges of
	base  func(where string) string
	cols  []string // base's columns
	args  []any    // the insert's arguments: $1…$7
	slice int
}

func newOutboxWrite(v *env, in input, dim *datamodel.Entity, addr addressSource) *outboxWrite {
	var ids, recipient, sortKeys []string
	for i, k := range dim.Key {
		col := "w." + store.Quote(k)
		ids = append(ids, "CAST("+col+" AS VARCHAR)")
		sep := ","
		if i == 0 {
			sep = "{"
		}
		// Key names are identifiers checked against the data model.
		recipient = append(recipient, "'"+sep+`"`+k+`":' || CAST(to_json(`+col+") AS VARCHAR)")
		sortKeys = append(sortKeys, fmt.Sprintf("%s AS k%d", col, i))
	}
	id := "$1 || " + strings.Join(ids, " || '|' || ")
	if addr.perDevice {
		id += " || '|' || coalesce(" + addr.expr + ", '')"
	}
	platform := "CAST(NULL AS VARCHAR)"
	if addr.platform != "" {
		platform = "CAST(" + addr.platform + " AS VARCHAR)"
	}
	active := "TRUE"
	if addr.active != "" {
		active = "coalesce(" + addr.active + ", TRUE)"
	}
	o := &outboxWrite{v: v, table: in.Table, key: dim.Key, slice: v.e.OutboxSlice,
		keyT: v.e.store.Dialect.ColumnType(dim.Attribute(dim.Key[0])),
		cols: []string{"id", "recipient", "address", "platform", "active"}}
	for i := range dim.Key {
		o.cols = append(o.cols, fmt.Sprintf("k%d", i))
	}
	if o.slice <= 0 {
		o.slice = DefaultOutboxSlice
	}
	o.base = func(where string) string {
		return fmt.Sprintf(`SELECT %s AS id, %s || '}' AS recipient, CAST(%s AS VARCHAR) AS address, %s AS platform, %s AS active, %s
			FROM %s w JOIN %s d ON %s %s %s`,
			id, strings.Join(recipient, " || "), addr.expr, platform, active, strings.Join(sortKeys, ", "),
			store.Quote(in.Table), store.Quote(dim.Name), joinOn("d", dim.Key, "w", dim.Key), addr.join, where)
	}
	prefix := fmt.Sprintf("%d:%s:", v.st.run.ID, v.act.ID)
	ready := outboxPending
	if v.st.doc.Policy.ConfirmSend {
		ready = outboxHeld
	}
	o.args = []any{prefix, v.st.run.ID, v.act.ID, v.act.Type, dim.Name, v.now.UTC(), ready}
	return o
}

// write writes the outbox in tx. Every copy after the first to one address
// is excluded, and one row stays per message id (a recipient twice in the
// working table, or a device token listed twice for one recipient, would
// repeat it). Rows that share an id or an address are few: they alone are
// ranked, once over the whole population (an inactive device's copy does
// not count against the active ones sharing its token: active devices rank
// first), into a table the inserts take them from; the others pass as
// first copies. Ranking every row (a window partitioned by address over
// the whole population) needed more than 256 MB of DuckDB memory at 1M
// recipients; the counts that find the shared rows spill to disk where
// they must.
//
// On the embedded store rows are numbered here (seq, see migration 0010),
// in key order after the highest number so far, and written in that order,
// a slice of keys per statement (DefaultOutboxSlice): a dispatcher's batch
// (rows written together) holds a narrow range of keys, and loading its
// profiles reads the row groups of that range alone (DuckDB keeps no index
// on the dimension's key). ON CONFLICT would write rows out of that order,
// so a second run of the activity is told by its rows being there.
//
// A run stopped meanwhile writes nothing; one paused meanwhile writes its
// messages held until it resumes.
func (o *outboxWrite) write(tx *store.Tx, status string) error {
	switch status {
	case RunStopped:
		return nil
	case RunPaused:
		if err := o.writeAll(tx); err != nil {
			return err
		}
		_, err := o.v.e.pauseSend(o.v.ctx, tx, o.v.st.run.ID)
		return err
	}
	return o.writeAll(tx)
}

// writeAll writes the activity's messages (see write).
func (o *outboxWrite) writeAll(tx *store.Tx) error {
	ctx, embedded := o.v.ctx, o.v.e.store.Embedded()
	var written bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ff_outbox WHERE run_id = $1 AND activity_id = $2)`, o.args[1], o.args[2]).Scan(&written); err != nil {
		return err
	}
	if written {
		return nil
	}
	ranked := make([]string, len(o.key))
	for i := range o.key {
		ranked[i] = fmt.Sprintf("s.k%d", i)
	}
	dupes := `CREATE TEMPORARY TABLE ` + dupesTable + ` AS WITH base AS (` + o.base("") + `),
		shared_ids AS (SELECT id FROM base GROUP BY id HAVING count(*) > 1),
		shared_addresses AS (SELECT lower(address) AS a FROM base WHERE address IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
		ranked AS (SELECT s.*, row_number() OVER (PARTITION BY lower(s.address) ORDER BY s.active DESC, ` + strings.Join(ranked, ", ") + `) AS copy FROM base s
			WHERE s.id IN (SELECT id FROM shared_ids) OR lower(s.address) IN (SELECT a FROM shared_addresses))
		SELECT ` + strings.Join(o.cols, ", ") + `, copy FROM (SELECT r.*, row_number() OVER (PARTITION BY r.id ORDER BY r.copy) AS dup FROM ranked r) f WHERE f.dup = 1`
	if _, err := tx.ExecContext(ctx, dupes, o.args[0]); err != nil {
		return err
	}
	if !embedded {
		if _, err := tx.ExecContext(ctx, o.insert("", "", false), o.args...); err != nil {
			return err
		}
		// PostgreSQL keeps the plans of the dispatchers' statements, made
		// on the outbox as it was: a 1M-message send claimed on a plan made
		// for an empty outbox took minutes a batch (measured). The outbox is
		// analysed in the transaction that writes it, so that its rows
		// become visible with statistics that count them, and the cached
		// plans are dropped.
		if _, err := tx.ExecContext(ctx, `ANALYZE ff_outbox`); err != nil {
			return fmt.Errorf("analyse the outbox: %w", err)
		}
	} else {
		bounds, err := o.bounds(tx)
		if err != nil {
			return err
		}
		// Slice i holds the first key's values above bounds[i-1] and up to
		// bounds[i].
		k0 := "w." + store.Quote(o.key[0])
		for i := 0; i <= len(bounds); i++ {
			var where, dupWhere []string
			args := slices.Clip(o.args)
			if i > 0 {
				args = append(args, bounds[i-1])
				where = append(where, fmt.Sprintf("%s > CAST($%d AS %s)", k0, len(args), o.keyT))
				dupWhere = append(dupWhere, fmt.Sprintf("k0 > CAST($%d AS %s)", len(args), o.keyT))
			}
			if i < len(bounds) {
				args = append(args, bounds[i])
				where = append(where, fmt.Sprintf("%s <= CAST($%d AS %s)", k0, len(args), o.keyT))
				dupWhere = append(dupWhere, fmt.Sprintf("k0 <= CAST($%d AS %s)", len(args), o.keyT))
			}
			if _, err := tx.ExecContext(ctx, o.insert(whereSQL(where), whereSQL(dupWhere), true), args...); err != nil {
				return err
			}
		}
	}
	_, err := tx.ExecContext(ctx, `DROP TABLE `+dupesTable)
	return err
}

// bounds returns the values of the first key column (as text) that end
// each slice of the population but the last: none when it fits in one.
func (o *outboxWrite) bounds(tx *store.Tx) ([]string, error) {
	var n int64
	if err := tx.QueryRowContext(o.v.ctx, `SELECT count(*) FROM `+store.Quote(o.table)).Scan(&n); err != nil {
		return nil, err
	}
	if n <= int64(o.slice) {
		return nil, nil
	}
	k0 := store.Quote(o.key[0])
	rows, err := tx.QueryContext(o.v.ctx, `SELECT CAST(k AS VARCHAR) FROM (SELECT DISTINCT k FROM
		(SELECT `+k0+` AS k, row_number() OVER (ORDER BY `+k0+`) AS n FROM `+store.Quote(o.table)+`) t WHERE n % $1 = 0) b ORDER BY k`, int64(o.slice))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// insert is the statement writing the rows base(where) selects, taking the
// rows that share an id or an address from the dupes table (dupWhere
// selects theirs); numbered makes it number them (the embedded store).
func (o *outboxWrite) insert(where, dupWhere string, numbered bool) string {
	order := make([]string, len(o.key))
	for i := range o.key {
		order[i] = fmt.Sprintf("x.k%d", i)
	}
	seqCol, seqVal, tail := "", "", ` ON CONFLICT DO NOTHING`
	if numbered {
		seqCol = ", seq"
		seqVal = ", (SELECT coalesce(max(seq), 0) FROM ff_outbox) + row_number() OVER (ORDER BY " + strings.Join(order, ", ") + ")"
		tail = ` ORDER BY ` + strings.Join(order, ", ")
	}
	return `INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, platform, status, reason, attempts, created_at, updated_at` + seqCol + `)
		WITH base AS (` + o.base(where) + `),
		x AS (SELECT b.*, 1 AS copy FROM base b WHERE NOT EXISTS (SELECT 1 FROM ` + dupesTable + ` r WHERE r.id = b.id)
			UNION ALL
			SELECT ` + strings.Join(o.cols, ", ") + `, copy FROM ` + dupesTable + ` ` + dupWhere + `)
		SELECT x.id, $2, $3, $4, $5, x.recipient, x.address, x.platform,
			CASE WHEN x.address IS NULL OR x.address = '' OR NOT x.active OR x.copy > 1 THEN '` + outboxExcluded + `' ELSE $7 END,
			CASE WHEN x.address IS NULL OR x.address = '' THEN 'no_address' WHEN NOT x.active THEN 'inactive_device' WHEN x.copy > 1 THEN 'duplicate_address' END,
			0, $6, $6` + seqVal + `
		FROM x` + tail
}

// addressSource says where a channel's addresses are: an attribute of the
// dimension (email, sms), or a token of each linked device (push).
type addressSource struct {
	expr      string // SQL over d (the dimension) or dv (a device)
	platform  string
	active    string // SQL over dv: may the device receive pushes
	join      string // extra LEFT JOIN for devices
	perDevice bool
}

func (v *env) addressSource(dim *datamodel.Entity) (addressSource, error) {
	t := dim.Targeting
	if t == nil {
		return addressSource{}, fmt.Errorf("%s: %s is not a targeting dimension", v.act.ID, dim.Name)
	}
	switch v.act.Type {
	case "email", "sms":
		attr := t.Email
		if v.act.Type == "sms" {
			attr = t.SMS
		}
		if attr == "" || dim.Attribute(attr) == nil {
			return addressSource{}, fmt.Errorf("%s: %s declares no %s address", v.act.ID, dim.Name, v.act.Type)
		}
		return addressSource{expr: "d." + store.Quote(attr)}, nil
	case "push":
		if t.Push == nil {
			return addressSource{}, fmt.Errorf("%s: %s declares no push devices", v.act.ID, dim.Name)
		}
		_, hop, err := audience.ResolveLink(v.st.model, dim, t.Push.Link)
		if err != nil {
			return addressSource{}, fmt.Errorf("%s: push devices: %w", v.act.ID, err)
		}
		src := addressSource{
			expr:      "dv." + store.Quote(t.Push.Token),
			join:      "LEFT JOIN " + store.Quote(hop.To.Name) + " dv ON " + joinOn("dv", hop.ToCols, "d", hop.FromCols),
			perDevice: true,
		}
		if t.Push.Platform != "" {
			src.platform = "dv." + store.Quote(t.Push.Platform)
		}
		if t.Push.Active != "" {
			src.active = "dv." + store.Quote(t.Push.Active)
		}
		return src, nil
	}
	return addressSource{}, fmt.Errorf("%s: %s is not a channel", v.act.ID, v.act.Type)
}

// joinOn renders a.ac[i] = b.bc[i] AND … with quoted columns.
func joinOn(a string, ac []string, b string, bc []string) string {
	parts := make([]string, len(ac))
	for i := range ac {
		parts[i] = a + "." + store.Quote(ac[i]) + " = " + b + "." + store.Quote(bc[i])
	}
	return strings.Join(parts, " AND ")
}
