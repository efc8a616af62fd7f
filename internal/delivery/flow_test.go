package delivery_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const flowCampaign = `name: thanks
dimension: customers
variables: {code: THANKS10}
activities:
  start: {type: start}
  buyers: {type: build_audience, query: 'exists(purchases)'}
  spend:
    type: enrich
    columns:
      - {name: spent, link: purchases, aggregate: sum, attribute: amount}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'Thank you, {{ profile.email | split: "@" | first }}'
    html: '<p>You spent {{ target.spent | money: "EUR" }}. Your last purchase: {% for p in profile.purchases limit: 1 %}{{ p.amount }}{% endfor %}. Code {{ vars.code }}. Raw {{ target.spent }}{% if target.spent > 30 %}, over 30{% endif %}.</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
transitions:
  - start -> buyers
  - buyers -> spend
  - spend -> mail
`

// TestCampaignToSandbox runs a live campaign and its delivery end to end:
// the channel activity writes the outbox, the dispatcher checks, renders
// with profile, linked data, enrichment columns and variables, and the
// sandbox captures exactly one message per recipient.
func TestCampaignToSandbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loadShop(t, s)
		run := runLive(t, s, flowCampaign)
		sb, _ := delivery.NewSandbox(s, channel.Email)
		seen := &seqs{Provider: sb, got: map[string]int64{}}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: seen}, Owner: "n1",
			Renderer: &delivery.CampaignRenderer{Store: s, Links: delivery.NewLinks(keyring.New(s)), PublicURL: "https://fanfare.example.com"}})
		drain(t, d)
		figs, err := delivery.RunFigures(ctx, s, run)
		if err != nil || len(figs) != 1 || figs[0].Sent != 2 || figs[0].Targeted != 2 {
			t.Fatalf("figures = %+v, %v", figs, err)
		}
		// Each message carries its outbox row's number (status callbacks
		// name the row by it).
		rows, err := storetest.DB(s).Query(`SELECT message_id, seq FROM ff_outbox WHERE run_id = $1`, run)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				t.Fatal(err)
			}
			if seen.got[id] != seq || seq <= 0 {
				t.Errorf("message %s was handed over with seq %d; its row's is %d", id, seen.got[id], seq)
			}
		}
		rows.Close()
		msgs, err := (&delivery.StoreSink{Store: s}).List(ctx, run, 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("sandbox = %v, %v", msgs, err)
		}
		for _, msg := range msgs {
			var c struct{ Email channel.EmailContent }
			if err := json.Unmarshal(msg.Content, &c); err != nil {
				t.Fatal(err)
			}
			if msg.Address == "ann@example.com" {
				if c.Email.Subject != "Thank you, ann" || !strings.Contains(c.Email.HTML, "You spent €30.50") || !strings.Contains(c.Email.HTML, "last purchase: 20") ||
					!strings.Contains(c.Email.HTML, "Code THANKS10") || !strings.Contains(c.Email.HTML, "Raw 30.5, over 30.") || !strings.HasPrefix(c.Email.UnsubscribeURL, "https://fanfare.example.com/u/") ||
					!strings.Contains(c.Email.HTML, c.Email.UnsubscribeURL) || c.Email.Text == "" {
					t.Fatalf("ann's message: %+v", c.Email)
				}
			}
			if msg.Copies != 1 {
				t.Fatalf("%s received %d copies", msg.Address, msg.Copies)
			}
		}
	})
}

// loadShop applies the engine tests' shop model and loads three customers
// (ann, bob, cy), two of whom bought something.
func loadShop(t *testing.T, s *store.Store) {
	loadShopRows(t, s, "customer_id,email,country\n1,ann@example.com,FR\n2,bob@example.com,FR\n3,cy@example.com,DE\n",
		"purchase_id,customer_id,amount,purchased_at\n1,1,10.50,2026-10-01T00:00:00Z\n2,1,20.00,2026-10-02T00:00:00Z\n3,2,5.25,2026-10-03T00:00:00Z\n")
}

