package app

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/client"
)

// TestRestartRightAfterKill kills a real server with SIGKILL and, before
// anything reaps it (it stays a zombie, as under a slow supervisor), starts
// another one on the same data directory: it must start at once.
func TestRestartRightAfterKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	bin := buildFanfare(t)
	dir := t.TempDir()
	var logs processLogs
	first, _ := startServer(t, bin, dir, &logs, nil)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// SIGKILL is delivered asynchronously: under load the process may live
	// a few milliseconds more, holding its lock. Wait until it is dead —
	// a zombie, not reaped: the dead process keeps its pid until Wait.
	for deadline := time.Now().Add(10 * time.Second); !zombie(first.Process.Pid) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	second, c, exited := serveUntilUp(t, bin, dir, &logs)
	first.Wait()
	if h, err := c.Health(t.Context()); err != nil || h.PID != second.Process.Pid {
		t.Fatalf("health of the restarted server: %+v %v", h, err)
	}
	// While it lives, a third is refused and names it.
	out, err := exec.Command(bin, "--data-dir", dir, "serve", "--addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "already serves") {
		t.Fatalf("a second live server was not refused: %v\n%s", err, out)
	}
	second.Process.Signal(syscall.SIGTERM)
	<-exited
}

// serveUntilUp starts `fanfare serve` on dir and waits until it answers,
// failing at once if the process exits first. exited closes when it ends
// (the test must not Wait itself).
func serveUntilUp(t *testing.T, bin, dir string, logs *processLogs) (*exec.Cmd, *client.Client, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(bin, "--data-dir", dir, "serve", "--addr", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	start := time.Now()
	for deadline := start.Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			t.Fatalf("the server exited after %v: %s\n%s", time.Since(start).Round(time.Millisecond), cmd.ProcessState, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if sf, err := readServerFile(dir); err == nil && sf.PID == cmd.Process.Pid {
			tok, _ := os.ReadFile(tokenPath(dir))
			c := client.New(sf.URL, strings.TrimSpace(string(tok)))
			if _, err := c.Health(t.Context()); err == nil {
				t.Logf("restarted in %v", time.Since(start).Round(time.Millisecond))
				return cmd, c, exited
			}
		}
	}
	t.Fatalf("the server did not start:\n%s", logs.String())
	return nil, nil, nil
}

// zombie reports whether a process has died but not been reaped (Linux's
// /proc; elsewhere it says yes at once, as the test did before): its main
// thread a zombie and no other thread left — the others share its open
// files, the lock among them, until the last one has exited.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return true
	}
	state, threads := "", ""
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "State:"); ok {
			state = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			threads = strings.TrimSpace(v)
		}
	}
	return (strings.HasPrefix(state, "Z") || strings.HasPrefix(state, "X")) && (threads == "" || threads == "1" || threads == "0")
}
