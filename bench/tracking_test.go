package bench

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sandbox"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// trackCampaign emails every customer with an address a short message
// with two tracked links and the open pixel.
const trackCampaign = `name: track
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'email is not null'}
  mail:
    type: email
    from: 'Fanfare Shop <shop@example.com>'
    subject: 'Hello {{ profile.first_name }}, our winter selection'
    html: '<html><body><p>Hello {{ profile.first_name }},</p><p><a href="https://shop.example/winter?c={{ profile.customer_id }}" data-label="winter">Winter</a> <a href="https://shop.example/shoes">Shoes</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
transitions:
  - start -> all
  - all -> mail
`

var trackPathRE = regexp.MustCompile(`https://fanfare\.example\.com(/t/[oc]/[A-Za-z0-9_.-]+)`)

// BenchmarkTrackingServe measures the open pixel and the click redirect of
// a `fanfare serve` process of its own, on each store, under wrk on
// loopback, with the events recorded durably as in production: the
// tokens are those of real messages, sent (to an in-memory sandbox) by a
// tracked campaign over the demo's FANFARE_BENCH_RECIPIENTS customers,
// and wrk's Lua script goes round them. Beside it, in the same run, a bare
// net/http handler answering the same pixel and a 302 is the ceiling. It
// then checks that the events recorded are the requests answered, and
// kills the server (kill -9) under load to count the events lost: the
// answers given whose events never reached the store.
//
// wrk (Debian: apt-get install -y wrk) runs FANFARE_BENCH_WRK_THREADS
// threads (default 2) over FANFARE_BENCH_WRK_CONNS connections (default
// 64) for FANFARE_BENCH_WRK_SECONDS (default 10) per measure; it shares
// the machine's cores with the server.
func BenchmarkTrackingServe(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("wrk is not on PATH: install it (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk) to measure the tracking endpoints")
	}
	bin := filepath.Join(b.TempDir(), "fanfare")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/fanfare").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	script := filepath.Join(b.TempDir(), "rotate.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		b.Fatal(err)
	}
	bare := startBareTracking(b)
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			cfg := storetest.Config(b, backend)
			s, err := store.Open(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			loadDemoInto(b, s, recipients())
			run, opens, clicks := sendTracked(b, s)
			s.Close()
			dir := b.TempDir()
			files := map[string]string{"open": filepath.Join(dir, "opens.txt"), "click": filepath.Join(dir, "clicks.txt"), "mixed": filepath.Join(dir, "mixed.txt")}
			writeLines(b, files["open"], opens)
			writeLines(b, files["click"], clicks)
			writeLines(b, files["mixed"], interleave(opens, clicks))
			t := &trackBench{bin: bin, script: script, cfg: cfg, run: run, files: files, bare: bare,
				args: []string{"--data-dir", cmp.Or(cfg.DataDir, b.TempDir())}}
			if cfg.DatabaseURL != "" {
				t.args = append(t.args, "--database-url", cfg.DatabaseURL)
			}
			b.ResetTimer()
			t.underLoad(b)
			t.killed(b)
		})
	}
}

// sendTracked runs the tracked campaign live on s and sends its messages
// to an in-memory sandbox, rendered with tracking as a server with a
// public URL renders them; it returns the run and the paths of the
// messages' pixels and links.
func sendTracked(b *testing.B, s *store.Store) (run int64, opens, clicks []string) {
	b.Helper()
	r := startSend(b, s, trackCampaign, "track")
	mem := sandbox.NewMemory()
	p, err := sandbox.New(channel.Email, mem)
	if err != nil {
		b.Fatal(err)
	}
	tp := &timedProvider{Provider: p}
	d := delivery.New(delivery.Config{Store: s, Log: slog.New(slog.DiscardHandler), Providers: map[string]channel.Provider{channel.Email: tp}, Owner: "bench",
		Renderer: &delivery.CampaignRenderer{Store: s, Links: delivery.NewLinks(keyring.New(s)), PublicURL: "https://fanfare.example.com"}})
	dispatchAll(b, s, d, tp, r.run)
	for _, c := range mem.List() {
		for _, m := range trackPathRE.FindAllStringSubmatch(c.Message.Email.HTML, -1) {
			if strings.HasPrefix(m[1], "/t/o/") {
				opens = append(opens, m[1])
			} else {
				clicks = append(clicks, m[1])
			}
		}
	}
	if len(opens) == 0 || int64(len(opens)) != r.total || len(clicks) != 2*len(opens) {
		b.Fatalf("%d messages sent with %d pixels and %d tracked links, want one pixel and two links each", r.total, len(opens), len(clicks))
	}
	b.Logf("%d messages sent: %d pixels and %d tracked links to request", r.total, len(opens), len(clicks))
	return r.run, opens, clicks
}

// trackBench is one store's tracking benchmark: the server's binary and
// arguments, wrk's script and the files of paths it goes round.
type trackBench struct {
	bin, script string
	args        []string
	cfg         store.Config
	run         int64
	files       map[string]string
	bare        string
}

