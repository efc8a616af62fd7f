package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// testTransfer is a small minimum rate, so that tests see it act fast.
var testTransfer = api.Transfer{MinRate: 16 << 10, Grace: 300 * time.Millisecond}

// handlerDone signals each request the server has finished, by its
// "http" log line.
type handlerDone chan string

func (h handlerDone) Enabled(context.Context, slog.Level) bool { return true }
func (h handlerDone) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h handlerDone) WithGroup(string) slog.Handler            { return h }
func (h handlerDone) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "http" {
		return nil
	}
	var path string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" {
			path = a.Value.String()
		}
		return true
	})
	select {
	case h <- path:
	default:
	}
	return nil
}

// smallBuffers makes accepted connections' send buffers small, so that a
// client that does not read blocks the server after a few KiB instead of
// the megabytes the kernel would otherwise hold.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// setupPaced starts the API with small limits on a real TCP listener.
func setupPaced(t *testing.T, s *store.Store, done handlerDone) *httptest.Server {
	t.Helper()
	var log slog.Handler = slog.DiscardHandler
	if done != nil {
		log = done
	}
	srv := httptest.NewUnstartedServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(log), Limits: ingest.Limits{MaxLine: 64 << 10, MaxInflated: 10 << 20}}), Token: token, Version: "test", Log: slog.New(log), Transfer: testTransfer}))
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	if code, out := call(t, srv, "POST", "/api/model", model, true); code != http.StatusOK {
		t.Fatalf("apply model: %d %v", code, out)
	}
	return srv
}

// TestSlowBodyIsCutOff trickles an import's body over TCP far below the
// minimum rate: the server answers 408 and closes the connection soon
// after the grace, instead of holding it as long as the client likes.
func TestSlowBodyIsCutOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setupPaced(t, s, nil)
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/imports?entity=customers&name=c.csv HTTP/1.1\r\nHost: fanfare\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\ncustomer_id,email\n", token)
		stop := make(chan struct{})
		defer close(stop)
		go func() { // a byte every 20 ms: 50 bytes a second
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := conn.Write([]byte("1")); err != nil {
						return
					}
				}
			}
		}()
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a trickled body after %s: %v", time.Since(start).Round(time.Millisecond), err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "slower than the minimum rate") {
			t.Fatalf("answer %d %s, want 408", resp.StatusCode, body)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("cut off after %s, want about the grace (%s)", took, testTransfer.Grace)
		}
	})
}

// slowReader hands out data a chunk per tick: a client on a slow link.
type slowReader struct {
	data  []byte
	chunk int
	tick  *time.Ticker
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	<-r.tick.C
	n := copy(p[:min(len(p), r.chunk)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestSlowButSteadyUploadSucceeds uploads an import over TCP slowly, but
// above the minimum rate, for several times the grace: it loads whole.
func TestSlowButSteadyUploadSucceeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setupPaced(t, s, nil)
		var b bytes.Buffer
		b.WriteString("customer_id,email\n")
		rows := 0
		for b.Len() < 96<<10 {
			rows++
			fmt.Fprintf(&b, "%d,customer%06d@example.com\n", rows, rows)
		}
		// 4 KiB every 62.5 ms: 64 KiB a second, four times the minimum,
		// for 1.5 s, five times the grace.
		tick := time.NewTicker(62500 * time.Microsecond)
		defer tick.Stop()
		req, err := http.NewRequest("POST", srv.URL+"/api/imports?entity=customers&name=c.csv", &slowReader{data: b.Bytes(), chunk: 4 << 10, tick: tick})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("slow upload: %d %s", resp.StatusCode, out)
		}
		var job struct {
			ID int64 `json:"import_id"`
		}
		_ = json.Unmarshal(out, &job)
		if got := waitImport(t, srv, job.ID); got["inserted"].(float64) != float64(rows) {
			t.Fatalf("slow upload: %v, want %d rows inserted", got, rows)
		}
		if took := time.Since(start); took < 4*testTransfer.Grace {
			t.Errorf("the upload took %s: not slow enough to test the rate", took)
		}
	})
}

