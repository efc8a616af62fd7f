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
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
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

// cluster is the multi-node test's world: fanfare servers on one
// PostgreSQL schema holding the demo, and the SMTP server they send to.
type cluster struct {
	t     *testing.T
	s     *store.Store
	box   *mailbox
	nodes []*node
}

// newCluster loads the demo (customers) and the blast and slow campaigns
// into a private schema, and starts n servers on it with a lease.
func newCluster(t *testing.T, n, customers int, lease time.Duration) *cluster {
	t.Helper()
	dbURL := storetest.PostgresSchema(t) // skips loudly when PostgreSQL is unreachable outside CI
	box, port := startMailbox(t)
	bin := buildFanfare(t)
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "blast.yaml"), []byte(killSendCampaign), 0o644)
	os.WriteFile(filepath.Join(work, "slow.yaml"), []byte(slowCampaign), 0o644)
	for _, args := range [][]string{{"demo", "--customers", fmt.Sprint(customers)}, {"campaign", "publish", filepath.Join(work, "blast.yaml")}, {"campaign", "save", filepath.Join(work, "slow.yaml")}} {
		cmd := exec.Command(bin, append([]string{"--data-dir", work}, args...)...)
		cmd.Env = append(os.Environ(), "FANFARE_DATABASE_URL="+dbURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("fanfare %v: %v\n%s", args, err, out)
		}
	}
	s, err := store.Open(context.Background(), store.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	const token = "multinode-test-token"
	env := []string{"FANFARE_DATABASE_URL=" + dbURL, "FANFARE_API_TOKEN=" + token,
		"FANFARE_SMTP_HOST=127.0.0.1", fmt.Sprintf("FANFARE_SMTP_PORT=%d", port), "FANFARE_SMTP_TLS=none", "FANFARE_SMTP_POOL=8"}
	c := &cluster{t: t, s: s, box: box}
	for range n {
		nd := &node{logs: &processLogs{}}
		dir := t.TempDir()
		nd.cmd, _ = startServer(t, bin, dir, nd.logs, env, "--lease", lease.String(), "--email-provider", "smtp")
		t.Cleanup(func() { nd.cmd.Process.Kill(); nd.cmd.Wait() })
		sf, err := readServerFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		nd.c = client.New(sf.URL, token)
		c.nodes = append(c.nodes, nd)
	}
	return c
}

// startMailbox starts an SMTP server that counts the copies it receives.
func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
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
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().(*net.TCPAddr).Port
}

// received is how many messages the SMTP server has.
func (c *cluster) received() int {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	return len(c.box.copies)
}

// logs are the servers' logs, node by node.
func (c *cluster) logs() string {
	var b strings.Builder
	for i, n := range c.nodes {
		fmt.Fprintf(&b, "--- node %d (pid %d)\n%s", i, n.cmd.Process.Pid, n.logs.String())
	}
	return b.String()
}

// fatalf fails the test with the servers' logs.
func (c *cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf(format+"\n%s", append(args, c.logs())...)
}

