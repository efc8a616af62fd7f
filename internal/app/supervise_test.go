package app

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestFailedStartUpShowsInHealth starts a real server on a store whose
// outbox the dispatcher cannot recover (the table is renamed away): the
// server must log it, answer health with 503 and the reason, retry, and
// (on PostgreSQL, where the test can repair the store while the server
// runs) answer ok once the retry succeeds.
func TestFailedStartUpShowsInHealth(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a server process")
	}
	bin := buildFanfare(t)
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := storetest.Config(t, backend)
			dir := t.TempDir()
			if cfg.DataDir != "" {
				dir = cfg.DataDir
			}
			rename := func(from, to string) {
				t.Helper()
				s, err := store.Open(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if _, err := storetest.DB(s).Exec("ALTER TABLE " + from + " RENAME TO " + to); err != nil {
					t.Fatal(err)
				}
			}
			rename("ff_outbox", "ff_outbox_away")
			var flags []string
			if cfg.DatabaseURL != "" {
				flags = []string{"--database-url", cfg.DatabaseURL}
			}
			var logs processLogs
			srv, c := startServer(t, bin, dir, &logs, nil, flags...)
			defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()

			h := waitHealth(t, c, &logs, "failing")
			if resp, err := http.Get(c.Base() + "/api/health"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("a failing server's health answered %v %v, want 503", resp.Status, err)
			} else {
				resp.Body.Close()
			}
			if len(h.Problems) != 1 || h.Problems[0].Part != "dispatcher" || !strings.Contains(h.Problems[0].Error, "ff_outbox") {
				t.Fatalf("problems: %+v", h.Problems)
			}
			if !strings.Contains(logs.String(), `msg="a part of the server failed; retrying" part=dispatcher`) {
				t.Fatalf("the failure was not logged:\n%s", logs.String())
			}
			if cfg.DatabaseURL == "" {
				return // the server holds the file: the store cannot be repaired under it
			}
			rename("ff_outbox_away", "ff_outbox")
			waitHealth(t, c, &logs, "ok")
			if !strings.Contains(logs.String(), `msg="started after failing" part=dispatcher`) {
				t.Fatalf("the recovery was not logged:\n%s", logs.String())
			}
		})
	}
}

// waitHealth polls the server's health until it has the status (503 for
// failing, 200 for ok).
func waitHealth(t *testing.T, c *client.Client, logs *processLogs, status string) *api.Health {
	t.Helper()
	var last *api.Health
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		h, err := c.Health(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if last = h; h.Status == status {
			return h
		}
	}
	t.Fatalf("health stayed %+v, want %s:\n%s", last, status, logs.String())
	return nil
}
