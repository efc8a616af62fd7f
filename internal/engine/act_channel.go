package engine

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func init() {
	for _, typ := range []string{"email", "sms", "push"} {
		register(typ, channel)
	}
}

// Outbox statuses written here; package delivery moves them on.
const (
	outboxPending  = "pending"
	outboxHeld     = "held" // waiting for an operator's confirm send
	outboxExcluded = "excluded"
)

// channel hands the population to the outbox in live runs, in one
// statement: one message per recipient and address — per device for push —
// with a deterministic id "<run>:<activity>:<key values joined by '|'>"
// (plus "|<token>" for push), so a retried activity adds nothing (ON
// CONFLICT DO NOTHING on PostgreSQL; on the embedded store, whose outbox
// has no key, the activity's rows being there). Recipients without an
// address, devices the model marks inactive, and every copy after the
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
	var ids, recipient, keys []string
	for i, k := range dim.Key {
		col := "w." + store.Quote(k)
		keys = append(keys, col)
		ids = append(ids, "CAST("+col+" AS VARCHAR)")
		sep := ","
		if i == 0 {
			sep = "{"
		}
		// Key names are identifiers checked against the data model.
		recipient = append(recipient, "'"+sep+`"`+k+`":' || CAST(to_json(`+col+") AS VARCHAR)")
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
	// Rows are written in the order of the dimension's key, so that a
	// dispatcher's batch (rows written together) holds a narrow range of
	// keys, and loading its profiles reads the row groups of that range
	// alone (DuckDB keeps no index on the dimension's key).
	sortKeys, order, ranked := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	cols := []string{"id", "recipient", "address", "platform", "active"}
	for i, k := range keys {
		sortKeys[i], order[i], ranked[i] = fmt.Sprintf("%s AS k%d", k, i), fmt.Sprintf("x.k%d", i), fmt.Sprintf("s.k%d", i)
		cols = append(cols, fmt.Sprintf("k%d", i))
	}
	base := fmt.Sprintf(`SELECT %s AS id, %s || '}' AS recipient, CAST(%s AS VARCHAR) AS address, %s AS platform, %s AS active, %s
		FROM %s w JOIN %s d ON %s %s`,
		id, strings.Join(recipient, " || "), addr.expr, platform, active, strings.Join(sortKeys, ", "),
		store.Quote(in.Table), store.Quote(dim.Name), joinOn("d", dim.Key, "w", dim.Key), addr.join)
	// Every copy after the first to one address is excluded, and one row
	// stays per message id (a recipient twice in the working table, or a
	// device token listed twice for one recipient, would repeat it). Rows
	// that share an id or an address are few: they alone are ranked, the
	// others pass as first copies. Ranking every row (a window partitioned
	// by address over the whole population) needed more than 256 MB of
	// DuckDB memory at 1M recipients, and failed under such a limit; two
	// counts by id and by address spill to disk where they must. An
	// inactive device's copy does not count against the active ones sharing
	// its token: active devices rank first.
	rows := `WITH base AS (` + base + `),
		shared_ids AS (SELECT id FROM base GROUP BY id HAVING count(*) > 1),
		shared_addresses AS (SELECT lower(address) AS a FROM base WHERE address IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
		ranked AS (SELECT s.*, row_number() OVER (PARTITION BY lower(s.address) ORDER BY s.active DESC, ` + strings.Join(ranked, ", ") + `) AS copy FROM base s
			WHERE s.id IN (SELECT id FROM shared_ids) OR lower(s.address) IN (SELECT a FROM shared_addresses)),
		x AS (SELECT b.*, 1 AS copy FROM base b
				WHERE b.id NOT IN (SELECT id FROM shared_ids) AND (b.address IS NULL OR lower(b.address) NOT IN (SELECT a FROM shared_addresses))
			UNION ALL
			SELECT ` + strings.Join(cols, ", ") + `, copy FROM (SELECT r.*, row_number() OVER (PARTITION BY r.id ORDER BY r.copy) AS dup FROM ranked r) f WHERE f.dup = 1)`
	// An activity run twice (its job retried after a crash) writes once:
	// the insert is one statement, so its rows are all there or none.
	seqCol, seqVal, tail := "", "", ` ON CONFLICT DO NOTHING`
	if v.e.store.Embedded() {
		// On the embedded store rows are numbered here, in key order after
		// the highest number so far (see migration 0010), and appends are
		// serialised so that two activities never read the same highest
		// number. ON CONFLICT would write rows out of that order, so a
		// second run of the activity is told by its rows being there.
		seqCol = ", seq"
		seqVal = ", (SELECT coalesce(max(seq), 0) FROM ff_outbox) + row_number() OVER (ORDER BY " + strings.Join(order, ", ") + ")"
		tail = ` WHERE NOT EXISTS (SELECT 1 FROM ff_outbox o WHERE o.run_id = $2 AND o.activity_id = $3) ORDER BY ` + strings.Join(order, ", ")
		outboxAppend.Lock()
		defer outboxAppend.Unlock()
	}
	query := `INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, platform, status, reason, attempts, created_at, updated_at` + seqCol + `)
		` + rows + `
		SELECT x.id, $2, $3, $4, $5, x.recipient, x.address, x.platform,
			CASE WHEN x.address IS NULL OR x.address = '' OR NOT x.active OR x.copy > 1 THEN '` + outboxExcluded + `' ELSE $7 END,
			CASE WHEN x.address IS NULL OR x.address = '' THEN 'no_address' WHEN NOT x.active THEN 'inactive_device' WHEN x.copy > 1 THEN 'duplicate_address' END,
			0, $6, $6` + seqVal + `
		FROM x` + tail
	prefix := fmt.Sprintf("%d:%s:", v.st.run.ID, v.act.ID)
	ready := outboxPending
	if v.st.doc.Policy.ConfirmSend {
		ready = outboxHeld
	}
	args := []any{prefix, v.st.run.ID, v.act.ID, v.act.Type, dim.Name, v.now.UTC(), ready}
	if v.e.store.Embedded() {
		if err := v.exec(query, args...); err != nil {
			return nil, err
		}
		return passThrough(v, "out")
	}
	// PostgreSQL keeps the plans of the dispatchers' statements, made on
	// the outbox as it was: a 1M-message send claimed on a plan made for an
	// empty outbox took minutes a batch (measured). The outbox is analysed
	// in the transaction that writes it, so that its rows become visible
	// with statistics that count them, and the cached plans are dropped.
	tx, err := v.e.store.DB.BeginTx(v.ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(v.ctx, query, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	if _, err := tx.ExecContext(v.ctx, `ANALYZE ff_outbox`); err != nil {
		return nil, fmt.Errorf("%s: analyse the outbox: %w", v.act.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	return passThrough(v, "out")
}

// outboxAppend serialises writes to the embedded store's outbox (see
// channel).
var outboxAppend sync.Mutex

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
