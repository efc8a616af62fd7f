package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const hookSecret = "the webhook's secret"

// hook is a webhook receiver that checks every request's signature and
// keeps what it accepted; while down it refuses every request.
type hook struct {
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	got  []hookRequest
}

type hookRequest struct {
	header http.Header
	body   string
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := outbound.Verify([]byte(hookSecret), r.Header.Get(outbound.HeaderTimestamp), r.Header.Get(outbound.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if h.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.got = append(h.got, hookRequest{r.Header.Clone(), string(body)})
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// outboundImpl is an implementation whose service has two destinations:
// lake (files in dir) and cdp (the webhook), webhooks tried twice
// without waiting.
type outboundImpl struct {
	impl
	local *service.Local
	dir   string
	hook  *hook
}

// eachOutbound runs fn against both implementations on both stores, each
// with destinations of its own; it must be the test's last statement.
func eachOutbound(t *testing.T, fn func(t *testing.T, im outboundImpl)) {
	t.Helper()
	each(t, func(t *testing.T, im impl) {
		o := outboundImpl{impl: im}
		withDestinations(t, &o)
		if im.name == "client" {
			srv := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: o.local, Token: token, Log: quiet()})))
			t.Cleanup(srv.Close)
			o.svc = client.New(srv.URL, token)
		}
		fn(t, o)
	})
}

