package delivery

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Renderer turns claimed outbox rows into messages in two steps: Load
// reads what a batch needs at once (profiles and linked rows, a query per
// batch), and the function it returns renders the batch's i-th row, so
// that only the chunk being sent is held rendered. An error fails that
// row alone.
type Renderer interface {
	Load(ctx context.Context, rows []Row) RenderFunc
}

// RenderFunc renders the i-th row of a loaded batch.
type RenderFunc func(i int) (*channel.Message, error)

// Reconciler is a provider that can tell whether it has a message (the
// sandbox can; SMTP cannot): in-doubt messages are settled with it.
type Reconciler interface {
	Has(ctx context.Context, ids []string) (map[string]bool, error)
}

// Config configures a Dispatcher.
type Config struct {
	Store     *store.Store
	Log       *slog.Logger
	Providers map[string]channel.Provider // by channel
	Renderer  Renderer
	Owner     string
	// Lease is how long a claim lasts; Batch how many messages a claim
	// takes; MaxAttempts how often a transient failure is retried.
	Lease       time.Duration
	Batch       int
	MaxAttempts int
	Now         func() time.Time
	// ProviderRate caps each channel's provider, in messages per second
	// from this process (see pacer); an activity's own rate applies too.
	ProviderRate map[string]float64
	// Loops is how many batches Run works on at once (DefaultLoops):
	// while one waits on the provider, another renders or records.
	Loops int
	// Chunk is the most messages marked sending and handed to the
	// provider at once (see SendChunk); fewer for a provider with fewer
	// connections (see window).
	Chunk int
	// StopGrace is how long hand-overs in progress when ctx ends may take
	// to finish and be recorded (DefaultStopGrace); past it they are cut
	// off, in doubt.
	StopGrace time.Duration
}

// DefaultLoops is how many batches a dispatcher works on at once.
const DefaultLoops = 4

// DefaultBatch is how many messages a claim takes: each claim, and each
// batch's loading of profiles, is a statement of its own.
const DefaultBatch = 512

// Dispatcher sends the outbox.
type Dispatcher struct {
	cfg     Config
	pacer   pacer
	outages outages
	cur     cursor
	key     keyCursor
	leases  leases // the messages held on PostgreSQL (see keepLeases)
	// windows bound the messages marked sending, by channel: set by New,
	// read only after.
	windows map[string]*window
}

// keyCursor is where claims on PostgreSQL read next: the key of the last
// message claimed, in the order of the index of due messages (see claim).
type keyCursor struct {
	mu       sync.Mutex
	set      bool
	run      int64
	activity string
	message  string
	restart  time.Time
}

// cursor is where claims on the embedded store read next, and which rows
// this dispatcher's loops hold (see claimEmbedded).
type cursor struct {
	mu       sync.Mutex
	after    int64 // the last seq read
	restart  time.Time
	inFlight map[int64]bool
}

// New returns a dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Loops <= 0 {
		cfg.Loops = DefaultLoops
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = SendChunk
		if cfg.Store.Embedded() {
			cfg.Chunk = EmbeddedSendChunk
		}
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	windows := make(map[string]*window, len(cfg.Providers))
	for ch, p := range cfg.Providers {
		if p != nil {
			windows[ch] = newWindow(p, cfg.Chunk)
		}
	}
	return &Dispatcher{cfg: cfg, windows: windows}
}

