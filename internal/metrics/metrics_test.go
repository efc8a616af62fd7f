package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/metrics"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const token = "metrics-test-token"

const model = `entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      email: string
      country: string
    targeting:
      email: email
`

// Three French customers of four: three emails a run.
const customers = "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,DE\n3,c@example.com,FR\n4,d@example.com,FR\n"

const campaign = `name: hello
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'Hello'
    html: '<p>Hello</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
transitions:
  - start -> fr
  - fr -> mail
`

// node is one server of a test: the service with the sandbox as its
// email provider, its metrics, and the API serving both over real HTTP.
type node struct {
	svc *service.Local
	m   *metrics.Metrics
	url string
}

func newNode(t *testing.T, s *store.Store) *node {
	t.Helper()
	sb, err := delivery.NewSandbox(s, channel.Email)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	m := metrics.New(metrics.Config{Store: s, Log: quiet})
	svc := service.New(service.Config{Store: s, Log: quiet, Providers: map[string]channel.Provider{channel.Email: sb}, Observer: m})
	t.Cleanup(func() { svc.Close() })
	srv := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: svc, Token: token, Log: quiet, Metrics: m.Handler(), Requests: m})))
	t.Cleanup(srv.Close)
	return &node{svc: svc, m: m, url: srv.URL}
}