// withDestinations gives o its destinations and a Local over its store
// that holds them, as its service.
func withDestinations(t *testing.T, o *outboundImpl) {
	t.Helper()
	o.dir, o.hook = filepath.Join(t.TempDir(), "lake"), newHook(t)
	c := &outbound.Config{Destinations: []outbound.Destination{{Name: "lake", Kind: "files", Dir: o.dir},
		{Name: "cdp", Kind: "webhook", URL: o.hook.srv.URL, Secret: hookSecret, Attempts: 2}}}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	set := outbound.New(o.store, c, outbound.Options{Log: quiet(), Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	o.local = service.New(service.Config{Store: o.store, Log: quiet(), Providers: sandbox(t, o.store), Outbound: set})
	t.Cleanup(func() { o.local.Close() })
	o.svc = o.local
}

// file reads a file of the lake.
func (o outboundImpl) file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(o.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ndjsonRows reads NDJSON lines as objects.
func ndjsonRows(t *testing.T, body string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSuffix(body, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestAudiencePublishedOnEveryVersion: an audience published to files is
// written at once, then again after a refresh that finds new rows; one
// published to a webhook is posted signed after an append, and a refused
// post is a dead letter that does not fail the refresh, redelivered
// later; unpublished, it is sent nowhere.
func TestAudiencePublishedOnEveryVersion(t *testing.T) {
	t.Parallel()
	eachOutbound(t, func(t *testing.T, o outboundImpl) {
		fixture(t, o.impl)
		ctx, svc := o.ctx, o.svc
		got(svc.AudienceSave(ctx, service.AudienceRequest{Name: "french", Text: `country = "FR"`})).must(t)
		a := got(svc.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "lake", Attributes: []string{"email"}})).must(t)
		if a.Publish == nil || a.Publish.Destination != "lake" || a.Publish.Format != "csv" || !slices.Equal(a.Publish.Attributes, []string{"email"}) {
			t.Fatalf("published: %+v", a.Publish)
		}
		o.local.WaitPublications()
		if f := o.file(t, "audience-french.csv"); f != "customer_id,email\n1,a@example.com\n3,c@example.com\n" {
			t.Errorf("published at once: %q", f)
		}
		if p := got(svc.Audience(ctx, "french")).must(t).Publish; p == nil || p.Destination != "lake" {
			t.Errorf("the audience shows %+v", p)
		}

		// New data, a refresh: the stable file holds the new version.
		if _, err := svc.Import(ctx, "customers", "more.csv", strings.NewReader("customer_id,email,country\n4,d@example.com,FR\n"), ingest.Options{MaxErrors: -1}); err != nil {
			t.Fatal(err)
		}
		got(svc.AudienceRefresh(ctx, "french")).must(t)
		o.local.WaitPublications()
		if f := o.file(t, "audience-french.csv"); f != "customer_id,email\n1,a@example.com\n3,c@example.com\n4,d@example.com\n" {
			t.Errorf("after the refresh: %q", f)
		}
		versions, _ := filepath.Glob(filepath.Join(o.dir, "audience-french-v*.csv"))
		if len(versions) != 2 {
			t.Errorf("version files %v, want v1 and v2", versions)
		}

		// To the webhook as NDJSON of the key and country, after an append.
		got(svc.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "cdp", Format: "ndjson", Attributes: []string{"country"}})).must(t)
		o.local.WaitPublications()
		got(svc.AudienceAppend(ctx, "french", service.AudienceRequest{Text: `country = "DE"`})).must(t)
		o.local.WaitPublications()
		reqs := o.hook.requests()
		if len(reqs) != 2 {
			t.Fatalf("the webhook got %d requests, want 2 (at once, after the append)", len(reqs))
		}
		last := reqs[1]
		rows := ndjsonRows(t, last.body)
		if last.header.Get("Fanfare-Audience") != "french" || last.header.Get("Fanfare-Audience-Version") != "3" || len(rows) != 4 ||
			rows[1]["customer_id"] != 2.0 || rows[1]["country"] != "DE" || len(rows[1]) != 2 {
			t.Errorf("after the append: %v %v", last.header, rows)
		}

		// Refused: the refresh answers, the publication is a dead letter.
		o.hook.down.Store(true)
		got(svc.AudienceRefresh(ctx, "french")).must(t)
		o.local.WaitPublications()
		dls := got(svc.DeadLetters(ctx, outbound.Filter{Destination: "cdp", Redelivered: new(false)})).must(t)
		if len(dls) != 1 || dls[0].Kind != outbound.KindAudience || dls[0].Audience != "french" || dls[0].FirstSeq != 4 || dls[0].Attempts != 2 {
			t.Fatalf("dead letters %+v", dls)
		}
		if d := got(svc.DeadLetter(ctx, dls[0].ID)).must(t); len(ndjsonRows(t, d.Body)) != 4 {
			t.Errorf("the dead letter's body: %q", d.Body)
		}
		_, err := svc.DeadLetterRedeliver(ctx, dls[0].ID)
		wantIs(t, "redelivery refused", err, outbound.ErrDeliveryFailed)
		o.hook.down.Store(false)
		if d := got(svc.DeadLetterRedeliver(ctx, dls[0].ID)).must(t); d.RedeliveredAt.IsZero() {
			t.Errorf("redelivered: %+v", d)
		}
		if reqs := o.hook.requests(); len(reqs) != 3 || reqs[2].header.Get(outbound.HeaderID) != "cdp-audience-french-4-1" {
			t.Errorf("the redelivery: %d requests", len(reqs))
		}
		if n := got(svc.DeadLetters(ctx, outbound.Filter{Redelivered: new(true)})).must(t); len(n) != 1 {
			t.Errorf("redelivered dead letters: %+v", n)
		}

		// Unpublished: a refresh sends nothing.
		if err := svc.AudienceUnpublish(ctx, "french"); err != nil {
			t.Fatal(err)
		}
		got(svc.AudienceRefresh(ctx, "french")).must(t)
		o.local.WaitPublications()
		if reqs := o.hook.requests(); len(reqs) != 3 {
			t.Errorf("an unpublished audience was posted: %d requests", len(reqs))
		}
		if p := got(svc.Audience(ctx, "french")).must(t).Publish; p != nil {
			t.Errorf("unpublished, the audience shows %+v", p)
		}
	})
}

// TestOutboundOperationsRefuse: the operations' errors, through both
// implementations, and a service without destinations.
func TestOutboundOperationsRefuse(t *testing.T) {
	t.Parallel()
	eachOutbound(t, func(t *testing.T, o outboundImpl) {
		fixture(t, o.impl)
		ctx, svc := o.ctx, o.svc
		got(svc.AudienceSave(ctx, service.AudienceRequest{Name: "french", Text: `country = "FR"`})).must(t)
		_, err := svc.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "nowhere"})
		wantIs(t, "unknown destination", err, outbound.ErrUnknownDestination)
		_, err = svc.AudiencePublish(ctx, "nonesuch", service.PublishRequest{Destination: "lake"})
		wantIs(t, "unknown audience", err, service.ErrNotFound)
		_, err = svc.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "lake", Format: "xml"})
		wantIs(t, "unknown format", err, service.ErrBadRequest)
		_, err = svc.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "lake", Attributes: []string{"shoe_size"}})
		if err == nil || !strings.Contains(err.Error(), "shoe_size") {
			t.Errorf("unknown attribute: %v", err)
		}
		if p := got(svc.Audience(ctx, "french")).must(t).Publish; p != nil {
			t.Errorf("a refused publication was kept: %+v", p)
		}
		_, err = svc.DeadLetters(ctx, outbound.Filter{Destination: "nowhere"})
		wantIs(t, "dead letters of an unknown destination", err, outbound.ErrUnknownDestination)
		_, err = svc.DeadLetter(ctx, 999)
		wantIs(t, "unknown dead letter", err, outbound.ErrUnknownDeadLetter)
		wantIs(t, "unknown dead letter", err, service.ErrNotFound)
		_, err = svc.DeadLetterRedeliver(ctx, 999)
		wantIs(t, "redeliver an unknown dead letter", err, outbound.ErrUnknownDeadLetter)

		// A deleted audience is not published any more, whatever is saved
		// under its name later.
		got(svc.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "lake"})).must(t)
		if err := svc.AudienceDelete(ctx, "french"); err != nil {
			t.Fatal(err)
		}
		got(svc.AudienceSave(ctx, service.AudienceRequest{Name: "french", Text: `country = "FR"`})).must(t)
		if p := got(svc.Audience(ctx, "french")).must(t).Publish; p != nil {
			t.Errorf("saved again after its deletion, the audience shows %+v", p)
		}
		o.local.WaitPublications()

		st := got(svc.OutboundDestinations(ctx)).must(t)
		if len(st) != 2 || st[0].Name != "lake" || st[0].Kind != "files" || st[1].Name != "cdp" || st[1].Target != o.hook.srv.URL {
			t.Errorf("destinations %+v", st)
		}

		_, err = o.bare.OutboundDestinations(ctx)
		wantIs(t, "destinations of a server without them", err, outbound.ErrNotConfigured)
		_, err = o.bare.DeadLetters(ctx, outbound.Filter{})
		wantIs(t, "dead letters of a server without destinations", err, outbound.ErrNotConfigured)
		_, err = o.bare.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "lake"})
		wantIs(t, "publish on a server without destinations", err, outbound.ErrNotConfigured)
	})
}

