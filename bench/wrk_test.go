package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/client"
)

// wrkScript goes round the paths of a file (wrk's first argument after
// --), each thread from its own place, with the user agents of real mail
// clients and browsers (the machines' rules judge each), and prints what
// runWrk reads.
const wrkScript = `local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
local paths, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  i = ((offset or 0) * 7919) % #paths
end
local agents = {
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Thunderbird/128.5.0",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 (via ggpht.com GoogleImageProxy)",
}
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["User-Agent"] = agents[i % #agents + 1]})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FANFARE requests=%.0f duration_us=%.0f status=%.0f connect=%.0f read=%.0f write=%.0f timeout=%.0f p99_us=%.0f\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(99)))
end
`

// wrkResult is what wrk's summary says: responses (requests), those of
// status 400 and above (status), socket errors, the run's length and the
// 99th percentile of latency.
type wrkResult struct {
	requests, status, connect, read, write, timeout int64
	durationUs, p99Us                               float64
}

func (r wrkResult) answered() int64 { return r.requests - r.status }
func (r wrkResult) errors() int64 {
	return r.status + r.connect + r.read + r.write + r.timeout
}
func (r wrkResult) rps() float64   { return float64(r.requests) / (r.durationUs / 1e6) }
func (r wrkResult) p99ms() float64 { return r.p99Us / 1000 }

// runWrk runs wrk for secs seconds against base, going round the paths of
// the file paths.
func runWrk(b *testing.B, script, base, paths string, secs int) wrkResult {
	b.Helper()
	out, err := exec.Command("wrk", "-t", strconv.Itoa(wrkThreads()), "-c", strconv.FormatInt(wrkConns(), 10), "-d", strconv.Itoa(secs)+"s",
		"--timeout", "5s", "-s", script, base, "--", paths).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if !strings.HasPrefix(line, "FANFARE ") {
			continue
		}
		var r wrkResult
		if _, err := fmt.Sscanf(line, "FANFARE requests=%d duration_us=%g status=%d connect=%d read=%d write=%d timeout=%d p99_us=%g",
			&r.requests, &r.durationUs, &r.status, &r.connect, &r.read, &r.write, &r.timeout, &r.p99Us); err != nil {
			b.Fatalf("wrk's summary %q: %v", line, err)
		}
		return r
	}
	b.Fatalf("no summary in wrk's output:\n%s", out)
	return wrkResult{}
}

// barePixel is the 1×1 GIF the tracking pixel answers.
var barePixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// startBareTracking serves the same pixel and a 302 redirect from a bare
// net/http handler on loopback, recording nothing: the ceiling the
// server's tracking endpoints are compared with.
func startBareTracking(b *testing.B) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/o/{token}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Header().Set("Cache-Control", "no-store, max-age=0")
		w.Write(barePixel)
	})
	mux.HandleFunc("GET /t/c/{token}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://shop.example/winter?utm_source=fanfare", http.StatusFound)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// trackServer is a `fanfare serve` process.
type trackServer struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	c    *client.Client
}

// start starts the server on the store and waits for its API.
func (t *trackBench) start(b *testing.B) *trackServer {
	b.Helper()
	srv := &trackServer{logs: &lockedBuffer{}}
	srv.cmd = exec.Command(t.bin, append(t.args, "serve", "--addr", "127.0.0.1:0")...)
	srv.cmd.Env = append(os.Environ(), "FANFARE_LOG_LEVEL=warn")
	srv.cmd.Stdout, srv.cmd.Stderr = srv.logs, srv.logs
	if err := srv.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if srv.cmd.ProcessState == nil {
			srv.cmd.Process.Signal(syscall.SIGKILL)
			srv.cmd.Wait()
		}
	})
	srv.c = serverClient(b, t.args[1], srv.cmd.Process.Pid, srv.logs)
	var sf struct {
		URL string `json:"url"`
	}
	raw, err := os.ReadFile(filepath.Join(t.args[1], "server.json"))
	if err != nil || json.Unmarshal(raw, &sf) != nil || sf.URL == "" {
		b.Fatalf("server.json: %v %s", err, raw)
	}
	srv.url = strings.TrimSuffix(sf.URL, "/")
	return srv
}

// engagement sums the run's opens and clicks, people's and machines',
// through the API.
func (srv *trackServer) engagement(b *testing.B, run int64) int64 {
	b.Helper()
	figs, err := srv.c.RunFigures(context.Background(), run)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, f := range figs {
		if e := f.Engagement; e != nil {
			n += e.OpenedTotal + e.OpenedMachine + e.ClickedTotal + e.ClickedMachine
		}
	}
	return n
}

// stop stops the server (SIGTERM: it flushes its recorder) and waits.
func (srv *trackServer) stop(b *testing.B) {
	b.Helper()
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.cmd.Wait(); err != nil {
		b.Errorf("the server stopped with %v:\n%s", err, srv.logs.String())
	}
}

// envInt reads a positive integer from the environment, def without one.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
