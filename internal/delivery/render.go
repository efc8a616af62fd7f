package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// CampaignRenderer renders outbox rows with their channel activity's
// content: Liquid templates over each recipient's profile, linked data,
// the run's enrichment columns and the campaign's variables.
type CampaignRenderer struct {
	Store *store.Store
	// Links issues unsubscribe links; PublicURL is where the server that
	// answers them is reached (https://fanfare.example.com).
	Links     *Links
	PublicURL string
	// Budget bounds each message's render (zero: message's defaults).
	Budget message.Budget
	// TestSends says the messages rendered are tests (the sandbox's): they
	// are not tracked, their links left as written.
	TestSends bool
	// VERP, when set, gives each email its own envelope sender, which
	// bounces come back to (the sandbox's tests keep the From address).
	VERP *VERP

	mu       sync.Mutex
	prepared map[string]*preparedActivity
	docs     documents // shared with a dispatcher rendering with it (see New)
}

// documents holds the content of the runs being sent, each run's campaign
// document parsed once: the renderer reads its activities' content from
// it, the dispatcher their pacing.
type documents struct {
	mu   sync.Mutex
	runs map[int64]*runContent
}

// runContent is a run's campaign document, mode and parameters.
type runContent struct {
	doc    *campaign.Document
	mode   string
	params map[string]any
}

// documentError is a run's campaign document that does not read.
type documentError struct{ err error }

func (e documentError) Error() string { return e.err.Error() }
func (e documentError) Unwrap() error { return e.err }

// get returns a run's content, read once: store.ErrNotFound for a run that
// does not exist, a documentError for a document that does not read.
func (c *documents) get(ctx context.Context, s *store.Store, runID int64) (*runContent, error) {
	c.mu.Lock()
	rc := c.runs[runID]
	c.mu.Unlock()
	if rc != nil {
		return rc, nil
	}
	raw, err := s.Runs().Content(ctx, runID)
	if err != nil {
		return nil, err
	}
	d, err := campaign.Parse([]byte(raw.Document))
	if err != nil {
		return nil, documentError{err}
	}
	rc = &runContent{doc: d, mode: raw.Mode}
	_ = json.Unmarshal([]byte(raw.Params), &rc.params)
	c.mu.Lock()
	if c.runs == nil {
		c.runs = map[int64]*runContent{}
	}
	c.runs[runID] = rc
	c.mu.Unlock()
	return rc, nil
}

// preparedActivity is what rendering one run's activity needs, built once.
type preparedActivity struct {
	tmpl        *message.Template
	loader      *message.Loader
	dim         *datamodel.Entity
	channel     string
	input       string // the activity's input working table (enrichment columns)
	targetCols  []string
	unsubscribe bool
	tracking    string            // off, anonymous, identified
	utm         map[string]string // UTM parameters of tracked links
}

// Load reads what rendering the rows needs — each activity's compiled
// content, its recipients' profiles, linked rows and enrichment columns,
// a few queries per batch — and returns the function that renders one of
// them. A row whose activity or recipient cannot be loaded fails alone.
func (r *CampaignRenderer) Load(ctx context.Context, rows []Row) RenderFunc {
	type loaded struct {
		p         *preparedActivity
		c         message.Context
		untracked bool // the recipient opted out of tracking
		err       error
	}
	out := make([]loaded, len(rows))
	groups := map[string][]int{}
	for i, row := range rows {
		k := fmt.Sprintf("%d/%s", row.RunID, row.Activity)
		groups[k] = append(groups[k], i)
	}
	fail := func(idx []int, err error) {
		for _, i := range idx {
			if out[i].err == nil {
				out[i].err = err
			}
		}
	}
	for _, idx := range groups {
		first := rows[idx[0]]
		p, err := r.prepare(ctx, first.RunID, first.Activity)
		if err != nil {
			fail(idx, err)
			continue
		}
		keys := make([][]any, len(idx))
		for j, i := range idx {
			out[i].p = p
			if keys[j], err = recipientKey(p.dim, rows[i].Recipient); err != nil {
				out[i].err = err
			}
		}
		untracked, err := r.untracked(ctx, p, rows, idx)
		if err != nil {
			fail(idx, err)
			continue
		}
		target, err := r.target(ctx, p, keys)
		if err != nil {
			fail(idx, err)
			continue
		}
		ctxs, err := p.loader.Load(ctx, keys, target)
		if err != nil {
			fail(idx, err)
			continue
		}
		for j, i := range idx {
			c, ok := ctxs[message.KeyString(keys[j])]
			if !ok && out[i].err == nil {
				out[i].err = fmt.Errorf("the recipient %s is no longer in %s", rows[i].Recipient, p.dim.Name)
			}
			out[i].c, out[i].untracked = c, untracked[rows[i].Recipient]
		}
	}
	return func(i int) (*channel.Message, error) {
		if out[i].err != nil {
			return nil, out[i].err
		}
		return r.render(ctx, out[i].p, rows[i], out[i].c, out[i].untracked)
	}
}

