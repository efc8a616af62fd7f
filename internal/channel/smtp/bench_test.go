package smtp_test

import (
	"bytes"
	"fmt"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/smtp"
)

// benchMessages is the batch size of BenchmarkSMTP (-short: a tenth).
const benchMessages = 20000

// benchEmail is a ~24 KB email, as in the figures of DESIGN.md.
func benchEmail(id string, i int) *channel.Message {
	m := channeltest.Message(channel.Email, id, i)
	para := "<p>Bonjour, voici nos offres de la semaine : des chaussures, des sacs et des manteaux à prix doux.</p>\n"
	m.Email.HTML = "<html><body>" + strings.Repeat(para, 150) + "</body></html>"
	m.Email.Text = strings.Repeat("Bonjour, voici nos offres de la semaine : chaussures, sacs, manteaux.\n", 100)
	return m
}

// BenchmarkSMTP sends benchMessages ~24 KB emails to an in-process go-smtp
// server that discards them, through the provider and through bare clients
// (net/smtp and go-smtp, one pre-built message, no MIME work) that give the
// ceiling. Run with -benchtime=1x; msgs/s is the figure, cpu-µs/msg the
// steadier one.
func BenchmarkSMTP(b *testing.B) {
	n := benchMessages
	if testing.Short() {
		n /= 10
	}
	msgs := make([]*channel.Message, n)
	for i := range msgs {
		msgs[i] = benchEmail(fmt.Sprintf("bench-%d", i), i)
	}
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "From: news@example.com\r\nTo: user@example.com\r\nSubject: bench\r\n\r\n")
	for raw.Len() < 24<<10 {
		raw.WriteString(strings.Repeat("x", 76) + "\r\n")
	}
	for _, conns := range []int{16, 64} {
		b.Run(fmt.Sprintf("fanfare/conns=%d", conns), func(b *testing.B) {
			s := newServer(b, serverOpts{tls: "none", discard: true})
			p, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: s.Port, TLS: "none", Pool: conns, HeloName: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			for range b.N {
				for i, r := range p.Send(b.Context(), msgs) {
					if r.Outcome != channel.Sent {
						b.Fatalf("message %d: %q %s", i, r.Outcome, r.Error)
					}
				}
			}
			report(b, n*b.N, start, cpu)
		})
		b.Run(fmt.Sprintf("netsmtp/conns=%d", conns), func(b *testing.B) {
			bare(b, n, conns, raw.Bytes(), func(addr string) (bareClient, error) {
				c, err := netsmtp.Dial(addr)
				if err != nil {
					return nil, err
				}
				return netClient{c}, c.Hello("bench")
			})
		})
		b.Run(fmt.Sprintf("gosmtp/conns=%d", conns), func(b *testing.B) {
			bare(b, n, conns, raw.Bytes(), func(addr string) (bareClient, error) {
				c, err := gosmtp.Dial(addr)
				if err != nil {
					return nil, err
				}
				return goClient{c}, c.Hello("bench")
			})
		})
	}
}

type bareClient interface {
	send(raw []byte) error
	Close() error
}

type netClient struct{ *netsmtp.Client }

func (c netClient) send(raw []byte) error {
	if err := c.Mail("news@example.com"); err != nil {
		return err
	}
	if err := c.Rcpt("user@example.com"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	return w.Close()
}

type goClient struct{ *gosmtp.Client }

func (c goClient) send(raw []byte) error {
	if err := c.Mail("news@example.com", nil); err != nil {
		return err
	}
	if err := c.Rcpt("user@example.com", nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	return w.Close()
}

// bare sends n copies of raw over conns persistent connections.
func bare(b *testing.B, n, conns int, raw []byte, dial func(addr string) (bareClient, error)) {
	s := newServer(b, serverOpts{tls: "none", discard: true})
	addr := fmt.Sprintf("127.0.0.1:%d", s.Port)
	clients := make([]bareClient, conns)
	for i := range clients {
		c, err := dial(addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if err := c.send(raw); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	report(b, n*b.N, start, cpu)
}

// report gives the send rate, and the CPU time the process (client and
// server) spent per message: on a shared machine the rate moves with the
// other load, the CPU time much less.
func report(b *testing.B, msgs int, start time.Time, cpu time.Duration) {
	b.ReportMetric(float64(msgs)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(msgs), "cpu-µs/msg")
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