// TestUnreadResponseIsCutOff asks for a large response (an import's
// rejects) over TCP and never reads it: the handler gives up soon after
// the grace instead of blocking as long as the client likes.
func TestUnreadResponseIsCutOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		done := make(handlerDone, 16)
		srv := setupPaced(t, s, done)
		var b bytes.Buffer
		// One good row, so that the import loads (207) and keeps its rejects.
		b.WriteString("customer_id,email\n1,ok@example.com\n")
		for i := range 30_000 {
			fmt.Fprintf(&b, "x%d,%s\n", i, strings.Repeat("y", 40))
		}
		code, out := upload(t, srv, "/api/imports?entity=customers&name=c.csv", b.String())
		if out["status"] != "completed_with_rejects" {
			t.Fatalf("import: %d %v", code, out)
		}
		path := fmt.Sprintf("/api/imports/%d/rejects", int64(out["import_id"].(float64)))
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
		for len(done) > 0 {
			<-done
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: fanfare\r\nAuthorization: Bearer %s\r\n\r\n", path, token)
		select {
		case p := <-done:
			if p != path {
				t.Fatalf("finished %s, want %s", p, path)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the server still writes to a client that reads nothing after 10 s")
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.ReadAll(conn)
		if !bytes.HasPrefix(got, []byte("HTTP/1.1 200")) || bytes.HasSuffix(got, []byte("\r\n0\r\n\r\n")) {
			t.Errorf("the client got %d bytes ending %q, want a 200 cut short", len(got), got[max(0, len(got)-20):])
		}
	})
}

// TestImportLimitsOverHTTP uploads files past the reading limits: a line
// too long and a row that is not UTF-8 are rejects and the good rows
// load (no more 500); a gzip bomb is refused naming the file.
func TestImportLimitsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setupPaced(t, s, nil)
		body := "customer_id,email\n1,a@example.com\n2,b\xe9@example.com\n3," + strings.Repeat("x", 100<<10) + "\n4,d@example.com\n"
		code, out := upload(t, srv, "/api/imports?entity=customers&name=c.csv", body)
		if out["status"] != "completed_with_rejects" || out["inserted"].(float64) != 2 || out["rejected"].(float64) != 2 {
			t.Fatalf("import: %d %v", code, out)
		}
		rejects := fmt.Sprint(out["rejects"])
		if !strings.Contains(rejects, "invalid UTF-8 (byte 0xE9 at position 2)") || !strings.Contains(rejects, "line longer than 64 KiB") {
			t.Errorf("rejects = %s", rejects)
		}
		var bomb bytes.Buffer
		zw := gzip.NewWriter(&bomb)
		zw.Write([]byte("customer_id,email\n"))
		zw.Write(bytes.Repeat([]byte("1,a@example.com\n"), 1<<20)) // 16 MiB
		zw.Close()
		code, out = upload(t, srv, "/api/imports?entity=customers&name=bomb.csv.gz", bomb.String())
		if out["state"] != "failed" || out["error_kind"] != "bad_input" || !strings.Contains(fmt.Sprint(out["error"]), "bomb.csv.gz: gzip file inflates past the limit: it inflates to more than 10 MiB") {
			t.Fatalf("bomb: %d %v", code, out)
		}
	})
}

// TestUploadOverTheLimit sends files past the upload cap: the import is
// refused with 413 naming the limit and recorded failed, saying why, with
// nothing loaded; a consent file is refused the same way; a file within
// the cap loads.
func TestUploadOverTheLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Token: token, Version: "test", MaxUpload: 1 << 10}))
		t.Cleanup(srv.Close)
		if code, out := call(t, srv, "POST", "/api/model", model, true); code != http.StatusOK {
			t.Fatalf("apply model: %d %v", code, out)
		}
		var b strings.Builder
		b.WriteString("customer_id,email\n")
		for i := range 100 {
			fmt.Fprintf(&b, "%d,c%d@example.com\n", i, i)
		}
		code, out := call(t, srv, "POST", "/api/imports?entity=customers&name=c.csv", b.String(), true)
		details, _ := out["error"].(map[string]any)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(fmt.Sprint(details["message"]), "limit of 1 KiB") {
			t.Fatalf("import over the cap: %d %v, want 413 naming 1 KiB", code, out)
		}
		_, list := call(t, srv, "GET", "/api/imports", "", true)
		imports, _ := list["imports"].([]any)
		if len(imports) != 1 {
			t.Fatalf("imports = %v, want the refused one recorded", list)
		}
		got := imports[0].(map[string]any)
		if got["state"] != "failed" || got["error_kind"] != "bad_input" || !strings.Contains(fmt.Sprint(got["error"]), "larger than the upload limit of 1 KiB (fanfare serve --max-upload)") {
			t.Errorf("the refused import = %v", got)
		}
		if _, ent := call(t, srv, "GET", "/api/entities", "", true); !strings.Contains(fmt.Sprint(ent), "rows:0") {
			t.Errorf("entities after the refused import = %v, want no rows", ent)
		}
		code, out = call(t, srv, "POST", "/api/consent/import?dimension=customers&source=test", "customer_id,channel,status\n"+strings.Repeat("1,email,opt_out\n", 100), true)
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("consent file over the cap: %d %v, want 413", code, out)
		}
		if code, out := upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email\n1,a@example.com\n"); out["status"] != "completed" {
			t.Errorf("a file within the cap: %d %v", code, out)
		}
	})
}