// untracked returns the recipients of a group of rows who opted out of
// tracking (consent purpose "tracking"), when the activity tracks.
func (r *CampaignRenderer) untracked(ctx context.Context, p *preparedActivity, rows []Row, idx []int) (map[string]bool, error) {
	if p.tracking == TrackOff || p.tracking == "" {
		return nil, nil
	}
	keys := make([]string, len(idx))
	for j, i := range idx {
		keys[j] = rows[i].Recipient
	}
	out, err := r.Store.Consent().OptedOut(ctx, ConsentTracking, p.dim.Name, keys)
	if err != nil {
		return nil, fmt.Errorf("read tracking consent: %w", err)
	}
	return out, nil
}

func (r *CampaignRenderer) render(ctx context.Context, p *preparedActivity, row Row, c message.Context, untracked bool) (*channel.Message, error) {
	m := &channel.Message{ID: row.MessageID, Seq: row.Seq, Channel: row.Channel, To: row.Address, Platform: row.Platform}
	link := ""
	if p.unsubscribe && r.PublicURL != "" && r.Links != nil {
		tok, err := r.Links.Token(ctx, Unsubscribe{Dimension: p.dim.Name, ProfileKey: row.Recipient, Channel: row.Channel, MessageID: row.MessageID})
		if err != nil {
			return nil, err
		}
		link = strings.TrimRight(r.PublicURL, "/") + "/u/" + tok
		c["unsubscribe_url"] = link
	}
	var err error
	switch p.channel {
	case channel.Email:
		m.Email, err = p.tmpl.RenderEmail(c)
		if err == nil {
			m.Email.UnsubscribeURL = link
			if r.VERP != nil && !r.TestSends {
				m.Email.ReturnPath, err = r.VERP.Address(ctx, row.RunID, row.Seq)
			}
			if err == nil && !untracked {
				err = r.track(ctx, p, row, m.Email)
			}
		}
	case channel.SMS:
		m.SMS, err = p.tmpl.RenderSMS(c)
	case channel.Push:
		m.Push, err = p.tmpl.RenderPush(c)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// prepare compiles an activity's content once per run.
func (r *CampaignRenderer) prepare(ctx context.Context, runID int64, activity string) (*preparedActivity, error) {
	key := fmt.Sprintf("%d/%s", runID, activity)
	r.mu.Lock()
	p := r.prepared[key]
	r.mu.Unlock()
	if p != nil {
		return p, nil
	}
	rc, err := r.docs.get(ctx, r.Store, runID)
	var unread documentError
	if errors.As(err, &unread) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", runID, err)
	}
	d, mode := rc.doc, rc.mode
	a := d.Activity(activity)
	if a == nil {
		return nil, fmt.Errorf("run %d has no activity %s", runID, activity)
	}
	m, _, err := schema.Current(ctx, r.Store)
	if err != nil {
		return nil, err
	}
	vars := map[string]any{}
	for k, v := range d.Variables {
		vars[k] = v
	}
	for k, v := range rc.params {
		vars[k] = v
	}
	input, dimName, columns, err := r.inputOf(ctx, d, runID, activity)
	if err != nil {
		return nil, err
	}
	dim := m.Entity(dimName)
	if dim == nil {
		return nil, fmt.Errorf("unknown dimension %q", dimName)
	}
	var target []string
	for _, col := range columns {
		if !dim.IsKey(col) {
			target = append(target, col)
		}
	}
	spec, err := contentSpec(a)
	if err != nil {
		return nil, err
	}
	types, err := r.columnTypes(ctx, input)
	if err != nil {
		return nil, err
	}
	env := message.Env{Campaign: d.Name, RunID: runID, Mode: mode, Vars: vars, Target: target, TargetTypes: types, Budget: r.Budget}
	tmpl, err := message.Compile(m, dim.Name, a.Type, spec, env)
	if err != nil {
		return nil, err
	}
	p = &preparedActivity{tmpl: tmpl, loader: message.NewLoader(r.Store, m, dim.Name, tmpl.Needs()).WithEnv(env), dim: dim, channel: a.Type,
		input: input, targetCols: target, unsubscribe: !campaign.Transactional(a) && a.Type == channel.Email,
		tracking: campaign.Tracking(a, d.Policy), utm: campaign.UTMOf(a)}
	r.mu.Lock()
	if r.prepared == nil {
		r.prepared = map[string]*preparedActivity{}
	}
	r.prepared[key] = p
	r.mu.Unlock()
	return p, nil
}

// contentSpec decodes a channel activity's settings into its content.
func contentSpec(a *campaign.Activity) (any, error) {
	raw, err := json.Marshal(campaign.ChannelContent(a))
	if err != nil {
		return nil, err
	}
	var spec any
	switch a.Type {
	case channel.Email:
		spec = &message.Email{}
	case channel.SMS:
		spec = &message.SMS{}
	case channel.Push:
		spec = &message.Push{}
	default:
		return nil, fmt.Errorf("%s is not a channel activity", a.ID)
	}
	if err := json.Unmarshal(raw, spec); err != nil {
		return nil, fmt.Errorf("%s: content: %w", a.ID, err)
	}
	return spec, nil
}

// inputOf finds the working table a channel activity read, its dimension
// and columns (the enrichment columns come from it).
func (r *CampaignRenderer) inputOf(ctx context.Context, d *campaign.Document, runID int64, activity string) (table, dimension string, columns []string, err error) {
	for _, t := range d.Transitions {
		if t.To != activity {
			continue
		}
		port := t.Output
		if port == "" {
			port = "out"
		}
		out, err := r.Store.Runs().Output(ctx, runID, t.From, port)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", "", nil, err
		}
		_ = json.Unmarshal([]byte(out.Columns), &columns)
		return out.Table, out.Dimension, columns, nil
	}
	return "", "", nil, fmt.Errorf("activity %s of run %d has no input", activity, runID)
}

