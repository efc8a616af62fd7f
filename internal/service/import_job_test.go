package service_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// gate holds back what the imports it wraps read: a slow disk, which
// the test opens a number of bytes at a time. A read waiting at the
// gate ends with the import's context.
type gate struct {
	mu      sync.Mutex
	allowed int64
	opened  chan struct{} // closed (and replaced) when allowed grows
}

func newGate() *gate { return &gate{opened: make(chan struct{})} }

// allow lets the imports read n bytes more each (-1: all they like).
func (g *gate) allow(n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n < 0 || g.allowed < 0 {
		g.allowed = -1
	} else {
		g.allowed += n
	}
	close(g.opened)
	g.opened = make(chan struct{})
}

func (g *gate) wrap(ctx context.Context, r io.Reader) io.Reader {
	return &gated{g: g, r: r, ctx: ctx}
}

type gated struct {
	g    *gate
	r    io.Reader
	ctx  context.Context
	read int64
}

func (r *gated) Read(p []byte) (int, error) {
	for {
		r.g.mu.Lock()
		allowed, opened := r.g.allowed, r.g.opened
		r.g.mu.Unlock()
		if allowed < 0 || r.read < allowed {
			if allowed >= 0 {
				p = p[:min(int64(len(p)), allowed-r.read)]
			}
			n, err := r.r.Read(p)
			r.read += int64(n)
			return n, err
		}
		select {
		case <-opened:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
}

// TestImportRunsAsAJob uploads a file over a real connection while the
// import's reads are held back: the upload answers 202 at once, the
// client hangs up, the import's recorded progress grows as it reads, and
// it ends done, its two bad rows reported. A second import, held back
// when the service closes (the server's shutdown), ends interrupted and
// leaves the table as it was. Both stores.
func TestImportRunsAsAJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		local := service.New(service.Config{Store: s, Log: quiet()})
		g := newGate()
		service.SetImportReader(local, g.wrap)
		srv := httptest.NewServer(apitest.Validate(t, api.New(api.Config{Service: local, Token: token, Log: quiet()})))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { local.Close() })
		c := client.New(srv.URL, token)
		got(c.ApplyModel(ctx, []byte(model), schema.ApplyOptions{})).must(t)

		const rows = 20000
		var b strings.Builder
		b.WriteString("customer_id,email,country\n")
		for i := 1; i <= rows; i++ {
			switch i {
			case 2:
				b.WriteString("two,x@example.com,FR\n") // line 3
			case rows - 1:
				fmt.Fprintf(&b, "%d,y@example.com,FR,extra\n", i) // line 20000
			default:
				fmt.Fprintf(&b, "%d,c%06d@example.com,FR\n", i, i)
			}
		}
		body := b.String()

		// The upload answers while the import cannot have ended (its
		// reads are held back), and the client hangs up.
		status, job := uploadAndHangUp(t, srv, body)
		if status != http.StatusAccepted || job.ImportID == 0 {
			t.Fatalf("upload: %d %+v", status, job)
		}
		if job.State != ingest.StateRunning {
			t.Fatalf("answered import: %+v, want running", job)
		}

		// Its progress, recorded while it runs, grows as it reads.
		g.allow(200 << 10)
		first := waitFor(t, c, job.ImportID, func(j *ingest.Job) bool { return j.Progress.Rows > 0 })
		if first.State != ingest.StateRunning || first.Progress.Rows >= rows || first.Progress.Bytes == 0 || first.Progress.Size != int64(len(body)) {
			t.Fatalf("progress while held back: %+v", first.Progress)
		}
		g.allow(-1)
		done := waitFor(t, c, job.ImportID, func(j *ingest.Job) bool { return j.State != ingest.StateRunning })
		if done.State != ingest.StateDone || done.Inserted != rows-2 || done.Rejected != 2 ||
			done.Progress.Rows != rows || done.Progress.Bytes != int64(len(body)) || done.Progress.Rows <= first.Progress.Rows {
			t.Fatalf("import after the client left: %+v", done)
		}
		if len(done.Rejects) != 2 || done.Rejects[0].Line != 3 || done.Rejects[0].Column != "customer_id" || done.Rejects[0].Value != "two" ||
			done.Rejects[1].Line != rows || done.Rejects[1].Reason == "" {
			t.Fatalf("rejects: %+v", done.Rejects)
		}

		// The server shuts down (Close) under a running import: it ends
		// interrupted, the table unchanged.
		g2 := newGate()
		service.SetImportReader(local, g2.wrap)
		second := got(c.ImportStart(ctx, "customers", "more.csv", strings.NewReader("customer_id,email,country\n999999,z@example.com,DE\n"), ingest.Options{MaxErrors: -1})).must(t)
		if second.State != ingest.StateRunning {
			t.Fatalf("second import: %+v", second)
		}
		closed := make(chan struct{})
		go func() { local.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("Close still waits for the import after 10 s")
		}
		end := got(c.ImportStatus(ctx, second.ImportID)).must(t)
		if end.State != ingest.StateInterrupted || end.ErrorKind != ingest.KindInterrupted || end.Inserted != 0 || end.FinishedAt == nil {
			t.Fatalf("import at shutdown: %+v", end)
		}
		count := got(local.AudienceCount(ctx, service.AudienceRequest{Dimension: "customers", Text: `country = "DE"`})).must(t)
		if count.Count != 0 {
			t.Fatalf("%d customers from the interrupted import, want none", count.Count)
		}
		_, err := c.ImportStart(ctx, "customers", "late.csv", strings.NewReader("customer_id\n1\n"), ingest.Options{MaxErrors: -1})
		if err == nil {
			t.Fatal("an import started after Close was accepted")
		}
	})
}

// uploadAndHangUp posts body as an import over its own connection, reads
// the answer and closes the connection.
func uploadAndHangUp(t *testing.T, srv *httptest.Server, body string) (int, *ingest.Job) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/imports?entity=customers&name=c.csv HTTP/1.1\r\nHost: fanfare\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", token, len(body), body)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var job ingest.Job
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, &job
}

// waitFor polls an import until ok holds.
func waitFor(t *testing.T, c *client.Client, id int64, ok func(*ingest.Job) bool) *ingest.Job {
	t.Helper()
	var last *ingest.Job
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		j, err := c.ImportStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(j) {
			return j
		}
		last = j
	}
	t.Fatalf("import %d: %+v", id, last)
	return nil
}
