package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// BenchmarkSendByServer (named so that -bench 'Send$' keeps meaning
// BenchmarkSend alone) measures Fanfare as it runs in production: a `fanfare
// serve` process of its own, started on a store holding the demo's
// customers, runs the send campaign live (build the audience, write the
// outbox) and sends its emails to an SMTP server in this process, over 16
// connections. It reports messages/s (first to last message the server
// received) and the server process's peak RSS, during the send and over
// its whole life, with nothing of the benchmark's own in that process: the
// figures the memory target is about.
func BenchmarkSendByServer(b *testing.B) {
	n := recipients()
	bin := filepath.Join(b.TempDir(), "fanfare")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/fanfare").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			cfg := storetest.Config(b, backend)
			s, err := store.Open(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			loadDemoInto(b, s, n)
			s.Close()
			args := []string{"--data-dir", cmp.Or(cfg.DataDir, b.TempDir())}
			if cfg.DatabaseURL != "" {
				args = append(args, "--database-url", cfg.DatabaseURL)
			}
			campaign := filepath.Join(b.TempDir(), "send.yaml")
			if err := os.WriteFile(campaign, []byte(sendDoc()), 0o644); err != nil {
				b.Fatal(err)
			}
			if out, err := exec.Command(bin, append(args, "campaign", "publish", campaign)...).CombinedOutput(); err != nil {
				b.Fatalf("publish: %v\n%s", err, out)
			}
			sink, port := startSink(b)
			b.ResetTimer()
			serveSend(b, bin, args, sink, port)
		})
	}
}

// serveSend starts the server, runs the campaign and measures until every
// message has an outcome.
func serveSend(b *testing.B, bin string, args []string, sink *sinkServer, port int) {
	var logs lockedBuffer
	cmd := exec.Command(bin, append(args, "--memory-limit", benchMemoryLimit(), "serve", "--addr", "127.0.0.1:0", "--email-provider", "smtp")...)
	cmd.Env = append(os.Environ(), "FANFARE_SMTP_HOST=127.0.0.1", fmt.Sprintf("FANFARE_SMTP_PORT=%d", port), "FANFARE_SMTP_TLS=none",
		fmt.Sprintf("FANFARE_SMTP_POOL=%d", conns), "FANFARE_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	c := serverClient(b, args[1], cmd.Process.Pid, &logs)
	ctx := context.Background()
	run, err := c.RunStart(ctx, "send", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		b.Fatal(err)
	}
	pid := cmd.Process.Pid
	var peakSend, peakAnon float64
	sample := func() {
		if sink.n.Load() > 0 {
			peakSend = max(peakSend, procStatusMB(pid, "VmRSS:"))
			peakAnon = max(peakAnon, procStatusMB(pid, "RssAnon:"))
		}
	}
	// Until the run has written the outbox, its status alone is polled;
	// then the figures, which count the outbox (a second at 1M rows on
	// PostgreSQL), only once every sendable message has reached the server.
	var f delivery.Figures
	for f.Targeted == 0 {
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			sample()
		}
		st, err := c.RunStatus(ctx, run.ID)
		if err != nil {
			b.Fatalf("run status: %v\n%s", err, logs.String())
		}
		switch st.Run.Status {
		case engine.RunFailed:
			b.Fatalf("the run failed: %s", st.Run.Error)
		case engine.RunCompleted:
			f = figures(b, c, run.ID)
		}
	}
	for f.Sent+f.Failed+f.InDoubt+f.Excluded < f.Targeted {
		for sink.n.Load() < f.Targeted-f.Excluded-f.Failed-f.InDoubt {
			time.Sleep(100 * time.Millisecond)
			sample()
		}
		time.Sleep(200 * time.Millisecond)
		f = figures(b, c, run.ID)
	}
	b.StopTimer()
	life := procStatusMB(pid, "VmHWM:")
	secs := time.Duration(sink.lastAt.Load() - sink.firstAt.Load()).Seconds()
	rate := float64(sink.n.Load()) / secs
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(peakSend, "send_peak_rss_MB")
	b.ReportMetric(peakAnon, "send_peak_anon_MB")
	b.ReportMetric(life, "process_peak_rss_MB")
	b.Logf("fanfare serve: %d messages (%d sent, %d failed, %d in doubt, %d excluded) at %.0f msgs/s; its peak RSS during the send %.0f MB (%.0f MB of it anonymous, the rest the executable's pages), over its life (the campaign run too) %.0f MB; store memory limit %s",
		f.Targeted, f.Sent, f.Failed, f.InDoubt, f.Excluded, rate, peakSend, peakAnon, life, benchMemoryLimit())
	if f.Sent != f.Targeted || sink.n.Load() != f.Sent {
		b.Errorf("%d of %d messages sent, %d received; failures: %v", f.Sent, f.Targeted, sink.n.Load(), f.Failures)
	}
}

// figures returns the figures of the run's one channel activity.
func figures(b *testing.B, c *client.Client, run int64) delivery.Figures {
	figs, err := c.RunFigures(context.Background(), run)
	if err != nil || len(figs) != 1 {
		b.Fatalf("figures: %v, %v", figs, err)
	}
	return figs[0]
}

// serverClient waits for the server started on dataDir with the given pid
// and returns a client of its API.
func serverClient(b *testing.B, dataDir string, pid int, logs *lockedBuffer) *client.Client {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var sf struct {
			URL string `json:"url"`
			PID int    `json:"pid"`
		}
		if raw, err := os.ReadFile(filepath.Join(dataDir, "server.json")); err == nil && json.Unmarshal(raw, &sf) == nil && sf.PID == pid {
			tok, _ := os.ReadFile(filepath.Join(dataDir, "api-token"))
			c := client.New(sf.URL, strings.TrimSpace(string(tok)))
			if _, err := c.Health(context.Background()); err == nil {
				return c
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("the server did not start:\n%s", logs.String())
	return nil
}

// procStatusMB reads a memory line of a process's /proc status, in MB.
func procStatusMB(pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// lockedBuffer collects a process's output, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
