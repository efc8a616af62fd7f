package delivery_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sandbox"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const trackedCampaign = `name: tracked
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'New in'
    utm: {source: fanfare, medium: email}
    html: '<html><body><a href="https://shop.example/new?c={{ profile.customer_id }}" data-label="new">New</a> <a href="mailto:care@shop.example">Care</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>'
    text: 'New: https://shop.example/new?c={{ profile.customer_id }}'
  anon:
    type: email
    tracking: anonymous
    from: 'Shop <shop@example.com>'
    subject: 'Hello'
    html: '<p><a href="https://shop.example/">Shop</a></p>'
  receipt:
    type: email
    category: transactional
    from: 'Shop <shop@example.com>'
    subject: 'Your receipt'
    html: '<p><a href="https://shop.example/receipt">Receipt</a></p>'
transitions:
  - start -> fr
  - fr -> mail
  - fr -> anon
  - fr -> receipt
`

var (
	clickRE = regexp.MustCompile(`https://fanfare\.example\.com/t/c/([A-Za-z0-9_.-]+)`)
	openRE  = regexp.MustCompile(`https://fanfare\.example\.com/t/o/([A-Za-z0-9_.-]+)`)
)

// TestTrackedOpensAndClicks sends a campaign through the renderer and
// follows its messages' links and pixels: identified links name their
// message (sealed: the token shows neither it nor the address) and lead
// to the URL rendered, with the activity's UTM parameters; the unsubscribe
// and mailto links and the transactional email are left alone; anonymous
// links name no message. People's opens and clicks are counted unique and
// total, machines' apart.
func TestTrackedOpensAndClicks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loadShop(t, s)
		run := runLive(t, s, trackedCampaign)
		mem := sandbox.NewMemory()
		p, _ := sandbox.New(channel.Email, mem)
		links := delivery.NewLinks(keyring.New(s))
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Owner: "n1",
			Renderer: &delivery.CampaignRenderer{Store: s, Links: links, PublicURL: "https://fanfare.example.com/"}})
		// Bob opted out of tracking: his emails carry neither tracking
		// links nor a pixel.
		if err := delivery.SetConsent(ctx, s, "customers", `{"customer_id":2}`, delivery.ConsentTracking, delivery.OptOut, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		rec := delivery.NewRecorder(s, slog.New(slog.DiscardHandler))
		later := time.Now().Add(time.Minute)
		person := delivery.Hit{At: later, Method: "GET", IP: netip.MustParseAddr("203.0.113.7"), UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Thunderbird/128.0"}
		apple := delivery.Hit{At: later, Method: "GET", IP: netip.MustParseAddr("17.58.1.2"), UserAgent: "Mozilla/5.0"}
		scanner := delivery.Hit{At: later, Method: "HEAD", UserAgent: person.UserAgent}
		var annMail, annAnon string
		for _, c := range mem.List() {
			e := c.Message.Email
			switch {
			case c.Message.To == "ann@example.com" && e.Subject == "New in":
				annMail = e.HTML
				if strings.Contains(e.HTML, "shop.example/new") || !strings.Contains(e.HTML, `href="mailto:care@shop.example"`) || !strings.Contains(e.HTML, `href="`+e.UnsubscribeURL+`"`) {
					t.Errorf("identified email: %s", e.HTML)
				}
				if m := clickRE.FindAllString(e.Text, -1); len(m) != 1 || !strings.Contains(e.HTML, m[0]) {
					t.Errorf("the text part's link is not the HTML's: %q", e.Text)
				}
			case c.Message.To == "ann@example.com" && e.Subject == "Hello":
				annAnon = e.HTML
			case c.Message.To == "bob@example.com":
				if strings.Contains(e.HTML, "/t/") || strings.Contains(e.Text, "/t/") {
					t.Errorf("an email to someone who opted out of tracking is tracked: %s", e.HTML)
				}
			case e.Subject == "Your receipt":
				if !strings.Contains(e.HTML, `href="https://shop.example/receipt"`) || strings.Contains(e.HTML, "/t/") {
					t.Errorf("a transactional email was tracked: %s", e.HTML)
				}
			}
		}
		click := clickRE.FindStringSubmatch(annMail)
		open := openRE.FindStringSubmatch(annMail)
		if click == nil || open == nil {
			t.Fatalf("no tracking link or pixel in %s", annMail)
		}
		tr, err := links.ParseTrack(ctx, click[1])
		if err != nil {
			t.Fatal(err)
		}
		if tr.URL != "https://shop.example/new?c=1&utm_medium=email&utm_source=fanfare" || tr.Label != "new" || tr.MessageID == "" || tr.RunID != run || tr.Link != 1 {
			t.Fatalf("the click's token: %+v", tr)
		}
		if strings.Contains(click[1], tr.MessageID) || strings.Contains(click[1], "ann") || strings.Contains(click[1], "shop.example") {
			t.Errorf("the token shows what it stands for: %s", click[1])
		}
		if _, err := links.ParseTrack(ctx, click[1][:len(click[1])-2]+"xx"); err != delivery.ErrBadLink {
			t.Errorf("an altered token: %v", err)
		}
		for _, h := range []delivery.Hit{person, person, apple} {
			ot, err := links.ParseTrack(ctx, open[1])
			if err != nil {
				t.Fatal(err)
			}
			rec.Hit(ctx, ot, h)
		}
		rec.Hit(ctx, tr, person)
		rec.Hit(ctx, tr, scanner)
		anonClick := clickRE.FindStringSubmatch(annAnon)
		at, err := links.ParseTrack(ctx, anonClick[1])
		if err != nil || at.MessageID != "" {
			t.Fatalf("an anonymous link names its message: %+v, %v", at, err)
		}
		rec.Hit(ctx, at, person)
		rec.Close()

		figs, err := delivery.RunFigures(ctx, s, run)
		if err != nil {
			t.Fatal(err)
		}
		byAct := map[string]delivery.Figures{}
		for _, f := range figs {
			byAct[f.Activity] = f
		}
		e := byAct["mail"].Engagement
		if e == nil || e.Opened != 1 || e.OpenedTotal != 2 || e.OpenedMachine != 1 || e.Clicked != 1 || e.ClickedTotal != 1 || e.ClickedMachine != 1 ||
			len(e.Links) != 1 || e.Links[0].URL != tr.URL || e.Links[0].Label != "new" {
			t.Fatalf("mail's engagement: %+v", e)
		}
		if a := byAct["anon"].Engagement; a == nil || a.Clicked != 0 || a.ClickedTotal != 1 {
			t.Fatalf("anon's engagement: %+v", a)
		}
		if r := byAct["receipt"].Engagement; r != nil {
			t.Fatalf("receipt's engagement: %+v", r)
		}
	})
}