// fixture applies the model, imports the customers and publishes the
// campaign.
func (n *node) fixture(t *testing.T) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.CLI())
	if _, err := n.svc.ApplyModel(ctx, []byte(model), schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.Import(ctx, "customers", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.CampaignSave(ctx, []byte(campaign)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.CampaignPublish(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
}

// start starts a live run of the campaign.
func (n *node) start(t *testing.T) int64 {
	t.Helper()
	run, err := n.svc.RunStart(audit.WithActor(context.Background(), audit.CLI()), "hello", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// activities runs the engine alone until the run's activities are done:
// its messages wait in the outbox.
func (n *node) activities(t *testing.T, id int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	done := make(chan struct{})
	go func() { _ = n.svc.Engine().Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	st, err := service.WaitRun(ctx, n.svc.RunStatus, id)
	if err != nil || st.Run.Status != engine.RunCompleted {
		t.Fatalf("run %d: %+v, %v", id, st, err)
	}
}

// get answers a GET of the node, with the API token when auth is set.
func (n *node) get(t *testing.T, path string, auth bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", n.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape reads the node's /metrics with the token, parsed.
func (n *node) scrape(t *testing.T) exposition {
	t.Helper()
	code, body := n.get(t, "/metrics", true)
	if code != http.StatusOK {
		t.Fatalf("scrape: %d %s", code, body)
	}
	return parse(t, body)
}

// exposition is a scrape, parsed by Prometheus' own parser.
type exposition map[string]*dto.MetricFamily

func parse(t *testing.T, body string) exposition {
	t.Helper()
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the exposition: %v\n%s", err, body)
	}
	return fams
}

// value is the value of the sample of a family with exactly these labels
// (a histogram's count), and whether there is one.
func (e exposition) value(name string, labels map[string]string) (float64, bool) {
	f, ok := e[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// want fails t unless the sample is there with the value.
func (e exposition) want(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	if got, ok := e.value(name, labels); !ok || got != want {
		t.Errorf("%s%v = %v (found %v), want %v", name, labels, got, ok, want)
	}
}

// count runs a count the test makes itself, on the database.
func count(t *testing.T, s *store.Store, query string) float64 {
	t.Helper()
	var n int64
	if err := storetest.DB(s).QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return float64(n)
}

// TestScrapeCountsWhatASendDid sends a run's three emails to the sandbox,
// leaves a second run's three in the outbox, records a provider's
// feedback, then scrapes /metrics over HTTP: the counters say what the
// test did, the outbox's queue what the test counts on the database,
// requests are labelled by their route's pattern, and a scrape without
// the API's token is refused.
func TestScrapeCountsWhatASendDid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		n := newNode(t, s)
		n.fixture(t)
		ctx := audit.WithActor(context.Background(), audit.CLI())
		if st, err := n.svc.Work(ctx, n.start(t)); err != nil || st.Run.Status != engine.RunCompleted {
			t.Fatalf("work the first run: %+v, %v", st, err)
		}
		n.activities(t, n.start(t))
		var sent string
		if err := storetest.DB(s).QueryRow(`SELECT message_id FROM ff_outbox WHERE status = 'sent' ORDER BY message_id LIMIT 1`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		reports := []delivery.Feedback{
			{Kind: delivery.FeedbackDelivered, MessageID: sent, At: time.Now(), Source: "webhook"},
			{Kind: delivery.FeedbackBounce, Hard: true, Status: "5.1.1", MessageID: sent, At: time.Now(), Source: "webhook"},
			{Kind: delivery.FeedbackDelivered, MessageID: "no-such-message", At: time.Now(), Source: "webhook"},
		}
		if rec, unknown, err := n.svc.EmailFeedback(ctx, reports); err != nil || rec != 2 || unknown != 1 {
			t.Fatalf("feedback: %d recorded, %d unknown, %v", rec, unknown, err)
		}
		if code, body := n.get(t, "/api/campaigns/hello", true); code != http.StatusOK {
			t.Fatalf("get the campaign: %d %s", code, body)
		}

		if code, body := n.get(t, "/metrics", false); code != http.StatusUnauthorized {
			t.Fatalf("scrape without a token: %d %s", code, body)
		}
		e := n.scrape(t)
		e.want(t, "fanfare_messages_total", map[string]string{"channel": "email", "outcome": "sent"}, 3)
		e.want(t, "fanfare_messages_total", map[string]string{"channel": "email", "outcome": "sent"}, count(t, s, `SELECT count(*) FROM ff_outbox WHERE status = 'sent'`))
		pending := count(t, s, `SELECT count(*) FROM ff_outbox WHERE channel = 'email' AND status = 'pending'`)
		if pending != 3 {
			t.Fatalf("the second run left %v emails pending, want 3", pending)
		}
		e.want(t, "fanfare_outbox_messages", map[string]string{"channel": "email", "status": "pending"}, pending)
		e.want(t, "fanfare_outbox_messages", map[string]string{"channel": "email", "status": "held"}, 0)
		e.want(t, "fanfare_outbox_messages", map[string]string{"channel": "sms", "status": "pending"}, 0)
		e.want(t, "fanfare_outbox_read_ok", map[string]string{}, 1)
		e.want(t, "fanfare_events_total", map[string]string{"type": "delivered"}, 1)
		e.want(t, "fanfare_events_total", map[string]string{"type": "bounce_hard"}, 1)
		// Two runs, each three activities, each once.
		for _, typ := range []string{"build_audience", "email"} {
			e.want(t, "fanfare_activity_duration_seconds", map[string]string{"type": typ, "outcome": "done"}, 2)
		}
		e.want(t, "fanfare_job_duration_seconds", map[string]string{"kind": engine.KindActivity, "outcome": "done"}, 6)
		e.want(t, "fanfare_http_request_duration_seconds", map[string]string{"route": "GET /api/campaigns/{name}", "status": "2xx"}, 1)
		e.want(t, "fanfare_http_request_duration_seconds", map[string]string{"route": "GET /metrics", "status": "4xx"}, 1)
		e.want(t, "fanfare_provider_resting", map[string]string{"channel": "email"}, 0)
		for _, m := range e["fanfare_http_request_duration_seconds"].GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "hello") {
					t.Errorf("a request's label holds its path: %v", m.GetLabel())
				}
			}
		}
		for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
			if _, ok := e[name]; !ok {
				t.Errorf("%s is not exposed", name)
			}
		}
	})
}

// TestNodesReportTheSameQueue: two servers on one PostgreSQL database,
// each with its own metrics, report the same outbox queue — the store's —
// though only one of them wrote it.
func TestNodesReportTheSameQueue(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresSchema(t)
	open := func() *store.Store {
		s, err := store.Open(context.Background(), store.Config{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	sa, sb := open(), open()
	a, b := newNode(t, sa), newNode(t, sb)
	a.fixture(t)
	a.activities(t, a.start(t))
	a.activities(t, a.start(t))
	pending := count(t, sb, `SELECT count(*) FROM ff_outbox WHERE channel = 'email' AND status = 'pending'`)
	if pending != 6 {
		t.Fatalf("two runs left %v emails pending, want 6", pending)
	}
	ea, eb := a.scrape(t), b.scrape(t)
	for _, e := range []exposition{ea, eb} {
		e.want(t, "fanfare_outbox_messages", map[string]string{"channel": "email", "status": "pending"}, pending)
	}
	if fa, fb := ea["fanfare_outbox_messages"].String(), eb["fanfare_outbox_messages"].String(); fa != fb {
		t.Errorf("the nodes report different queues:\n%s\n%s", fa, fb)
	}
	// Neither node sent anything: the counters are each node's own.
	if _, ok := eb.value("fanfare_activity_duration_seconds", map[string]string{"type": "email", "outcome": "done"}); ok {
		t.Error("node b counts activities node a ran")
	}
}