// Run sends until ctx ends. While the outbox has nothing due, one loop
// polls it and the others wait for that one to find work: an idle server
// reads the outbox once a poll, not once a poll per loop.
func (d *Dispatcher) Run(ctx context.Context, poll time.Duration) error {
	if _, _, err := d.Recover(ctx); err != nil {
		return err
	}
	wake := make(chan struct{}, d.cfg.Loops)
	var wg sync.WaitGroup
	// Leases are kept until the loops are done, past ctx: a stop's last
	// hand-overs are recorded under them.
	defer d.keepLeases(ctx)()
	for i := range d.cfg.Loops {
		wg.Go(func() {
			for ctx.Err() == nil {
				n, err := d.DispatchOnce(ctx)
				if err != nil && ctx.Err() == nil {
					d.cfg.Log.Error("dispatch", "err", err)
				}
				if n > 0 && err == nil {
					// There may be more: the waiting loops take part.
					for range d.cfg.Loops - 1 {
						select {
						case wake <- struct{}{}:
						default:
						}
					}
					continue
				}
				var next <-chan time.Time
				if i == 0 {
					next = time.After(poll)
				}
				select {
				case <-ctx.Done():
				case <-next:
				case <-wake:
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// Recover settles the messages of dispatchers that died: claimed ones go
// back to pending (they were never handed to a provider); sending ones are
// in doubt, then settled by the provider where it can tell. On the embedded
// store, whose file one process owns, every such message was a previous
// process's; on PostgreSQL only those whose lease expired, and Run goes on
// recovering those while it runs (see keepLeases).
func (d *Dispatcher) Recover(ctx context.Context) (returned, inDoubt int64, err error) {
	if returned, inDoubt, err = d.expire(ctx, d.cfg.Store.Embedded()); err != nil {
		return returned, inDoubt, err
	}
	return returned, inDoubt, d.reconcile(ctx)
}

// reconcile asks providers that can tell whether they have the in-doubt
// messages: those they have are sent, the others go back to pending.
func (d *Dispatcher) reconcile(ctx context.Context) error {
	for ch, p := range d.cfg.Providers {
		r, ok := p.(Reconciler)
		if !ok {
			continue
		}
		rows, err := d.cfg.Store.DB.QueryContext(ctx, `SELECT message_id, seq FROM ff_outbox WHERE status = 'in_doubt' AND channel = $1`, ch)
		if err != nil {
			return err
		}
		var doubt []Row
		for rows.Next() {
			var r Row
			if err := rows.Scan(&r.MessageID, &r.Seq); err != nil {
				rows.Close()
				return err
			}
			doubt = append(doubt, r)
		}
		rows.Close()
		if len(doubt) == 0 {
			continue
		}
		has, err := r.Has(ctx, ids(doubt))
		if err != nil {
			return fmt.Errorf("reconcile %s: %w", ch, err)
		}
		var sent, unsent []Row
		for _, r := range doubt {
			if has[r.MessageID] {
				sent = append(sent, r)
			} else {
				unsent = append(unsent, r)
			}
		}
		now := d.cfg.Now().UTC()
		inDoubt := fence{status: []string{StatusInDoubt}}
		if err := d.setStatus(ctx, sent, StatusSent, "", now, inDoubt); err != nil {
			return err
		}
		if err := d.setStatus(ctx, unsent, StatusPending, "", now, inDoubt); err != nil {
			return err
		}
	}
	return nil
}

// DispatchOnce claims one batch and takes it to its outcomes; it returns
// how many messages it claimed.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	var (
		rows []Row
		err  error
	)
	if d.cfg.Store.Embedded() {
		rows, err = d.claimEmbedded(ctx)
		defer d.release(rows)
	} else {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		// A claim cut off by a stop could be written and its rows never
		// read: they would wait for their lease to run out. It completes,
		// and dispatch returns them to the queue.
		rows, err = d.claim(context.WithoutCancel(ctx))
		d.leases.hold(rows)
		defer d.leases.drop(rows)
	}
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	byChannel := map[string][]Row{}
	for _, r := range rows {
		byChannel[r.Channel] = append(byChannel[r.Channel], r)
	}
	for ch, group := range byChannel {
		if err := d.dispatch(ctx, ch, group); err != nil {
			// A stop or a failure: what is still claimed was never handed
			// over and goes back to the queue now, not when its lease
			// runs out.
			now := d.cfg.Now().UTC()
			if gerr := d.requeue(context.WithoutCancel(ctx), rows, StatusPending, "", time.Time{}, now); gerr != nil {
				err = fmt.Errorf("%w; and returning the claimed messages to the queue: %w", err, gerr)
			}
			return len(rows), err
		}
	}
	return len(rows), nil
}

// rowColumns are the outbox columns a Row holds.
const rowColumns = `message_id, run_id, activity_id, channel, coalesce(dimension, ''), recipient, coalesce(address, ''), coalesce(platform, ''), coalesce(attempts, 0), seq`

func scanRow(rs *sql.Rows, more ...any) (Row, error) {
	var r Row
	err := rs.Scan(append([]any{&r.MessageID, &r.RunID, &r.Activity, &r.Channel, &r.Dimension, &r.Recipient, &r.Address, &r.Platform, &r.Attempts, &r.Seq}, more...)...)
	return r, err
}

// due is the condition of a message ready to go, with the time as $1.
const due = `(status = 'pending' OR (status = 'retry' AND retry_at <= $1))`

// claim leases a batch of due messages on PostgreSQL, older runs first
// (read in that order from a partial index); FOR UPDATE SKIP LOCKED lets
// the dispatchers of several nodes share the outbox.
//
// Claims read on from the last key claimed: a message leaves the index's
// condition as it is claimed, but its entry stays in the index until the
// table is vacuumed, so a claim from the start steps over every message
// sent so far (twice the time of a claim at 500 000 sent, without
// autovacuum). The cursor goes back to the start when a claim comes short
// of a batch (the end, or rows other nodes hold), at least once a
// backoff (for retries and returned leases behind it), and is not used
// while an activity or provider has no budget left (its rows are
// skipped, not taken, and must not fall behind the cursor).
func (d *Dispatcher) claim(ctx context.Context) ([]Row, error) {
	now := d.cfg.Now().UTC()
	// Messages whose activity or provider has no budget left are left for
	// later, so that a batch goes to those that can send.
	spent, spentArgs := d.notExhausted(now, 4)
	k := &d.key
	k.mu.Lock()
	if now.Sub(k.restart) >= backoff {
		k.set, k.restart = false, now
	}
	from, fromArgs := "", []any(nil)
	if k.set && spent == "" {
		n := 4 + len(spentArgs)
		from = fmt.Sprintf(" AND (run_id, activity_id, message_id) > ($%d, $%d, $%d)", n+1, n+2, n+3)
		fromArgs = []any{k.run, k.activity, k.message}
	}
	k.mu.Unlock()
	out, last, err := d.claimFrom(ctx, now, spent+from, append(spentArgs, fromArgs...))
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	// Loops claim at once: the cursor may go back to a batch that ended
	// before another's, which costs that claim a few rows stepped over.
	switch {
	case spent != "" || len(out) < d.cfg.Batch:
		k.set = false
	case last != nil:
		k.set, k.run, k.activity, k.message = true, last.RunID, last.Activity, last.MessageID
	}
	k.mu.Unlock()
	if len(out) == 0 && from != "" {
		// Nothing after the cursor: from the start, at once.
		out, _, err = d.claimFrom(ctx, now, spent, spentArgs)
	}
	return out, err
}

// claimFrom claims one batch under a condition; last is the batch's last
// row in the index's order, as the server sorts it.
func (d *Dispatcher) claimFrom(ctx context.Context, now time.Time, cond string, args []any) (out []Row, last *Row, err error) {
	// The batch is locked once, in a CTE of its own, then updated by key:
	// as "message_id IN (subquery)", a plan made on the statistics of an
	// empty outbox ran the locking subquery again for every row of a 1M-row
	// one.
	rs, err := d.cfg.Store.DB.QueryContext(ctx, `WITH batch AS MATERIALIZED (
			SELECT message_id AS claimed, run_id AS k1, activity_id AS k2 FROM ff_outbox WHERE `+due+cond+` ORDER BY run_id, activity_id, message_id LIMIT $4 FOR UPDATE SKIP LOCKED),
		tail AS (SELECT claimed FROM batch ORDER BY k1 DESC, k2 DESC, claimed DESC LIMIT 1)
		UPDATE ff_outbox SET status = 'claimed', lease_owner = $2, lease_until = $3,
		attempts = coalesce(attempts, 0) + 1, updated_at = $1 FROM batch WHERE message_id = batch.claimed
		RETURNING `+rowColumns+`, message_id = (SELECT claimed FROM tail)`,
		append([]any{now, d.cfg.Owner, now.Add(d.cfg.Lease), d.cfg.Batch}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("claim messages: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var isLast bool
		r, err := scanRow(rs, &isLast)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
		if isLast {
			last = &out[len(out)-1]
		}
	}
	return out, last, rs.Err()
}

// claimEmbedded takes a batch of due messages on the embedded store without
// writing: one process owns the file, so the rows this dispatcher's loops
// hold are kept in memory, and a row is the store's "ours" only once the
// update that marks it sending has moved it (so that two dispatchers on one
// file still never both send it). Claims walk the outbox by seq, the order
// rows were written (older runs first), from a cursor, a window of seq at a
// time, so that each reads the row groups of its window alone, not every
// row after the cursor (13 ms a claim at 200 000 rows); past a window with
// nothing more due, one query finds the next due message. The cursor goes
// back to the start at the end of the outbox, and at least once a backoff,
// for retries that came due behind it.
func (d *Dispatcher) claimEmbedded(ctx context.Context) ([]Row, error) {
	c := &d.cur
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight == nil {
		c.inFlight = map[int64]bool{}
	}
	now := d.cfg.Now().UTC()
	if now.Sub(c.restart) >= backoff {
		c.after, c.restart = 0, now
	}
	spent, spentArgs := d.notExhausted(now, 4)
	span := int64(d.cfg.Batch) * 4
	started, wrapped := c.after, false
	var out []Row
	for len(out) < d.cfg.Batch {
		upto, limit := c.after+span, d.cfg.Batch-len(out)
		rs, err := d.cfg.Store.DB.QueryContext(ctx, `SELECT `+rowColumns+` FROM ff_outbox WHERE seq > $2 AND seq <= $3 AND `+due+spent+` ORDER BY seq LIMIT $4`,
			append([]any{now, c.after, upto, limit}, spentArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		read := 0
		for rs.Next() {
			r, err := scanRow(rs)
			if err != nil {
				rs.Close()
				return nil, err
			}
			read++
			c.after = r.Seq
			if !c.inFlight[r.Seq] {
				out = append(out, r)
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
		if read == limit {
			continue
		}
		// Nothing more is due in the window: on to the next due message,
		// or back to the start past the last.
		var next sql.NullInt64
		spent, spentArgs := d.notExhausted(now, 2)
		if err := d.cfg.Store.DB.QueryRowContext(ctx, `SELECT min(seq) FROM ff_outbox WHERE seq > $2 AND `+due+spent,
			append([]any{now, upto}, spentArgs...)...).Scan(&next); err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		if next.Valid {
			c.after = next.Int64 - 1
			continue
		}
		c.after, c.restart = 0, now
		if started == 0 || wrapped || len(out) > 0 {
			break
		}
		wrapped = true
	}
	for _, r := range out {
		c.inFlight[r.Seq] = true
	}
	return out, nil
}

// release forgets rows a loop held on the embedded store.
func (d *Dispatcher) release(rows []Row) {
	d.cur.mu.Lock()
	for _, r := range rows {
		delete(d.cur.inFlight, r.Seq)
	}
	d.cur.mu.Unlock()
}

// dispatch applies the checks, renders, sends and records one channel's
// claimed rows.
func (d *Dispatcher) dispatch(ctx context.Context, ch string, rows []Row) (err error) {
	now := d.cfg.Now().UTC()
	p := d.cfg.Providers[ch]
	if p == nil {
		return d.setStatus(ctx, rows, StatusFailed, ReasonNoProvider, now, d.held())
	}
	excluded, err := d.check(ctx, ch, rows)
	if err != nil {
		return err
	}
	out := map[string]bool{}
	for reason, list := range excluded {
		if err := d.setStatus(ctx, list, StatusExcluded, reason, now, d.held()); err != nil {
			return err
		}
		for _, r := range list {
			out[r.MessageID] = true
		}
	}
	var keep []Row
	for _, r := range rows {
		if !out[r.MessageID] {
			keep = append(keep, r)
		}
	}
	if keep, err = d.pace(ctx, ch, keep); err != nil {
		return err
	}
	if len(keep) == 0 {
		return nil
	}
	return d.sendWindows(ctx, ch, p, keep, d.cfg.Renderer.Load(ctx, keep), now)
}

// SendChunk is the most messages marked sending and handed to the
// provider at once (a window, see window), by default; a provider with
// fewer connections gets windows of its connections. A loop holds a
// window rendered (~24 KB a message for a typical email). Before windows
// were bounded by connections, twice as many sent 1M emails 8 % faster on
// PostgreSQL, but `fanfare serve` peaked at 99 MB RSS instead of 74. On
// the embedded store, where DuckDB charges a statement ~1.5 ms whatever
// its rows and its own memory dwarfs ~15 MB of Go heap, twice as many
// (EmbeddedSendChunk): 10–15 % more messages per second (measured, 20 000
// emails over SMTP).
const (
	SendChunk         = 64
	EmbeddedSendChunk = 2 * SendChunk
)

// fence limits an update to the rows a dispatcher may change: those it
// holds (owner) and, when set, in one of some statuses.
type fence struct {
	owner  string
	status []string
}

// held fences updates to rows this dispatcher claimed and has not handed
// to a provider: leased to it on PostgreSQL; on the embedded store, where
// claims are not written, still due.
func (d *Dispatcher) held() fence {
	if d.cfg.Store.Embedded() {
		return fence{status: []string{StatusPending, StatusRetry}}
	}
	return fence{owner: d.cfg.Owner, status: []string{StatusClaimed}}
}

// delivered is a chunk on its way to a provider: rows to mark sending (of
// which advance keeps those it moved), then, once the provider took them,
// the rows it accepted with its references.
type delivered struct {
	provider string
	rows     []Row
	refs     []string // the provider's reference of each row, once sent
	kept     []int    // which of the rows advance moved to sending
}

// keep returns the messages of the rows advance moved.
func (c *delivered) keep(msgs []*channel.Message) []*channel.Message {
	out := make([]*channel.Message, len(c.kept))
	for i, k := range c.kept {
		out[i] = msgs[k]
	}
	return out
}

// advance records the messages a provider accepted (done) as sent and
// marks the next chunk (next) sending, the last write before the provider,
// in one statement: per chunk, DuckDB charges an update by the row group it
// touches far more than by the rows, so this halves the outbox's cost of a
// message. Only the rows of next that the update moved may be sent (kept):
// a row it did not move is no longer this dispatcher's (its lease ran out
// and another node took it, or another dispatcher on the same file marked
// it first). Owner must name this dispatcher alone, as leases require.
// Either may be nil.
func (d *Dispatcher) advance(ctx context.Context, done, next *delivered) error {
	var sent, sending []Row
	if done != nil {
		sent = done.rows
	}
	if next != nil {
		sending = next.rows
	}
	if len(sent)+len(sending) == 0 {
		return nil
	}
	embedded := d.cfg.Store.Embedded()
	args := []any{d.cfg.Now().UTC()}
	bind := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// The owner: of the rows going out, and of the sent ones where they are
	// fenced (below).
	owner := ""
	if len(sending) > 0 || !embedded {
		owner = bind(d.cfg.Owner)
	}
	// On PostgreSQL a row going out is leased anew: a node recovering
	// expired leases finds it in doubt only once it has been sending for
	// a lease, not because its claim waited for its window.
	lease := ""
	if len(sending) > 0 && !embedded {
		lease = "CAST(" + bind(d.cfg.Now().UTC().Add(d.cfg.Lease)) + " AS TIMESTAMPTZ)"
	}
	ref, provider := "", ""
	if len(sent) > 0 {
		refs := bind(done.refs)
		if embedded {
			ref = `list_extract(CAST(` + refs + ` AS VARCHAR[]), list_position(CAST(` + bind(seqs(sent)) + ` AS BIGINT[]), seq))`
		} else {
			ref = `(CAST(` + refs + ` AS TEXT[]))[array_position(CAST(` + bind(ids(sent)) + ` AS TEXT[]), message_id)]`
		}
		provider = bind(done.provider)
	}
	// Each column's value for a sent row and for one going out; "" leaves
	// it as it is. The two kinds of rows in one update differ by status:
	// the held fence admits no row being sent.
	cols := [][3]string{
		{"status", "'sent'", "'sending'"},
		{"sent_at", "$1", ""},
		{"provider", provider, ""},
		{"provider_id", ref, ""},
		{"reason", "NULL", ""},
		{"lease_owner", "NULL", owner},
		{"lease_until", "NULL", lease},
	}
	if embedded {
		// The claim was not written: the attempt counts from here.
		cols = append(cols, [3]string{"attempts", "", "coalesce(attempts, 0) + 1"})
	}
	var set strings.Builder
	set.WriteString("updated_at = $1")
	for _, c := range cols {
		name, v := c[0], ""
		switch {
		case len(sending) == 0:
			v = c[1]
		case len(sent) == 0:
			v = c[2]
		default:
			v = "CASE WHEN status = 'sending' THEN " + cmp.Or(c[1], name) + " ELSE " + cmp.Or(c[2], name) + " END"
		}
		if v != "" {
			set.WriteString(", " + name + " = " + v)
		}
	}
	// The fences: a sent row is this dispatcher's and being sent; one going
	// out is held. On the embedded store nothing else changes a message
	// being sent, and reading the two just-updated columns across the row
	// group would be half the cost of a sent-only update: no fence there.
	sentFence, heldFence := fenceSQL(d.sent(), owner), fenceSQL(d.held(), owner)
	fences := "(" + sentFence + " OR " + heldFence + ")"
	switch {
	case len(sending) == 0 && embedded:
		fences = "TRUE"
	case len(sending) == 0:
		fences = sentFence
	case len(sent) == 0:
		fences = heldFence
	}
	where, args := d.where(slices.Concat(sent, sending), fence{}, args)
	// RETURNING would tell which rows moved, but costs DuckDB three times
	// the update; the count tells that all did, nearly always.
	res, err := d.cfg.Store.DB.ExecContext(ctx, `UPDATE ff_outbox SET `+set.String()+` WHERE `+where+` AND `+fences, args...)
	if err != nil {
		return fmt.Errorf("record sent messages and set the next sending: %w", err)
	}
	if next == nil {
		return nil
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	all := int(n) == len(sent)+len(sending)
	moved := map[string]bool{}
	if !all {
		where, args := d.where(sending, d.sent(), nil)
		rs, err := d.cfg.Store.DB.QueryContext(ctx, `SELECT message_id FROM ff_outbox WHERE `+where, args...)
		if err != nil {
			return fmt.Errorf("read messages set sending: %w", err)
		}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return err
			}
			moved[id] = true
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		d.cfg.Log.Warn("messages taken by another dispatcher before they were sent; left to it", "messages", len(sending)-len(moved))
	}
	next.rows, next.kept = sending[:0:0], nil
	for i, r := range sending {
		if !all && !moved[r.MessageID] {
			continue
		}
		if embedded {
			r.Attempts++
		}
		next.rows, next.kept = append(next.rows, r), append(next.kept, i)
	}
	return nil
}

// fenceSQL is a fence's condition, with the owner as the given parameter.
// Statuses are this package's constants, written inline.
func fenceSQL(f fence, owner string) string {
	var conds []string
	if f.owner != "" {
		conds = append(conds, "lease_owner = "+owner)
	}
	if len(f.status) > 0 {
		conds = append(conds, "status IN ('"+strings.Join(f.status, "', '")+"')")
	}
	if len(conds) == 0 {
		return "TRUE"
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// where returns the condition that picks rows out of the outbox within a
// fence, its arguments appended to args: on PostgreSQL by message_id,
// through the primary key. DuckDB would scan the whole outbox for a list
// of message ids (6 ms for 64 rows in a 1M-row outbox), so there rows are
// picked by seq, whose range lets the scan skip the row groups outside it;
// a chunk is most often a whole range, which needs no list at all.
func (d *Dispatcher) where(rows []Row, f fence, args []any) (string, []any) {
	var b strings.Builder
	if d.cfg.Store.Embedded() {
		seqs := seqs(rows)
		distinct := make(map[int64]bool, len(rows))
		for _, s := range seqs {
			distinct[s] = true
		}
		lo, hi := slices.Min(seqs), slices.Max(seqs)
		args = append(args, lo, hi)
		fmt.Fprintf(&b, "seq BETWEEN $%d AND $%d", len(args)-1, len(args))
		if hi-lo+1 != int64(len(distinct)) {
			args = append(args, seqs)
			fmt.Fprintf(&b, " AND list_contains(CAST($%d AS BIGINT[]), seq)", len(args))
		}
	} else {
		args = append(args, ids(rows))
		fmt.Fprintf(&b, "message_id = ANY($%d)", len(args))
	}
	if f.owner != "" || len(f.status) > 0 {
		owner := ""
		if f.owner != "" {
			args = append(args, f.owner)
			owner = fmt.Sprintf("$%d", len(args))
		}
		b.WriteString(" AND " + fenceSQL(f, owner))
	}
	return b.String(), args
}

// sent fences the outcome of rows this dispatcher handed to a provider.
func (d *Dispatcher) sent() fence {
	return fence{owner: d.cfg.Owner, status: []string{StatusSending}}
}

// record writes the provider's outcomes but for sent messages, which it
// returns for advance to record.
func (d *Dispatcher) record(ctx context.Context, provider string, rows []Row, results []channel.Result, outage bool) (*delivered, error) {
	now := d.cfg.Now().UTC()
	byID := make(map[string]Row, len(rows))
	for _, r := range rows {
		byID[r.MessageID] = r
	}
	sent := &delivered{provider: provider}
	groups := map[outcome][]Row{}
	add := func(k outcome, r Row) { groups[k] = append(groups[k], r) }
	deadTokens := map[string][]string{} // by dimension
	jitter := newJitter()
	for _, res := range results {
		r, ok := byID[res.ID]
		if !ok {
			continue
		}
		if res.Deactivate {
			// The provider says the address is dead for good (an
			// unregistered push token): no campaign sends to it again.
			if err := Suppress(ctx, d.cfg.Store, r.Channel, r.Address, "deactivated: "+clip(res.Error), now); err != nil {
				d.cfg.Log.Warn("deactivate address", "channel", r.Channel, "err", err)
			}
			if r.Channel == channel.Push {
				deadTokens[r.Dimension] = append(deadTokens[r.Dimension], r.Address)
			}
		}
		if res.OptedOut {
			// The recipient told the provider to stop (an SMS STOP
			// reply): every campaign respects it from now on.
			if err := SetConsent(ctx, d.cfg.Store, r.Dimension, r.Recipient, r.Channel, OptOut, "provider:"+provider, now); err != nil {
				d.cfg.Log.Warn("record an opt-out the provider reported", "channel", r.Channel, "err", err)
			}
		}
		switch res.Outcome {
		case channel.Sent:
			sent.rows, sent.refs = append(sent.rows, r), append(sent.refs, res.ProviderID)
		case channel.Permanent:
			add(outcome{StatusFailed, clip(res.Error), false, 0}, r)
		case channel.Transient:
			delay := retryDelay(r.Attempts, res.RetryAfter, jitter)
			if outage || res.Setup {
				// The provider failed, or its configuration, not this
				// message: it is retried without the attempt counting.
				add(outcome{StatusRetry, clip(res.Error), true, delay}, r)
			} else if r.Attempts >= d.cfg.MaxAttempts {
				add(outcome{StatusFailed, ReasonRetriesExceeded + ": " + clip(res.Error), false, 0}, r)
			} else {
				add(outcome{StatusRetry, clip(res.Error), false, delay}, r)
			}
		default:
			add(outcome{StatusInDoubt, clip(res.Error), false, 0}, r)
		}
	}
	for dim, tokens := range deadTokens {
		if _, err := DeactivateDevices(ctx, d.cfg.Store, dim, tokens); err != nil {
			d.cfg.Log.Warn("deactivate devices", "err", err)
		}
	}
	for k, list := range groups {
		if err := d.setOutcome(ctx, list, k, now, d.sent()); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// outcome is what setOutcome writes: a status and its reason, and for a
// retry whether its attempt is given back (the provider failed, not the
// message) and how long it waits (0: backoff).
type outcome struct {
	status, reason string
	forgive        bool
	delay          time.Duration
}

// setStatus moves messages to a status with a reason; retried ones come
// due after a backoff.
func (d *Dispatcher) setStatus(ctx context.Context, rows []Row, status, reason string, now time.Time, f fence) error {
	return d.setOutcome(ctx, rows, outcome{status: status, reason: reason}, now, f)
}

func (d *Dispatcher) setOutcome(ctx context.Context, rows []Row, o outcome, now time.Time, f fence) error {
	status, set := o.status, ""
	if o.forgive {
		set = ", attempts = greatest(coalesce(attempts, 1) - 1, 0)"
	}
	if status != StatusSending && status != StatusClaimed {
		set += ", lease_owner = NULL, lease_until = NULL"
	}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		args := []any{status, nullable(o.reason), now, now.Add(cmp.Or(o.delay, backoff))}
		where, args := d.where(rows[:n], f, args)
		q := `UPDATE ff_outbox SET status = $1, reason = $2, updated_at = $3, retry_at = CASE WHEN $1 = 'retry' THEN CAST($4 AS TIMESTAMPTZ) ELSE NULL END` + set +
			` WHERE ` + where
		if _, err := d.cfg.Store.DB.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("set messages %s: %w", status, err)
		}
		rows = rows[n:]
	}
	return nil
}

// backoff delays a retried message after its first attempt (see
// retryDelay).
const backoff = 30 * time.Second

func seqs(rows []Row) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.Seq
	}
	return out
}

func ids(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.MessageID
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
