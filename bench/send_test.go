package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// sendCampaign emails every customer with an address a ~24 KB message.
const sendCampaign = `name: send
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'email is not null'}
  mail:
    type: email
    from: 'Fanfare Shop <shop@example.com>'
    subject: 'Hello {{ profile.first_name }}, our winter selection'
    html: '<html><body><p>Hello {{ profile.first_name }} from {{ profile.city }},</p>%s<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
transitions:
  - start -> all
  - all -> mail
`

// sinkServer is an SMTP server that counts what it receives and throws it
// away, keeping the first message so that the bare client sends the same.
type sinkServer struct {
	n, bytes atomic.Int64
	mu       sync.Mutex
	first    []byte
}

func (s *sinkServer) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &sinkSession{s}, nil }

type sinkSession struct{ s *sinkServer }

func (x *sinkSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (x *sinkSession) Reset()                                 {}
func (x *sinkSession) Logout() error                          { return nil }
func (x *sinkSession) Data(r io.Reader) error {
	var n int64
	var err error
	x.s.mu.Lock()
	keep := x.s.first == nil
	x.s.mu.Unlock()
	if keep {
		var b []byte
		b, err = io.ReadAll(r)
		n = int64(len(b))
		x.s.mu.Lock()
		x.s.first = b
		x.s.mu.Unlock()
	} else {
		n, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		return err
	}
	x.s.n.Add(1)
	x.s.bytes.Add(n)
	return nil
}

func startSink(b *testing.B) (*sinkServer, int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sink := &sinkServer{}
	srv := gosmtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.MaxMessageBytes = 1 << 20
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return sink, ln.Addr().(*net.TCPAddr).Port
}

// BenchmarkSend runs one email activity over the demo's customers (live,
// embedded store) and dispatches it to the sandbox and to a local SMTP
// server, end to end: outbox claim, checks, render, send, record. The
// ceiling is a bare net/smtp client sending the first message the server
// received (~24 KB) as many times over as many connections to the same
// server.
func BenchmarkSend(b *testing.B) {
	// ~11 KB of HTML and the text derived from it: ~24 KB emails.
	pad := "<p>" + strings.Repeat("Seasonal offers on shoes, bags and books. ", 260) + "</p>"
	doc := fmt.Sprintf(sendCampaign, pad)
	const conns = 16
	for _, provider := range []string{"sandbox", "smtp"} {
		b.Run(provider, func(b *testing.B) {
			s := loadDemoScale(b, "duckdb", recipients())
			ctx := context.Background()
			t0 := time.Now()
			eng := engine.New(engine.Config{Store: s, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now.Add(time.Since(t0)) }})
			if _, err := eng.Save(ctx, []byte(doc)); err != nil {
				b.Fatal(err)
			}
			if _, err := eng.Publish(ctx, "send"); err != nil {
				b.Fatal(err)
			}
			run := runLive(b, eng, "send")
			var p channel.Provider
			var sink *sinkServer
			var port int
			switch provider {
			case "sandbox":
				p, _ = delivery.NewSandbox(s, channel.Email)
			case "smtp":
				sink, port = startSink(b)
				var err error
				p, err = smtpprov.New(smtpprov.Config{Host: "127.0.0.1", Port: port, TLS: "none", Pool: conns})
				if err != nil {
					b.Fatal(err)
				}
			}
			defer p.Close()
			d := delivery.New(delivery.Config{Store: s, Log: slog.New(slog.DiscardHandler), Providers: map[string]channel.Provider{channel.Email: p}, Owner: "bench",
				Renderer: &delivery.CampaignRenderer{Store: s, Signer: delivery.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}, PublicURL: "https://fanfare.example.com"}})
			var total int64
			s.DB.QueryRow(`SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status = 'pending'`, run).Scan(&total)
			rssBefore := maxRSSMB()
			b.ResetTimer()
			start := time.Now()
			// Dispatchers share the outbox, as the workers of a node do.
			var wg sync.WaitGroup
			loops, _ := strconv.Atoi(os.Getenv("FANFARE_BENCH_LOOPS"))
			for range max(loops, 2) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n, err := d.DispatchOnce(ctx)
						if err != nil {
							b.Error(err)
							return
						}
						if n == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			secs := time.Since(start).Seconds()
			b.StopTimer()
			figs, _ := delivery.RunFigures(ctx, s, run)
			rate := float64(figs[0].Sent) / secs
			b.ReportMetric(rate, "msgs/s")
			b.ReportMetric(maxRSSMB(), "peak_rss_MB")
			b.Logf("%s: %d messages (%d sent, %d failed) in %.1fs = %.0f msgs/s; peak RSS %.0f MB (%.0f MB before the send)",
				provider, total, figs[0].Sent, figs[0].Failed, secs, rate, maxRSSMB(), rssBefore)
			if sink != nil {
				b.Logf("average message %.1f KB", float64(sink.bytes.Load())/float64(sink.n.Load())/1024)
				ceiling := bareSMTP(b, port, int(total), conns, sink.first)
				b.ReportMetric(rate/ceiling, "x_bare_net_smtp")
				b.Logf("bare net/smtp, %d connections, same server: %.0f msgs/s; fanfare end to end = %.2f of it", conns, ceiling, rate/ceiling)
			}
		})
	}
}

// runLive starts a live run of a published campaign and waits for it to
// complete.
func runLive(b *testing.B, eng *engine.Engine, campaign string) int64 {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eng.Run(ctx)
	r, err := eng.Start(context.Background(), campaign, engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		b.Fatal(err)
	}
	for {
		st, err := eng.Status(context.Background(), r.ID)
		if err != nil {
			b.Fatal(err)
		}
		if st.Run.Status != engine.RunRunning {
			if st.Run.Status != engine.RunCompleted {
				b.Fatalf("run %s: %s", st.Run.Status, st.Run.Error)
			}
			return r.ID
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bareSMTP sends a message n times with net/smtp over conns connections
// and returns messages per second.
func bareSMTP(b *testing.B, port, n, conns int, msg []byte) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial("127.0.0.1:" + strconv.Itoa(port))
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for next.Add(1) <= int64(n) {
				if err := c.Mail("shop@example.com"); err != nil {
					b.Error(err)
					return
				}
				if err := c.Rcpt("r@example.com"); err != nil {
					b.Error(err)
					return
				}
				w, err := c.Data()
				if err != nil {
					b.Error(err)
					return
				}
				w.Write(msg)
				if err := w.Close(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// recipients is the send benchmarks' scale: FANFARE_BENCH_RECIPIENTS
// customers (default 20 000), kept apart from the 1M of the other
// benchmarks because sending 24 KB emails to a million recipients takes
// hours on two cores today.
func recipients() int {
	if n, err := strconv.Atoi(os.Getenv("FANFARE_BENCH_RECIPIENTS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}
