package engine

import (
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
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
	candidates, err := v.compiler().Candidates(v.act.Type, in.Table, dim.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	o := newOutboxWrite(v, in, dim, candidates)
	// Where the writer numbers the rows, in key order after the highest
	// number so far, appends are serialised so that two activities never
	// read the same highest number (see store.Outbox.Fill).
	release := v.e.store.Outbox().Append()
	defer release()
	// The run stays held until the messages are written, so that a stop
	// or a pause comes wholly before them or after them (see write).
	if err := v.e.inRun(v.ctx, v.st.run.ID, o.write); err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	return passThrough(v, "out")
}

// DefaultOutboxSlice is how many recipients the embedded store's channel
// activity writes per statement. One statement for a whole population
// sorts it at once: 1M recipients failed under a 64 MB store limit (and
// took 6.7 s under 128 MB); slices of 100 000 keys write them under 64 MB
// in the same time (measured).
const DefaultOutboxSlice = 100_000

// outboxWrite is one channel activity's outbox write: the candidates,
// SQL the working-table compiler generates over the population and its
// dimension (worktable.Compiler.Candidates), that the store writes.
type outboxWrite struct {
	v    *env
	fill store.OutboxFill
}

func newOutboxWrite(v *env, in input, dim *datamodel.Entity, candidates func(where string) string) *outboxWrite {
	ready := store.MessagePending
	if v.st.doc.Policy.ConfirmSend {
		ready = store.MessageHeld
	}
	f := store.OutboxFill{
		Prefix: fmt.Sprintf("%d:%s:", v.st.run.ID, v.act.ID), RunID: v.st.run.ID, Activity: v.act.ID, Channel: v.act.Type,
		Dimension: dim.Name, Ready: ready, Now: v.now.UTC(), Candidates: candidates,
		Population: in.Table, Key: dim.Key, KeyType: v.e.store.Dialect.ColumnType(dim.Attribute(dim.Key[0])), Slice: v.e.OutboxSlice,
	}
	if f.Slice <= 0 {
		f.Slice = DefaultOutboxSlice
	}
	return &outboxWrite{v: v, fill: f}
}

// write writes the outbox in tx (see store.Outbox.Fill: one message per
// recipient and address, copies to one address excluded, written once).
// A run stopped meanwhile writes nothing; one paused meanwhile writes its
// messages held until it resumes.
func (o *outboxWrite) write(tx *store.Tx, status string) error {
	switch status {
	case RunStopped:
		return nil
	case RunPaused:
		if err := o.v.e.store.Outbox().On(tx).Fill(o.v.ctx, o.fill); err != nil {
			return err
		}
		_, err := o.v.e.pauseSend(o.v.ctx, tx, o.v.st.run.ID)
		return err
	}
	return o.v.e.store.Outbox().On(tx).Fill(o.v.ctx, o.fill)
}