// sideBySide runs wrk on the server and on the bare handler for
// wrkSeconds each, in rounds of 5 s taken in turn (server, bare, bare,
// server…), so that the machine's drift over the measure — another
// process waking — falls on both sides, with a pause after each of the
// server's rounds for the work its load left; it returns the sums (p99:
// the worst round's).
func (t *trackBench) sideBySide(b *testing.B, server, paths string) (got, ceiling wrkResult) {
	secs, rounds := wrkSeconds(), wrkRounds()
	add := func(sum *wrkResult, r wrkResult) {
		sum.requests += r.requests
		sum.status += r.status
		sum.connect += r.connect
		sum.read += r.read
		sum.write += r.write
		sum.timeout += r.timeout
		sum.durationUs += r.durationUs
		sum.p99Us = max(sum.p99Us, r.p99Us)
	}
	for i := range rounds {
		d := secs / rounds
		if i == rounds-1 {
			d = secs - d*(rounds-1)
		}
		first, second := server, t.bare
		if i%2 == 1 {
			first, second = second, first
		}
		for _, url := range []string{first, second} {
			r := runWrk(b, t.script, url, paths, d)
			if url == server {
				add(&got, r)
				// The server's work left when wrk stops (its last fold of
				// the tallies, a checkpoint) must not fall in the bare
				// handler's round: it folds every second.
				time.Sleep(2 * time.Second)
			} else {
				add(&ceiling, r)
			}
		}
	}
	return got, ceiling
}

// wrkRounds is how many rounds sideBySide takes.
func wrkRounds() int { return max(1, wrkSeconds()/5) }

// underLoad measures the pixel and the redirect of a server against the
// bare handler's, then checks that every answer was recorded once the
// recorder has written its last batch.
func (t *trackBench) underLoad(b *testing.B) {
	srv := t.start(b)
	var answered, conns int64
	for _, kind := range []string{"open", "click"} {
		got, ceiling := t.sideBySide(b, srv.url, t.files[kind])
		b.ReportMetric(got.rps(), kind+"_req/s")
		b.ReportMetric(got.p99ms(), kind+"_p99_ms")
		b.ReportMetric(got.rps()/ceiling.rps(), kind+"_x_bare")
		b.Logf("%s: fanfare serve %.0f req/s, p99 %.2f ms; bare net/http %.0f req/s, p99 %.2f ms: %.2f of the bare handler (%d answers, %d errors)",
			kind, got.rps(), got.p99ms(), ceiling.rps(), ceiling.p99ms(), got.rps()/ceiling.rps(), got.answered(), got.errors())
		if got.errors() > 0 {
			b.Errorf("%s: %d errors: %+v\n%s", kind, got.errors(), got, srv.logs.String())
		}
		answered += got.answered()
		conns += wrkConns() * int64(wrkRounds()) // each run's requests left in flight
	}
	time.Sleep(2*delivery.RecordLinger + time.Second)
	live := srv.engagement(b, t.run)
	srv.stop(b)
	stored := t.countEvents(b)
	b.ReportMetric(float64(stored), "events")
	b.ReportMetric(float64(answered), "answers")
	b.Logf("events recorded %d (read through the API after the recorder's flush: %d) for %d answers wrk counted; %d more are requests wrk gave up on when its time ran out, answered after it stopped counting (at most its %d connections)",
		stored, live, answered, stored-answered, conns)
	if live != stored || stored < answered || stored > answered+conns {
		b.Errorf("%d events recorded (%d through the API) for %d answers over %d connections", stored, live, answered, conns)
	}
}

// killed runs wrk against a new server, kills it (SIGKILL) half-way and
// counts the events lost: the answers wrk received whose events the store
// does not have.
func (t *trackBench) killed(b *testing.B) {
	before := t.countEvents(b)
	srv := t.start(b)
	secs := wrkSeconds()
	done := make(chan wrkResult, 1)
	go func() { done <- runWrk(b, t.script, srv.url, t.files["mixed"], secs) }()
	time.Sleep(time.Duration(secs) * time.Second / 2)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		b.Fatal(err)
	}
	srv.cmd.Wait()
	got := <-done
	after := t.countEvents(b)
	lost := before + got.answered() - after
	b.ReportMetric(float64(lost), "events_lost_kill9")
	b.Logf("kill -9 under load: wrk received %d answers (2xx/3xx) before the kill, the store has %d of their events: %d lost (at most %d are ever answered and not committed)",
		got.answered(), after-before, lost, delivery.RecordBatch)
	if lost > delivery.RecordBatch {
		b.Errorf("%d events lost; the recorder keeps at most %d uncommitted", lost, delivery.RecordBatch)
	}
	if lost < 0 {
		b.Errorf("%d events stored for %d answers: more than wrk counted, beyond the requests in flight", after-before, got.answered())
	}
}

// countEvents counts the run's opens and clicks in the store, the server
// stopped.
func (t *trackBench) countEvents(b *testing.B) int64 {
	b.Helper()
	s, err := store.Open(context.Background(), t.cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n int64
	if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_events WHERE run_id = $1 AND type IN ('open', 'click')`, t.run).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// wrkSeconds, wrkConns and wrkThreads size wrk's load.
func wrkSeconds() int { return envInt("FANFARE_BENCH_WRK_SECONDS", 10) }
func wrkConns() int64 { return int64(envInt("FANFARE_BENCH_WRK_CONNS", 64)) }
func wrkThreads() int { return envInt("FANFARE_BENCH_WRK_THREADS", 2) }

func writeLines(b *testing.B, path string, lines []string) {
	b.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
}

// interleave alternates pixels and links.
func interleave(opens, clicks []string) []string {
	out := make([]string, 0, len(opens)+len(clicks))
	for i, c := range clicks {
		if i < len(opens) {
			out = append(out, opens[i])
		}
		out = append(out, c)
	}
	return out
}
