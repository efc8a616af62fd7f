package app

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// slowCampaign reads the stores table, which the multi-node test locks:
// its activity stays running, held by one node, for as long as the test
// wants.
const slowCampaign = `name: slow
dimension: customers
activities:
  start: {type: start}
  french_shops: {type: build_audience, query: 'exists(purchases where store.country = "FR")'}
  done: {type: end}
transitions:
  - start -> french_shops
  - french_shops -> done
`

// node is one fanfare serve process of the multi-node test.
type node struct {
	cmd  *exec.Cmd
	c    *client.Client
	logs *processLogs
}

// owns reports whether a lease owner (host:pid:random) names this node.
func (n *node) owns(owner string) bool {
	return strings.Contains(owner, fmt.Sprintf(":%d:", n.cmd.Process.Pid))
}

// TestNodeDeathDoesNotStallASend runs three fanfare servers on one
// PostgreSQL database, sending ~20 000 emails to an SMTP server in this
// test, and kills one (SIGKILL, not restarted) when the SMTP server has
// received 30 % of them. The killed node holds an activity of another run
// (kept running by a lock the test holds) and claimed messages. Without a
// restart, the two others must take both over once their leases run out:
// the send finishes, every recipient got exactly one copy or is in doubt
// (at most the messages the dead node was handing over), the figures add
// up, and the other run completes, its activity done once.
func TestNodeDeathDoesNotStallASend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three servers")
	}
	ctx := context.Background()
	dbURL := storetest.PostgresSchema(t) // skips loudly when PostgreSQL is unreachable outside CI
	const lease = delivery.MinLease
	started := time.Now()

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
	received := func() int {
		box.mu.Lock()
		defer box.mu.Unlock()
		return len(box.copies)
	}

	bin := buildFanfare(t)
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "blast.yaml"), []byte(killSendCampaign), 0o644)
	os.WriteFile(filepath.Join(work, "slow.yaml"), []byte(slowCampaign), 0o644)
	fanfare := func(args ...string) {
		cmd := exec.Command(bin, append([]string{"--data-dir", work}, args...)...)
		cmd.Env = append(os.Environ(), "FANFARE_DATABASE_URL="+dbURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("fanfare %v: %v\n%s", args, err, out)
		}
	}
	fanfare("demo", "--customers", "20000")
	fanfare("campaign", "publish", filepath.Join(work, "blast.yaml"))
	fanfare("campaign", "save", filepath.Join(work, "slow.yaml"))

	s, err := store.Open(ctx, store.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// The slow run's activity waits on this lock until the test lets it go.
	lock, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`LOCK TABLE stores IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Rollback() })

	const token = "multinode-test-token"
	env := []string{"FANFARE_DATABASE_URL=" + dbURL, "FANFARE_API_TOKEN=" + token,
		"FANFARE_SMTP_HOST=127.0.0.1", fmt.Sprintf("FANFARE_SMTP_PORT=%d", ln.Addr().(*net.TCPAddr).Port), "FANFARE_SMTP_TLS=none", "FANFARE_SMTP_POOL=8"}
	nodes := make([]*node, 3)
	for i := range nodes {
		n := &node{logs: &processLogs{}}
		dir := t.TempDir()
		n.cmd, _ = startServer(t, bin, dir, n.logs, env, "--lease", lease.String(), "--email-provider", "smtp")
		t.Cleanup(func() { n.cmd.Process.Kill(); n.cmd.Wait() })
		sf, err := readServerFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		n.c = client.New(sf.URL, token)
		nodes[i] = n
	}
	allLogs := func() string {
		var b strings.Builder
		for i, n := range nodes {
			fmt.Fprintf(&b, "--- node %d (pid %d)\n%s", i, n.cmd.Process.Pid, n.logs.String())
		}
		return b.String()
	}
	fatal := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\n%s", append(args, allLogs())...)
	}
	poll := func(what string, within time.Duration, done func() bool) time.Duration {
		t.Helper()
		from := time.Now()
		for !done() {
			if time.Since(from) > within {
				fatal("%s: not within %s", what, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(from)
	}

	// The slow run's activity is held by one node: that node will die.
	slow, err := nodes[0].c.RunStart(ctx, "slow", engine.RunOptions{Mode: engine.ModeSimulate})
	if err != nil {
		t.Fatal(err)
	}
	jobOwner := func() string {
		var owner sql.NullString
		s.DB.QueryRow(`SELECT lease_owner FROM ff_jobs WHERE dedupe_key = $1 AND status = 'running'`,
			fmt.Sprintf("run/%d/french_shops", slow.ID)).Scan(&owner)
		return owner.String
	}
	var victim int
	poll("a node takes the slow activity", 20*time.Second, func() bool { return jobOwner() != "" })
	for i, n := range nodes {
		if n.owns(jobOwner()) {
			victim = i
		}
	}
	survivor := nodes[(victim+1)%3]

	blast, err := survivor.c.RunStart(ctx, "blast", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	const total = 20000
	poll("30% of the emails received", 60*time.Second, func() bool { return received() >= total*3/10 })
	dead := nodes[victim]
	dead.cmd.Process.Signal(syscall.SIGKILL)
	dead.cmd.Wait()
	killedAt, atKill := time.Now(), received()

	// What the dead node held: claimed messages go back to the queue,
	// those it was handing over may end in doubt.
	var claimed, sending int
	deadOwner := fmt.Sprintf("%%:%d:%%", dead.cmd.Process.Pid)
	s.DB.QueryRow(`SELECT count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE status = 'sending')
		FROM ff_outbox WHERE run_id = $1 AND lease_owner LIKE $2`, blast.ID, deadOwner).Scan(&claimed, &sending)
	t.Logf("killed node %d with %d emails received: it held %d messages claimed and %d sending", victim, atKill, claimed, sending)
	if claimed+sending == 0 {
		fatal("the dead node held no message at the kill: nothing to recover")
	}

	// Its leases run out and the others take its work over, without a restart.
	tookMessages := poll("the dead node's messages recovered", lease+10*time.Second, func() bool {
		var n int
		s.DB.QueryRow(`SELECT count(*) FROM ff_outbox WHERE status IN ('claimed', 'sending') AND lease_owner LIKE $1`, deadOwner).Scan(&n)
		return n == 0
	})
	tookJob := poll("the slow activity taken over by a live node", lease+10*time.Second, func() bool {
		o := jobOwner()
		return o != "" && !dead.owns(o)
	})
	t.Logf("taken over after the kill: messages within %s, the activity within %s (lease %s)", tookMessages.Round(time.Millisecond), tookJob.Round(time.Millisecond), lease)
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}

	var figs []delivery.Figures
	poll("the send settles", 60*time.Second, func() bool {
		figs, err = survivor.c.RunFigures(ctx, blast.ID)
		return err == nil && len(figs) == 1 && figs[0].Targeted > 0 && figs[0].Pending == 0
	})
	poll("the slow run completes", 30*time.Second, func() bool {
		st, err := survivor.c.RunStatus(ctx, slow.ID)
		return err == nil && st.Run.Status != engine.RunRunning
	})
	t.Logf("settled %s after the kill, %s in all: %+v", time.Since(killedAt).Round(time.Millisecond), time.Since(started).Round(time.Millisecond), figs[0])
	if st, _ := survivor.c.RunStatus(ctx, slow.ID); st.Run.Status != engine.RunCompleted {
		fatal("slow run: %s %s", st.Run.Status, st.Run.Error)
	}
	for _, n := range nodes {
		if n != dead {
			n.cmd.Process.Signal(syscall.SIGTERM)
			n.cmd.Wait()
		}
	}

	checkDelivered(t, s, box, blast.ID, figs[0], sending)
	logs := allLogs()
	if done := regexp.MustCompile(fmt.Sprintf(`msg="activity done" run=%d activity=french_shops`, slow.ID)).FindAllString(logs, -1); len(done) != 1 {
		t.Errorf("the slow activity was done %d times:\n%s", len(done), logs)
	}
	if strings.Contains(logs, "another worker took this activity over") || strings.Contains(logs, "taken by another dispatcher") {
		t.Errorf("a live node lost work to another (its heartbeat was late):\n%s", logs)
	}
}

// checkDelivered compares the outbox of a run with what the SMTP server
// received: each message sent exactly once, or in doubt and received at
// most once, none lost; in doubt at most the messages the dead node was
// handing over; the figures add up.
func checkDelivered(t *testing.T, s *store.Store, box *mailbox, runID int64, figs delivery.Figures, handingOver int) {
	t.Helper()
	rows, err := s.DB.Query(`SELECT message_id, status FROM ff_outbox WHERE run_id = $1`, runID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	box.mu.Lock()
	defer box.mu.Unlock()
	counts, inDoubtReceived := map[string]int64{}, 0
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		counts[status]++
		got := box.copies[messageID(id)]
		switch {
		case status == delivery.StatusSent && got != 1,
			status == delivery.StatusInDoubt && got > 1,
			status == delivery.StatusExcluded && got != 0:
			t.Errorf("%s is %s and was received %d times", id, status, got)
		case status != delivery.StatusSent && status != delivery.StatusInDoubt && status != delivery.StatusExcluded:
			t.Errorf("%s ended %s (lost)", id, status)
		}
		if status == delivery.StatusInDoubt && got == 1 {
			inDoubtReceived++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, n := range box.copies {
		if n > 1 {
			t.Errorf("%s received %d copies", id, n)
		}
	}
	t.Logf("outcomes %v; received %d, of which %d in doubt", counts, len(box.copies), inDoubtReceived)
	if figs.Sent != counts[delivery.StatusSent] || figs.InDoubt != counts[delivery.StatusInDoubt] || figs.Excluded != counts[delivery.StatusExcluded] ||
		figs.Targeted != figs.Sent+figs.InDoubt+figs.Dropped+figs.Excluded+figs.Failed || figs.Failed != 0 {
		t.Errorf("the figures do not add up: %+v, outbox %v", figs, counts)
	}
	if int64(len(box.copies)) != figs.Sent+int64(inDoubtReceived) {
		t.Errorf("the server received %d messages: %d sent and %d of those in doubt", len(box.copies), figs.Sent, inDoubtReceived)
	}
	if figs.InDoubt > int64(handingOver) {
		t.Errorf("%d messages in doubt, more than the %d the dead node was handing over", figs.InDoubt, handingOver)
	}
}
