package engine

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
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
	addr, err := v.addressSource(dim)
	if err != nil {
		return nil, err
	}
	o := newOutboxWrite(v, in, dim, addr)
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
// SQL over the population and its dimension, that the store writes.
type outboxWrite struct {
	v    *env
	fill store.OutboxFill
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
	ready := store.MessagePending
	if v.st.doc.Policy.ConfirmSend {
		ready = store.MessageHeld
	}
	f := store.OutboxFill{
		Prefix: fmt.Sprintf("%d:%s:", v.st.run.ID, v.act.ID), RunID: v.st.run.ID, Activity: v.act.ID, Channel: v.act.Type,
		Dimension: dim.Name, Ready: ready, Now: v.now.UTC(),
		Population: in.Table, Key: dim.Key, KeyType: v.e.store.Dialect.ColumnType(dim.Attribute(dim.Key[0])), Slice: v.e.OutboxSlice,
	}
	if f.Slice <= 0 {
		f.Slice = DefaultOutboxSlice
	}
	f.Candidates = func(where string) string {
		return fmt.Sprintf(`SELECT %s AS id, %s || '}' AS recipient, CAST(%s AS VARCHAR) AS address, %s AS platform, %s AS active, %s
			FROM %s w JOIN %s d ON %s %s %s`,
			id, strings.Join(recipient, " || "), addr.expr, platform, active, strings.Join(sortKeys, ", "),
			store.Quote(in.Table), store.Quote(dim.Name), joinOn("d", dim.Key, "w", dim.Key), addr.join, where)
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
