package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/client"
)

// built is the binary of the tests that run real processes: this test
// binary itself, under the name fanfare (a link in a directory of its
// own, made once per test run), which TestMain runs as fanfare's main
// does. Building cmd/fanfare instead linked DuckDB again, 10–30 s of a
// test run; main only calls Main, as TestMain does.
var built struct {
	once sync.Once
	dir  string // removed by TestMain
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "fanfare" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildFanfare returns the binary for tests that run real processes,
// linking it on first use. Tests only run it, never change it.
func buildFanfare(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		var self string
		if self, built.err = os.Executable(); built.err != nil {
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "fanfare-test-bin-"); built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "fanfare")
		if built.err = os.Symlink(self, bin); built.err != nil {
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatalf("build: %v", built.err)
	}
	return built.bin
}

// processLogs collects the output of the server processes of a test.
type processLogs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *processLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *processLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer starts `fanfare serve` on dir (with extra flags and
// environment) and waits until it answers, returning it and a client.
func startServer(t *testing.T, bin, dir string, logs *processLogs, env []string, flags ...string) (*exec.Cmd, *client.Client) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--data-dir", dir, "serve", "--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if sf, err := readServerFile(dir); err == nil && sf.PID == cmd.Process.Pid {
			tok, _ := os.ReadFile(tokenPath(dir))
			c := client.New(sf.URL, strings.TrimSpace(string(tok)))
			if _, err := c.Health(context.Background()); err == nil {
				return cmd, c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("server did not start:\n%s", logs.String())
	return nil, nil
}
