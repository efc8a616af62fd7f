package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
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

// sendDoc is the send campaign with ~11 KB of HTML, and the text derived
// from it: ~24 KB emails.
func sendDoc() string {
	return fmt.Sprintf(sendCampaign, "<p>"+strings.Repeat("Seasonal offers on shoes, bags and books. ", 260)+"</p>")
}

// conns is how many connections the SMTP provider and the bare client use.
const conns = 16

// sinkServer is an SMTP server that counts what it receives and throws it
// away, keeping the first message so that the bare client sends the same.
type sinkServer struct {
	n, bytes atomic.Int64
	// firstAt and lastAt are when the first and the last message arrived
	// (Unix nanoseconds).
	firstAt, lastAt atomic.Int64
	mu              sync.Mutex
	first           []byte
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
	now := time.Now().UnixNano()
	x.s.firstAt.CompareAndSwap(0, now)
	x.s.lastAt.Store(now)
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
// on each store) and dispatches it to the sandbox and to a local SMTP
// server, end to end: outbox claim, checks, render, send, record. The
// ceiling is a bare net/smtp client sending the first message the server
// received (~24 KB) as many times over as many connections to the same
// server.
func BenchmarkSend(b *testing.B) {
	doc := sendDoc()
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := loadDemoScale(b, backend, recipients())
			for _, provider := range []string{"sandbox", "smtp"} {
				b.Run(provider, func(b *testing.B) { sendOnce(b, s, provider, doc) })
			}
		})
	}
}

// sendOnce runs the send campaign live, then sends its messages to the
// provider (startSend, sendRun.send) and, for SMTP, measures the ceiling.
func sendOnce(b *testing.B, s *store.Store, provider, doc string) {
	r := startSend(b, s, doc, "send")
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
	rate, sent := r.send(b, provider, channel.Email, p)
	if sink != nil {
		b.Logf("average message %.1f KB", float64(sink.bytes.Load())/float64(sink.n.Load())/1024)
		ceiling := bareSMTP(b, port, int(sent), conns, sink.first)
		b.ReportMetric(rate/ceiling, "x_bare_net_smtp")
		b.Logf("bare net/smtp, %d connections, same server: %.0f msgs/s; fanfare end to end = %.2f of it", conns, ceiling, rate/ceiling)
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
	start, cpu := time.Now(), cpuSeconds()
	defer func() {
		b.Logf("bare net/smtp: the process used %.2f CPUs", (cpuSeconds()-cpu)/time.Since(start).Seconds())
	}()
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

// limitMemory caps an embedded store's memory for the send, as `fanfare
// serve --memory-limit` would: DuckDB gives back what the import and the
// campaign run cached beyond it. (Closing and reopening the store would
// model a restart better, but reopening a file just written replays its
// write-ahead log, which took minutes at 1M recipients: noted, not
// measured here.)
func limitMemory(b *testing.B, s *store.Store) {
	if !s.Embedded() {
		return
	}
	if _, err := storetest.DB(s).Exec(`SET memory_limit = '` + benchMemoryLimit() + `'`); err != nil {
		b.Fatal(err)
	}
}

// benchMemoryLimit is the embedded store's memory limit during sends:
// FANFARE_BENCH_MEMORY_LIMIT, default 64MB.
func benchMemoryLimit() string {
	if v := os.Getenv("FANFARE_BENCH_MEMORY_LIMIT"); v != "" {
		return v
	}
	return "64MB"
}

// sendStats is what dispatchAll measured.
type sendStats struct {
	secs              float64
	peakRSS, peakHeap float64 // MB, during the send
	cpu               float64 // the process's CPU seconds per second of the send
}

// dispatchAll runs the dispatcher as `fanfare serve` does (Run, its default
// loops) until the run's outbox has nothing left to send, and measures the
// process's peak RSS (VmHWM, reset before the send) and Go heap meanwhile.
// tp counts what the provider was handed; the outbox is counted only once
// it has been handed every message.
func dispatchAll(b *testing.B, s *store.Store, d *delivery.Dispatcher, tp *timedProvider, run int64) sendStats {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets the peak RSS the kernel reports.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	var heap atomic.Uint64
	stopHeap := make(chan struct{})
	heapDone := make(chan struct{})
	go func() {
		defer close(heapDone)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > heap.Load() {
				heap.Store(v)
			}
			select {
			case <-stopHeap:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var total int64
	if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE run_id = $1`, run).Scan(&total); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start, cpu := time.Now(), cpuSeconds()
	go func() { done <- d.Run(ctx, 20*time.Millisecond) }()
	// Counting what is left scans the outbox (a second on PostgreSQL at
	// 1M rows), load that `fanfare serve` does not have. Until the
	// provider has been handed every message, watch its counter, which
	// costs nothing, and count the outbox only every few seconds (in case
	// some message is never handed over); then count it until the last
	// statuses are written (retries included): often on small sends,
	// every second on large ones, where a second is noise.
	fast, slow := 10*time.Millisecond, 3*time.Second
	if total > 100_000 {
		fast = time.Second
	}
	counted := time.Now()
	for {
		time.Sleep(5 * time.Millisecond)
		handed := tp.handed.Load() >= total
		if !handed && time.Since(counted) < slow || handed && time.Since(counted) < fast {
			continue
		}
		counted = time.Now()
		var left int64
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status IN ('pending', 'claimed', 'sending', 'retry')`, run).Scan(&left); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
	}
	secs := time.Since(start).Seconds()
	used := cpuSeconds() - cpu
	cancel()
	if err := <-done; err != nil {
		b.Error(err)
	}
	close(stopHeap)
	<-heapDone
	return sendStats{secs: secs, peakRSS: peakRSSMB(), peakHeap: float64(heap.Load()) / (1 << 20), cpu: used / secs}
}

// cpuSeconds is the CPU time the process has used, user and system, all
// threads (the embedded store's too).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSMB is the process's peak resident memory since it was last reset
// (VmHWM), in MB.
func peakRSSMB() float64 {
	return procStatusMB(os.Getpid(), "VmHWM:")
}