// saveCampaign saves the French into the audience french, which it
// replaces.
const saveCampaign = `name: keep
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  save: {type: save_audience, audience: french}
  done: {type: end}
transitions:
  - start -> fr
  - fr -> save
  - save -> done
`

// TestSaveAudienceActivityPublishes: a campaign's save_audience makes a
// new version of a published audience, which the engine's hook publishes.
func TestSaveAudienceActivityPublishes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		o := outboundImpl{impl: impl{name: "local", store: s, ctx: t.Context()}}
		withDestinations(t, &o)
		fixture(t, o.impl)
		ctx, l := o.ctx, o.local
		got(l.AudienceSave(ctx, service.AudienceRequest{Name: "french", Text: `country = "DE"`})).must(t)
		got(l.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "lake"})).must(t)
		got(l.CampaignSave(ctx, []byte(saveCampaign))).must(t)
		got(l.CampaignPublish(ctx, "keep")).must(t)
		run := got(l.RunStart(ctx, "keep", engine.RunOptions{Mode: engine.ModeLive})).must(t)
		if st := got(l.Work(ctx, run.ID)).must(t); st.Run.Status != engine.RunCompleted {
			t.Fatalf("run %s: %s", st.Run.Status, st.Run.Error)
		}
		l.WaitPublications()
		if f := o.file(t, "audience-french.csv"); f != "customer_id,email\n1,a@example.com\n3,c@example.com\n" {
			t.Errorf("after save_audience: %q", f)
		}
	})
}