const abCampaign = `name: ab
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: all}
  groups:
    type: split
    subsets:
      - {name: a, where: 'customer_id = 1'}
      - {name: b, where: 'customer_id != 1'}
  mail_a: {type: email, from: 'Shop <shop@example.com>', subject: 'A', html: '<a href="https://shop.example/a">A</a>'}
  mail_b: {type: email, from: 'Shop <shop@example.com>', subject: 'B', html: '<a href="https://shop.example/b">B</a>'}
transitions:
  - start -> all
  - all -> groups
  - groups.a -> mail_a
  - groups.b -> mail_b
`

// TestReportComparesSubsets: a report sets the subsets of an A/B split
// side by side, each rate against the first's with Newcombe's interval,
// and says groups this small are too small to conclude.
func TestReportComparesSubsets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loadShop(t, s)
		run := runLive(t, s, abCampaign)
		mem := sandbox.NewMemory()
		p, _ := sandbox.New(channel.Email, mem)
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Owner: "n1",
			Renderer: &delivery.CampaignRenderer{Store: s, Links: delivery.NewLinks(keyring.New(s)), PublicURL: "https://fanfare.example.com"}})
		drain(t, d)
		// Customer 2 (group b) clicks; customer 1 (group a) does not.
		if err := s.Events().Append(ctx, []store.EventRecord{{At: time.Now(), Type: "click", RunID: run, Activity: "mail_b", MessageID: fmt.Sprintf("%d:mail_b:{\"customer_id\":2}", run)}}); err != nil {
			t.Fatal(err)
		}
		r, err := delivery.RunReport(ctx, s, run, delivery.ReportOptions{By: "day"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Comparisons) != 2 || r.Comparisons[1].Metric != "clicked" {
			t.Fatalf("comparisons: %+v", r.Comparisons)
		}
		g := r.Comparisons[1].Groups
		if len(g) != 2 || g[0].Subset != "a" || g[0].Sent != 1 || g[0].Events != 0 || g[1].Subset != "b" || g[1].Sent != 2 || g[1].Events != 1 || g[1].Rate != 0.5 {
			t.Fatalf("groups: %+v", g)
		}
		diff, lo, hi := delivery.Newcombe(1, 2, 0, 1)
		if *g[1].Difference != diff || *g[1].Low != lo || *g[1].High != hi || !g[1].TooSmall || g[1].Conclusive {
			t.Fatalf("b against a: %+v (want %f [%f, %f], too small)", g[1], diff, lo, hi)
		}
	})
}