// poll waits until done, at most within, and returns how long it took.
func (c *cluster) poll(what string, within time.Duration, done func() bool) time.Duration {
	c.t.Helper()
	from := time.Now()
	for !done() {
		if time.Since(from) > within {
			c.fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(from)
}

// jobOwner is the lease owner of a run's activity while it runs.
func (c *cluster) jobOwner(run int64, activity string) string {
	var owner sql.NullString
	storetest.DB(c.s).QueryRow(`SELECT lease_owner FROM ff_jobs WHERE dedupe_key = $1 AND status = 'running'`, fmt.Sprintf("run/%d/%s", run, activity)).Scan(&owner)
	return owner.String
}

// leased counts a run's messages claimed and sending under leases of a
// node (all runs when run is 0).
func (c *cluster) leased(n *node, run int64) (claimed, sending int) {
	storetest.DB(c.s).QueryRow(`SELECT count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE status = 'sending')
		FROM ff_outbox WHERE ($1 = 0 OR run_id = $1) AND lease_owner LIKE $2`, run, fmt.Sprintf("%%:%d:%%", n.cmd.Process.Pid)).Scan(&claimed, &sending)
	return claimed, sending
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
//
// It runs alone (no t.Parallel): the takeover must come within the lease
// and 10 s, which the servers of other tests on a busy machine could
// stretch.
func TestNodeDeathDoesNotStallASend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three servers")
	}
	ctx := context.Background()
	const lease, total = delivery.MinLease, 20000
	started := time.Now()
	c := newCluster(t, 3, total, lease)
	// The slow run's activity waits on this lock until the test lets it go.
	lock, err := storetest.DB(c.s).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Rollback() })
	if _, err := lock.Exec(`LOCK TABLE stores IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	// The node that takes the slow run's activity will die.
	slow, err := c.nodes[0].c.RunStart(ctx, "slow", engine.RunOptions{Mode: engine.ModeSimulate})
	if err != nil {
		t.Fatal(err)
	}
	c.poll("a node takes the slow activity", 20*time.Second, func() bool { return c.jobOwner(slow.ID, "french_shops") != "" })
	victim := slices.IndexFunc(c.nodes, func(n *node) bool { return n.owns(c.jobOwner(slow.ID, "french_shops")) })
	dead, survivor := c.nodes[victim], c.nodes[(victim+1)%3]
	blast, err := survivor.c.RunStart(ctx, "blast", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	c.poll("30% of the emails received", 60*time.Second, func() bool { return c.received() >= total*3/10 })
	dead.cmd.Process.Signal(syscall.SIGKILL)
	dead.cmd.Wait()
	killedAt, atKill := time.Now(), c.received()
	// Claimed messages go back to the queue, those the dead node was
	// handing over may end in doubt.
	claimed, sending := c.leased(dead, blast.ID)
	t.Logf("killed node %d with %d emails received: it held %d messages claimed and %d sending", victim, atKill, claimed, sending)
	if claimed+sending == 0 {
		c.fatalf("the dead node held no message at the kill: nothing to recover")
	}

	// Its leases run out and the others take its work over, without a restart.
	tookMessages := c.poll("the dead node's messages recovered", lease+10*time.Second, func() bool {
		claimed, sending := c.leased(dead, 0)
		return claimed+sending == 0
	})
	tookJob := c.poll("the slow activity taken over by a live node", lease+10*time.Second, func() bool {
		o := c.jobOwner(slow.ID, "french_shops")
		return o != "" && !dead.owns(o)
	})
	t.Logf("taken over after the kill: messages within %s, the activity within %s (lease %s)", tookMessages.Round(time.Millisecond), tookJob.Round(time.Millisecond), lease)
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}

	var figs []delivery.Figures
	c.poll("the send settles", 60*time.Second, func() bool {
		figs, err = survivor.c.RunFigures(ctx, blast.ID)
		return err == nil && len(figs) == 1 && figs[0].Targeted > 0 && figs[0].Pending == 0
	})
	var st *engine.RunStatus
	c.poll("the slow run ends", 30*time.Second, func() bool {
		st, err = survivor.c.RunStatus(ctx, slow.ID)
		return err == nil && st.Run.Status != engine.RunRunning
	})
	t.Logf("settled %s after the kill, %s in all: %+v", time.Since(killedAt).Round(time.Millisecond), time.Since(started).Round(time.Millisecond), figs[0])
	if st.Run.Status != engine.RunCompleted {
		c.fatalf("slow run: %s %s", st.Run.Status, st.Run.Error)
	}
	// Every node's Home lists the three: the two alive ok, the dead one
	// silent (it stopped reporting); a node stopped cleanly leaves.
	c.poll("the dead node shown silent", 30*time.Second, func() bool {
		nodes, err := survivor.c.Nodes(ctx)
		if err != nil || len(nodes) != 3 {
			return false
		}
		for _, n := range nodes {
			if want := map[bool]string{true: service.NodeStatusSilent, false: "ok"}[n.PID == int64(dead.cmd.Process.Pid)]; n.Status != want {
				return false
			}
		}
		return true
	})
	for _, n := range c.nodes {
		if n != dead && n != survivor {
			n.cmd.Process.Signal(syscall.SIGTERM)
			n.cmd.Wait()
		}
	}
	if nodes, err := survivor.c.Nodes(ctx); err != nil || len(nodes) != 2 {
		t.Errorf("after a node stopped cleanly, the nodes are %+v (%v): want the survivor and the dead one", nodes, err)
	}
	survivor.cmd.Process.Signal(syscall.SIGTERM)
	survivor.cmd.Wait()
	checkDelivered(t, c.s, c.box, blast.ID, figs[0], sending)
	logs := c.logs()
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
	rows, err := storetest.DB(s).Query(`SELECT message_id, status FROM ff_outbox WHERE run_id = $1`, runID)
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