// target reads the enrichment columns of a batch of recipients from the
// activity's input working table.
func (r *CampaignRenderer) target(ctx context.Context, p *preparedActivity, keys [][]any) ([]map[string]any, error) {
	if p.input == "" || len(p.targetCols) == 0 {
		return nil, nil
	}
	var args []any
	for _, k := range keys {
		for i := range p.dim.Key {
			args = append(args, fmt.Sprint(k[i]))
		}
	}
	byKey := map[string]map[string]any{}
	err := r.Store.Generated().Results(ctx, worktable.RowsOfKeys(p.input, p.dim.Key, len(keys)), args,
		func(cols []store.ResultColumn, scan func(dest ...any) error) error {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := scan(ptrs...); err != nil {
				return err
			}
			row := map[string]any{}
			var key []any
			for i, c := range cols {
				row[c.Name] = templateValue(vals[i], isNumeric(c.DatabaseType))
			}
			for _, k := range p.dim.Key {
				key = append(key, row[k])
			}
			byKey[message.KeyString(key)] = row
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read enrichment columns: %w", err)
	}
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = byKey[message.KeyString(k)]
	}
	return out, nil
}

// recipientKey reads the key values of an outbox recipient, in key order.
func recipientKey(dim *datamodel.Entity, recipient string) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(recipient)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", recipient, err)
	}
	key := make([]any, len(dim.Key))
	for i, k := range dim.Key {
		v, ok := m[k]
		if !ok {
			return nil, fmt.Errorf("recipient %q has no %s", recipient, k)
		}
		if n, isNum := v.(json.Number); isNum {
			if iv, err := n.Int64(); err == nil {
				v = iv
			}
		}
		key[i] = v
	}
	return key, nil
}