// localWith is a Local over s with the fixture and the destinations
// dests.
func localWith(t *testing.T, s *store.Store, dests ...outbound.Destination) *service.Local {
	t.Helper()
	c := &outbound.Config{Destinations: dests}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	set := outbound.New(s, c, outbound.Options{Log: quiet(), Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	l := service.New(service.Config{Store: s, Log: quiet(), Providers: sandbox(t, s), Outbound: set})
	t.Cleanup(func() { l.Close() })
	fixture(t, impl{name: "local", store: s, ctx: t.Context(), svc: l})
	return l
}

// manyCustomers imports n more customers (ids from 100), every third
// French.
func manyCustomers(t *testing.T, l *service.Local, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("customer_id,email,country\n")
	for i := range n {
		country := "DE"
		if i%3 == 0 {
			country = "FR"
		}
		fmt.Fprintf(&b, "%d,c%d@example.com,%s\n", 100+i, i, country)
	}
	if _, err := l.Import(t.Context(), "customers", "many.csv", strings.NewReader(b.String()), ingest.Options{MaxErrors: -1}); err != nil {
		t.Fatal(err)
	}
}

// TestAudiencePublishedInParts: published to a webhook, an audience
// larger than audience_part rows arrives whole and in order, a signed
// request a part, the CSV header in each, the last one marked.
func TestAudiencePublishedInParts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHook(t)
		l := localWith(t, s, outbound.Destination{Name: "cdp", Kind: "webhook", URL: h.srv.URL, Secret: hookSecret, Attempts: 2, AudiencePart: 100})
		ctx := t.Context()
		manyCustomers(t, l, 300)
		got(l.AudienceSave(ctx, service.AudienceRequest{Name: "french", Text: `country = "FR"`})).must(t)
		// The save's own background publication (of an audience not yet
		// published) ends before the audience is published: started late
		// on a loaded machine, it saw the publication and sent the parts a
		// second time (CI: 4 requests).
		l.WaitPublications()
		got(l.AudiencePublish(ctx, "french", service.PublishRequest{Destination: "cdp", Attributes: []string{"email"}})).must(t)
		l.WaitPublications()
		var export strings.Builder
		if err := l.AudienceExport(ctx, "french", 0, []string{"customer_id", "email"}, "csv", &export); err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(export.String(), "\n")
		reqs := h.requests()
		// 102 French: customers 1 and 3, and every third of the 300.
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2 parts of at most 100 rows", len(reqs))
		}
		joined := header + "\n"
		for i, r := range reqs {
			if r.header.Get(outbound.HeaderID) != fmt.Sprintf("cdp-audience-french-1-%d", i+1) || r.header.Get(outbound.HeaderAudiencePart) != fmt.Sprint(i+1) ||
				r.header.Get(outbound.HeaderAudienceLast) != fmt.Sprint(i == 1) {
				t.Errorf("part %d: %v", i+1, r.header)
			}
			body, ok := strings.CutPrefix(r.body, header+"\n")
			if !ok {
				t.Fatalf("part %d does not start with the header %q", i+1, header)
			}
			joined += body
		}
		if joined != export.String() {
			t.Errorf("the parts join to %d bytes, not the export's %d", len(joined), export.Len())
		}
	})
}

// TestAudiencePublishedFileIsTheExport: a larger audience published to
// files is, byte for byte, what an export of it writes.
func TestAudiencePublishedFileIsTheExport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		l := localWith(t, s, outbound.Destination{Name: "lake", Kind: "files", Dir: dir})
		ctx := t.Context()
		manyCustomers(t, l, 30000)
		name := "french"
		got(l.AudienceSave(ctx, service.AudienceRequest{Name: name, Text: `country = "FR"`})).must(t)
		got(l.AudiencePublish(ctx, name, service.PublishRequest{Destination: "lake", Format: "ndjson", Attributes: []string{"email", "country"}})).must(t)
		l.WaitPublications()
		var export strings.Builder
		if err := l.AudienceExport(ctx, name, 0, []string{"customer_id", "email", "country"}, "ndjson", &export); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "audience-"+name+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		if export.Len() < 512<<10 || string(b) != export.String() {
			t.Errorf("the published file has %d bytes, the export %d", len(b), export.Len())
		}
	})
}
