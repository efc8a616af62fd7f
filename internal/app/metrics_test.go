package app

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestMetricsListen: `fanfare serve --metrics-listen` serves /metrics on
// that address to anyone (the operator chose it), while the main address
// serves it only with an API token.
func TestMetricsListen(t *testing.T) {
	t.Parallel()
	bin := buildFanfare(t)
	dir := t.TempDir()
	// A free port, let go for the server to take.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs processLogs
	srv, _ := startServer(t, bin, dir, &logs, nil, "--metrics-listen", addr)
	t.Cleanup(func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() })
	sf, err := readServerFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(tokenPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("http://"+addr+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "fanfare_outbox_messages{channel=\"email\",status=\"pending\"} 0") {
		t.Fatalf("scrape of --metrics-listen without a token: %d\n%s\n%s", code, body, logs.String())
	}
	if code, _ := get(sf.URL+"/metrics", ""); code != http.StatusUnauthorized {
		t.Fatalf("scrape of the main address without a token: %d", code)
	}
	if code, body := get(sf.URL+"/metrics", strings.TrimSpace(string(tok))); code != http.StatusOK || !strings.Contains(body, "fanfare_provider_resting") {
		t.Fatalf("scrape of the main address with the token: %d\n%s", code, body)
	}
}