// columnTypes reads a working table's column types as data model types.
func (r *CampaignRenderer) columnTypes(ctx context.Context, table string) (map[string]datamodel.Type, error) {
	out := map[string]datamodel.Type{}
	if table == "" {
		return out, nil
	}
	cols, err := r.Store.Generated().TableColumns(ctx, table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	for _, c := range cols {
		out[c.Name] = modelType(c.DatabaseType)
	}
	return out, nil
}

// modelType maps a SQL type name of either engine to a data model type.
func modelType(sqlType string) datamodel.Type {
	t := strings.ToUpper(sqlType)
	switch {
	case strings.HasPrefix(t, "DECIMAL"), strings.HasPrefix(t, "NUMERIC"), t == "DOUBLE", t == "DOUBLE PRECISION", t == "REAL", t == "FLOAT":
		return datamodel.TypeDecimal
	case strings.Contains(t, "INT"):
		return datamodel.TypeInteger
	case t == "BOOLEAN":
		return datamodel.TypeBoolean
	case t == "DATE":
		return datamodel.TypeDate
	case strings.HasPrefix(t, "TIMESTAMP"):
		return datamodel.TypeTimestamp
	case t == "JSON", t == "JSONB":
		return datamodel.TypeJSON
	}
	return datamodel.TypeString
}

// templateValue turns a driver value into one templates handle: decimals
// become float64 on both stores, as profile decimals do (DuckDB scans them
// as a Decimal, PostgreSQL as the text "30.50", which printed and compared
// as text), and bytes become text.
func templateValue(v any, numeric bool) any {
	switch x := v.(type) {
	case []byte:
		v = string(x)
	case interface{ Float64() float64 }:
		return x.Float64()
	}
	if s, ok := v.(string); ok && numeric {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return v
}

// isNumeric tells whether a result column's database type is a decimal.
func isNumeric(databaseType string) bool {
	name := strings.ToUpper(databaseType)
	return strings.HasPrefix(name, "NUMERIC") || strings.HasPrefix(name, "DECIMAL")
}

// track rewrites an email's links to tracking links and adds its open
// pixel, as the activity's tracking mode says: identified links name the
// message, anonymous ones only the run and activity. The unsubscribe link,
// mailto: and tel: links, and links marked data-track="false" are left
// alone. Without a public URL nothing is tracked (no one could reach the
// links), nor are test sends (the sandbox's).
func (r *CampaignRenderer) track(ctx context.Context, p *preparedActivity, row Row, e *channel.EmailContent) error {
	if p.tracking == TrackOff || p.tracking == "" || r.TestSends || !reachable(r.PublicURL) || r.Links == nil {
		return nil
	}
	base := strings.TrimRight(r.PublicURL, "/")
	t := Track{RunID: row.RunID, Activity: row.Activity, Sent: time.Now().UnixMilli()}
	if p.tracking == TrackIdentified {
		t.MessageID = row.MessageID
	}
	w := &linkRewriter{
		utm: p.utm,
		keep: func(href string) bool {
			return e.UnsubscribeURL != "" && href == e.UnsubscribeURL || strings.HasPrefix(href, base+"/u/")
		},
		mint: func(link int, dest, label string) (string, error) {
			c := t
			c.Kind, c.Link, c.URL, c.Label = "c", link, dest, label
			tok, err := r.Links.TrackToken(ctx, c)
			return base + "/t/c/" + tok, err
		},
	}
	var err error
	if e.HTML != "" {
		if e.HTML, err = w.html(e.HTML); err != nil {
			return fmt.Errorf("track the links of the HTML: %w", err)
		}
		o := t
		o.Kind = "o"
		tok, err := r.Links.TrackToken(ctx, o)
		if err != nil {
			return err
		}
		e.HTML = withPixel(e.HTML, base+"/t/o/"+tok)
	}
	if e.Text != "" {
		if e.Text, err = w.text(e.Text); err != nil {
			return err
		}
	}
	return nil
}

// reachable reports whether recipients can reach a public URL: not when
// none is configured (the server then gives a reserved .invalid name, or
// its own address), nor a loopback one — rewriting every link of an email
// to it would break them all.
func reachable(public string) bool {
	u, err := url.Parse(public)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	if ip, err := netip.ParseAddr(h); err == nil && ip.IsLoopback() {
		return false
	}
	return !strings.HasSuffix(h, ".invalid") && h != "localhost" && !strings.HasSuffix(h, ".localhost")
}