// loadShopRows applies the engine tests' shop model and loads customers
// and purchases from CSV text.
func loadShopRows(t *testing.T, s *store.Store, customers, purchases string) {
	t.Helper()
	ctx := context.Background()
	doc, _ := os.ReadFile("../engine/testdata/shop.yaml")
	if _, err := schema.Apply(ctx, s, doc, schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	m, _ := datamodel.Parse(doc)
	for _, e := range []struct{ name, body string }{{"customers", customers}, {"purchases", purchases}} {
		if _, err := ingest.Import(ctx, s, m, e.name, e.name+".csv", strings.NewReader(e.body), ingest.Options{Format: ingest.FormatCSV, Orphans: ingest.OrphansKeep}); err != nil {
			t.Fatal(err)
		}
	}
}

// runLive saves and publishes a campaign document (again: a new version
// if it exists), runs it live to its end and returns the run's id.
func runLive(t *testing.T, s *store.Store, doc string) int64 {
	t.Helper()
	ctx := context.Background()
	eng := engine.New(engine.Config{Store: s})
	eng.Poll = 10 * time.Millisecond
	c, err := eng.Save(ctx, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Publish(ctx, c.Name); err != nil {
		t.Fatal(err)
	}
	run, err := eng.Start(ctx, c.Name, engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go eng.Run(wctx)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st, _ := eng.Status(ctx, run.ID)
		if st.Run.Status != engine.RunRunning || time.Now().After(deadline) {
			if st.Run.Status != engine.RunCompleted {
				t.Fatalf("run: %+v %+v", st.Run, st.Activities)
			}
			return run.ID
		}
	}
}

// seqs is a provider that notes the seq of each message it is handed.
type seqs struct {
	channel.Provider
	got map[string]int64
}

func (p *seqs) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	for _, m := range msgs {
		p.got[m.ID] = m.Seq
	}
	return p.Provider.Send(ctx, msgs)
}

const deviceModel = `entities:
  customers:
    key: customer_id
    attributes: {customer_id: integer, first_name: string}
    targeting:
      push: {link: devices, token: push_token, platform: platform, active: active}
  devices:
    key: device_id
    attributes: {device_id: string, customer_id: integer, push_token: string, platform: {type: enum, values: [ios, android]}, active: boolean}
    links:
      customer: {entity: customers, reverse: devices}
`

const pushCampaign = `name: app
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  push: {type: push, title: 'Hi {{ profile.first_name }}', body: 'New in'}
transitions:
  - start -> all
  - all -> push
`

// TestDeadPushTokenDeactivatesItsDevices: FCM answers UNREGISTERED for a
// token; the message fails, the devices holding that token become
// inactive in the data (the other device of the same customer stays
// active), the token is suppressed, and the next run excludes it as an
// inactive device without offering it to FCM.
func TestDeadPushTokenDeactivatesItsDevices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := schema.Apply(ctx, s, []byte(deviceModel), schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		m, _ := datamodel.Parse([]byte(deviceModel))
		for _, e := range []struct{ name, body string }{
			{"customers", "customer_id,first_name\n1,Ann\n2,Bob\n"},
			{"devices", "device_id,customer_id,push_token,platform,active\nd1,1,tok-live,android,true\nd2,1,tok-dead,android,true\nd3,2,tok-bob,android,\n"},
		} {
			if _, err := ingest.Import(ctx, s, m, e.name, e.name+".csv", strings.NewReader(e.body), ingest.Options{Format: ingest.FormatCSV, Orphans: ingest.OrphansKeep}); err != nil {
				t.Fatal(err)
			}
		}
		f := pushtest.NewFCM(t)
		f.SetReply("tok-dead", pushtest.Reply{Status: 404, Body: `{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`})
		fp, err := fcm.New(fcm.Config{ServiceAccountJSON: f.ServiceAccount, BaseURL: f.Server.URL, HTTPClient: f.Server.Client(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fp.Close() })
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Push: push.New(fp, nil)}, Owner: "n1",
			Renderer: &delivery.CampaignRenderer{Store: s}})

		first := runLive(t, s, pushCampaign)
		drain(t, d)
		figs, err := delivery.RunFigures(ctx, s, first)
		if err != nil || len(figs) != 1 || figs[0].Sent != 2 || figs[0].Failed != 1 {
			t.Fatalf("first run's figures = %+v, %v", figs, err)
		}
		if got := deviceStates(t, s); got != "d1:true d2:false d3:unknown" {
			t.Fatalf("devices: %s", got)
		}
		if n := len(f.Offered()); n != 3 {
			t.Fatalf("FCM was offered %d messages, want 3", n)
		}

		second := runLive(t, s, pushCampaign)
		drain(t, d)
		figs, err = delivery.RunFigures(ctx, s, second)
		if err != nil || len(figs) != 1 || figs[0].Sent != 2 || figs[0].ByReason[delivery.ReasonInactiveDevice] != 1 {
			t.Fatalf("second run's figures = %+v, %v", figs, err)
		}
		if n := len(f.Offered()); n != 5 {
			t.Fatalf("FCM was offered %d messages in all, want 5 (the dead token once)", n)
		}
	})
}

