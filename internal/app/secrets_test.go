package app

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/cli"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestTokenAndKeyCommands(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		// Tokens and keys are managed in a store; none is created for them.
		if code, out, errs := cli("model", "apply", "testdata/model.yaml"); code != 0 {
			t.Fatalf("apply: %d %s %s", code, out, errs)
		}
		code, tok, errs := cli("token", "create", "ci")
		if code != 0 || !strings.HasPrefix(tok, "ff_") {
			t.Fatalf("token create: %d %q %s", code, tok, errs)
		}
		if code, _, errs := cli("token", "create", "ci"); code == 0 || !strings.Contains(errs, `token "ci": an active token has that name`) {
			t.Errorf("a second ci: %d %s", code, errs)
		}
		if code, out, errs := cli("token", "list"); code != 0 || !regexp.MustCompile(`(?m)^ci +created \S+  active$`).MatchString(out) || strings.Contains(out, strings.TrimSpace(tok)) {
			t.Errorf("token list: %d %q %s", code, out, errs)
		}
		if code, out, errs := cli("token", "revoke", "ci"); code != 0 || out != "token ci revoked\n" {
			t.Errorf("token revoke: %d %q %s", code, out, errs)
		}
		if code, _, errs := cli("token", "revoke", "ci"); code == 0 || !strings.Contains(errs, `no active token named "ci"`) {
			t.Errorf("revoke twice: %d %s", code, errs)
		}
		if code, out, _ := cli("token", "list"); code != 0 || !strings.Contains(out, "revoked ") {
			t.Errorf("token list after revoke: %q", out)
		}

		code, out, errs := cli("keys", "list")
		first := regexp.MustCompile(`(?m)^(k[0-9a-f]{8}) +created \S+  current`).FindStringSubmatch(out)
		if code != 0 || first == nil {
			t.Fatalf("keys list: %d %q %s", code, out, errs)
		}
		if code, out, errs := cli("keys", "rotate"); code != 0 || strings.Count(out, "\n") != 2 || strings.Contains(out, first[1]+" created") && regexp.MustCompile(first[1]+` .*current`).MatchString(out) {
			t.Fatalf("keys rotate: %d %q %s", code, out, errs)
		}
		code, out, errs = cli("keys", "retire", first[1])
		if code != 0 || !regexp.MustCompile(first[1]+` +created \S+  retired `).MatchString(out) {
			t.Fatalf("keys retire: %d %q %s", code, out, errs)
		}
		current := regexp.MustCompile(`(?m)^(k[0-9a-f]{8}) .*current`).FindStringSubmatch(out)
		if code, _, errs := cli("keys", "retire", current[1]); code == 0 || !strings.Contains(errs, "rotate first") {
			t.Errorf("retire the current key: %d %s", code, errs)
		}
	})
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeOnPostgresWithoutDataDir runs two `fanfare serve` processes on
// one PostgreSQL schema with no data directory: neither writes anything
// in its working directory; the first, given no token, prints an admin
// token once, which the second accepts, as it accepts a token the first
// was configured with.
func TestServeOnPostgresWithoutDataDir(t *testing.T) {
	t.Parallel()
	bin := buildFanfare(t)
	dbURL := storetest.Config(t, "postgres").DatabaseURL
	work := t.TempDir()
	var logs processLogs
	start := func(env ...string) (*exec.Cmd, *client.Client) {
		t.Helper()
		addr := freeAddr(t)
		cmd := exec.Command(bin, "--database-url", dbURL, "serve", "--addr", addr)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
		c := client.New("http://"+addr, "")
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := c.Health(context.Background()); err == nil {
				return cmd, c
			}
			if time.Now().After(deadline) {
				t.Fatalf("server did not start:\n%s", logs.String())
			}
		}
	}
	start()
	admin := regexp.MustCompile(`(?m)^ff_[0-9a-f]{48}$`).FindString(logs.String())
	if admin == "" {
		t.Fatalf("no admin token printed:\n%s", logs.String())
	}
	configured := "ff_configured_for_node_two_0123456789"
	_, c2 := start("FANFARE_API_TOKEN=" + configured)
	if strings.Count(logs.String(), "API token created") != 1 {
		t.Errorf("the second node printed another token:\n%s", logs.String())
	}
	for name, tok := range map[string]string{"admin": admin, "configured": configured} {
		list, err := client.New(c2.Base(), tok).Tokens(context.Background())
		if err != nil || len(list) != 2 {
			t.Errorf("node two with the %s token: %v %v", name, list, err)
		}
	}
	entries, err := os.ReadDir(work)
	if err != nil || len(entries) != 0 {
		t.Errorf("the servers wrote in their working directory: %v %v", entries, err)
	}
}

// TestBootstrapToken checks the token a starting server makes sure of:
// the data directory's (made 0600, recorded hashed, made again once
// revoked), or a configured one.
func TestBootstrapToken(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.Open(t, backend)
			dir := t.TempDir()
			var errb strings.Builder
			g := &cli.Globals{DataDir: dir}
			g.SetOutput(nil, &errb, cli.NewLogger(&errb, "info", "text"))
			if err := bootstrapToken(ctx, g, s); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(tokenPath(dir))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("api-token: %v %v", fi, err)
			}
			tok := apiToken(g)
			tokens := keyring.NewTokens(s)
			if name, ok, err := tokens.Check(ctx, tok); !ok || name != "local" || err != nil {
				t.Fatalf("the file's token: %q %v %v", name, ok, err)
			}
			// Started again: the same token.
			if err := bootstrapToken(ctx, g, s); err != nil || apiToken(g) != tok {
				t.Fatalf("second start: %v, token changed %v", err, apiToken(g) != tok)
			}
			// Revoked: the next start writes a new one.
			if err := tokens.Revoke(ctx, "local"); err != nil {
				t.Fatal(err)
			}
			if err := bootstrapToken(ctx, g, s); err != nil {
				t.Fatal(err)
			}
			if fresh := apiToken(g); fresh == tok {
				t.Error("a revoked token was kept")
			} else if _, ok, _ := tokens.Check(ctx, fresh); !ok {
				t.Error("the new token is refused")
			}
			// A configured token is recorded (and the data directory's
			// file left alone).
			g.Token = "ff_configured_0123456789abcdef"
			if err := bootstrapToken(ctx, g, s); err != nil {
				t.Fatal(err)
			}
			if name, ok, _ := tokens.Check(ctx, g.Token); !ok || name != "configured" {
				t.Errorf("configured token: %q %v", name, ok)
			}
		})
	}
}

// TestLegacySecretImported checks that the secret an earlier version kept
// in the data directory becomes a legacy key of the keyring, and
// FANFARE_SECRET too.
func TestLegacySecretImported(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t, "duckdb")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	g := &cli.Globals{DataDir: dir}
	g.SetOutput(nil, &errb, cli.NewLogger(&errb, "info", "text"))
	ring := keyring.New(s)
	if err := importLegacySecret(ctx, g, ring); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FANFARE_SECRET", "the secret of another node")
	if err := importLegacySecret(ctx, g, ring); err != nil {
		t.Fatal(err)
	}
	if keys, err := ring.Legacy(ctx); err != nil || len(keys) != 2 {
		t.Errorf("legacy keys = %v, %v", keys, err)
	}
}
