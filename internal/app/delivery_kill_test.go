package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// mailbox is an SMTP server that counts the copies of each Message-ID.
type mailbox struct {
	mu     sync.Mutex
	copies map[string]int
}

func (m *mailbox) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &mailSession{m: m}, nil }

type mailSession struct{ m *mailbox }

func (s *mailSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                                 {}
func (s *mailSession) Logout() error                          { return nil }
func (s *mailSession) Data(r io.Reader) error {
	h, err := textproto.NewReader(bufio.NewReader(r)).ReadMIMEHeader()
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.copies[h.Get("Message-Id")]++
	s.m.mu.Unlock()
	return nil
}

const killSendCampaign = `name: blast
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'email is not null'}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'Hello {{ profile.first_name }}'
    text: 'Hello {{ profile.first_name }}, see you soon.'
transitions:
  - start -> all
  - all -> mail
`

// TestSendSurvivesKills sends a 10 000-recipient email campaign through a
// real fanfare server to an SMTP server in this test, and kills the fanfare
// server (SIGKILL) at random moments of the send, restarting it each time.
// At the end every recipient has received exactly one copy, or its message
// is reported in doubt (and received at most once); none is lost.
func TestSendSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FANFARE_KILL_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (FANFARE_KILL_SEED reproduces)", seed)
	rng := rand.New(rand.NewPCG(seed, 11))

	box := &mailbox{copies: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	bin := buildFanfare(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "blast.yaml"), []byte(killSendCampaign), 0o644)
	fanfare := func(args ...string) {
		if out, err := exec.Command(bin, append([]string{"--data-dir", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("fanfare %v: %v\n%s", args, err, out)
		}
	}
	fanfare("demo", "--customers", "10000")
	fanfare("campaign", "publish", filepath.Join(dir, "blast.yaml"))

	var logs processLogs
	smtpEnv := []string{"FANFARE_SMTP_HOST=127.0.0.1", fmt.Sprintf("FANFARE_SMTP_PORT=%d", port), "FANFARE_SMTP_TLS=none", "FANFARE_SMTP_POOL=8"}
	start := func() (*exec.Cmd, *client.Client) {
		return startServer(t, bin, dir, &logs, smtpEnv, "--lease", "5s", "--email-provider", "smtp")
	}
	proc, c := start()
	run, err := c.RunStart(context.Background(), "blast", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	// Kill while messages are being sent.
	kills := 0
	for kills < 6 {
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		figs, err := c.RunFigures(context.Background(), run.ID)
		if err == nil && len(figs) == 1 && figs[0].Pending == 0 && figs[0].Targeted > 0 {
			break
		}
		proc.Process.Signal(syscall.SIGKILL)
		proc.Wait()
		kills++
		os.Remove(serverFilePath(dir))
		proc, c = start()
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		figs, err := c.RunFigures(context.Background(), run.ID)
		if err == nil && len(figs) == 1 && figs[0].Pending == 0 && figs[0].Targeted > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the send did not finish: %+v %v\n%s", figs, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	proc.Process.Signal(syscall.SIGTERM)
	proc.Wait()
	t.Logf("%d kills", kills)

	s, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB.Query(`SELECT message_id, status FROM ff_outbox WHERE run_id = $1`, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	counts := map[string]int{}
	box.mu.Lock()
	defer box.mu.Unlock()
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		counts[status]++
		got := box.copies[messageID(id)]
		switch status {
		case "sent":
			if got != 1 {
				t.Errorf("%s is sent but the server received %d copies", id, got)
			}
		case "in_doubt":
			if got > 1 {
				t.Errorf("%s is in doubt and was received %d times", id, got)
			}
		case "excluded":
			if got != 0 {
				t.Errorf("%s is excluded but was received %d times", id, got)
			}
		default:
			t.Errorf("%s ended %s (lost)", id, status)
		}
	}
	// Each kill can leave at most the chunk each loop is sending in doubt;
	// every other message was sent or excluded (checked above), so this
	// also bounds how few were sent.
	if counts["in_doubt"] > kills*delivery.DefaultLoops*delivery.EmbeddedSendChunk || counts["sent"] == 0 {
		t.Fatalf("after %d kills: %v", kills, counts)
	}
	for id, n := range box.copies {
		if n > 1 {
			t.Errorf("%s received %d copies", id, n)
		}
	}
	t.Logf("outcomes %v, messages received %d", counts, len(box.copies))
}

// messageID is the Message-ID header the SMTP provider gives an outbox id.
func messageID(id string) string { return smtpprov.MessageID(id, "shop@example.com") }