// deviceStates lists the devices' active flags: "d1:true d2:unknown".
func deviceStates(t *testing.T, s *store.Store) string {
	t.Helper()
	rows, err := storetest.DB(s).Query(`SELECT device_id, active FROM devices ORDER BY device_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		var active sql.NullBool
		if err := rows.Scan(&id, &active); err != nil {
			t.Fatal(err)
		}
		state := "unknown"
		if active.Valid {
			state = strconv.FormatBool(active.Bool)
		}
		out = append(out, id+":"+state)
	}
	return strings.Join(out, " ")
}

const receiptsCampaign = `name: receipts
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  mail:
    type: email
    category: %s
    rate: 1000
    window: {from: '08:00', to: '22:00', timezone: Europe/Paris}
    from: 'Shop <shop@example.com>'
    subject: 'Your account'
    html: '<p>Hello</p>'
transitions:
  - start -> all
  - all -> mail
`

// TestCategoryAndPacingFromTheDocument runs campaigns whose email activity
// sets its category, rate and send window in the document, as a user
// writes them: they validate and publish, and the dispatcher obeys them. A
// transactional email reaches a profile that opted out of email, never a
// suppressed address, and carries no unsubscribe link; the marketing one
// leaves the opted-out profile out. Outside the window nothing goes.
func TestCategoryAndPacingFromTheDocument(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loadShop(t, s)
		c := &clock{t: time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)} // 07:00 in Paris
		key, _ := delivery.ProfileKey([]string{"customer_id"}, []any{1})
		if err := delivery.SetConsent(ctx, s, "customers", key, channel.Email, delivery.OptOut, "test", c.Now()); err != nil {
			t.Fatal(err)
		}
		if err := delivery.Suppress(ctx, s, channel.Email, "bob@example.com", "hard bounce", c.Now()); err != nil {
			t.Fatal(err)
		}
		sb, _ := delivery.NewSandbox(s, channel.Email)
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: sb}, Owner: "n1", Now: c.Now,
			Renderer: &delivery.CampaignRenderer{Store: s, Links: delivery.NewLinks(keyring.New(s)), PublicURL: "https://fanfare.example.com"}})

		tx := runLive(t, s, fmt.Sprintf(receiptsCampaign, "transactional"))
		drain(t, d)
		if got := sandboxCopies(t, s); len(got) != 0 {
			t.Fatalf("sent before the window opened: %v", got)
		}
		if figs, err := delivery.RunFigures(ctx, s, tx); err != nil || figs[0].Pending != 2 || figs[0].Waiting[delivery.ReasonOutsideWindow] != 2 {
			t.Fatalf("figures before the window opened = %+v, %v", figs, err)
		}
		c.Add(2 * time.Hour)
		drain(t, d)
		figs, err := delivery.RunFigures(ctx, s, tx)
		if err != nil || len(figs) != 1 || figs[0].Sent != 2 || figs[0].ByReason[delivery.ReasonSuppressed] != 1 || figs[0].ByReason[delivery.ReasonOptOut] != 0 {
			t.Fatalf("transactional figures = %+v, %v", figs, err)
		}
		msgs, err := (&delivery.StoreSink{Store: s}).List(ctx, tx, 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("sandbox = %v, %v", msgs, err)
		}
		for _, m := range msgs {
			if strings.Contains(string(m.Content), "unsubscribe_url") {
				t.Errorf("a transactional email to %s carries an unsubscribe link: %s", m.Address, m.Content)
			}
		}

		marketing := runLive(t, s, fmt.Sprintf(receiptsCampaign, "marketing"))
		drain(t, d)
		figs, err = delivery.RunFigures(ctx, s, marketing)
		if err != nil || len(figs) != 1 || figs[0].Sent != 1 || figs[0].ByReason[delivery.ReasonSuppressed] != 1 || figs[0].ByReason[delivery.ReasonOptOut] != 1 {
			t.Fatalf("marketing figures = %+v, %v", figs, err)
		}
	})
}

// sendInterrupted runs the receipts campaign live and has act (a stop, a
// pause) come while a dispatcher holds the run's batch, claimed and being
// rendered; that dispatcher then goes on. It returns the engine, the run,
// and a dispatcher that renders plainly, inside the send window, having
// drained what was due.
func sendInterrupted(t *testing.T, s *store.Store, act func(*engine.Engine, context.Context, int64) error) (*engine.Engine, int64, *delivery.Dispatcher) {
	t.Helper()
	ctx := context.Background()
	loadShop(t, s)
	run := runLive(t, s, fmt.Sprintf(receiptsCampaign, "marketing"))
	sb, _ := delivery.NewSandbox(s, channel.Email)
	c := &clock{t: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)} // inside the window
	dispatcher := func(r delivery.Renderer) *delivery.Dispatcher {
		return delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: sb}, Owner: "n1", Now: c.Now, Renderer: r})
	}
	stalled := newStalled()
	done := make(chan error)
	go func() {
		_, err := dispatcher(stalled).DispatchOnce(ctx)
		done <- err
	}()
	<-stalled.loaded
	eng := engine.New(engine.Config{Store: s})
	if err := act(eng, ctx, run); err != nil {
		t.Fatal(err)
	}
	close(stalled.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	d := dispatcher(plainRenderer{})
	drain(t, d)
	return eng, run, d
}

// TestStopCancelsTheSend: stopping a run whose send is under way (the run
// itself completed once its outbox was written) cancels the messages not
// yet handed to a provider — here a batch a dispatcher had claimed and was
// rendering — and nothing more goes; a run with nothing left to send
// cannot be stopped.
func TestStopCancelsTheSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng, run, d := sendInterrupted(t, s, (*engine.Engine).Stop)
		if got := sandboxCopies(t, s); len(got) != 0 {
			t.Fatalf("sent after the stop: %v", got)
		}
		figs, err := delivery.RunFigures(ctx, s, run)
		if err != nil || len(figs) != 1 || figs[0].Cancelled != 3 || figs[0].Sent != 0 {
			t.Fatalf("figures = %+v, %v", figs, err)
		}
		st, err := eng.Status(ctx, run)
		if err != nil || st.Run.Status != engine.RunStopped {
			t.Fatalf("run after the stop: %+v, %v", st, err)
		}
		if err := eng.Stop(ctx, run); !errors.Is(err, engine.ErrRunState) {
			t.Fatalf("stopping it again: %v", err)
		}
		// A run whose messages all went has nothing to stop.
		sent := runLive(t, s, fmt.Sprintf(receiptsCampaign, "marketing"))
		drain(t, d)
		if err := eng.Stop(ctx, sent); !errors.Is(err, engine.ErrRunState) || !strings.Contains(err.Error(), "nothing left to send") {
			t.Fatalf("stopping a finished send: %v", err)
		}
	})
}

// TestPauseHoldsTheSend: pausing a run whose send is under way holds the
// messages not yet handed to a provider — here a batch a dispatcher had
// claimed and was rendering — until the run resumes; a confirm send does
// not release them; resuming sends each once.
func TestPauseHoldsTheSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng, run, d := sendInterrupted(t, s, (*engine.Engine).Pause)
		figs, err := delivery.RunFigures(ctx, s, run)
		if got := sandboxCopies(t, s); len(got) != 0 || err != nil || figs[0].Paused != 3 {
			t.Fatalf("while paused: sent %v, figures %+v, %v", got, figs, err)
		}
		if n, err := eng.ConfirmSend(ctx, run); err != nil || n != 0 {
			t.Fatalf("a confirm send released %d (%v) paused messages", n, err)
		}
		if err := eng.Resume(ctx, run); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		oneCopyEach(t, sandboxCopies(t, s), 3)
		if err := eng.Resume(ctx, run); !errors.Is(err, engine.ErrRunState) {
			t.Fatalf("resuming again: %v", err)
		}
		if err := eng.Pause(ctx, run); !errors.Is(err, engine.ErrRunState) || !strings.Contains(err.Error(), "nothing left to send") {
			t.Fatalf("pausing a finished send: %v", err)
		}
		st, err := eng.Status(ctx, run)
		if err != nil || st.Run.Status != engine.RunCompleted {
			t.Fatalf("the run after its send paused and resumed: %+v, %v", st, err)
		}
	})
}
