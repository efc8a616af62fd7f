package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestPublishToFiles: each publication is a file of its own, named for
// its version, and the stable name holds the latest; nothing half
// written is left under either.
func TestPublishToFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "lake")
		c := &Config{Destinations: []Destination{{Name: "lake", Kind: "files", Dir: dir}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		now := t0
		set := New(s, c, Options{Now: func() time.Time { return now }})
		p := Publication{Audience: "vip", Destination: "lake"}
		v1 := "customer_id,email\n1,a@example.com\n"
		name, err := set.Publish(ctx, p, 1, text(v1))
		if err != nil || name != "audience-vip-v1-20261207T041500Z.csv" {
			t.Fatalf("publish v1: %q %v", name, err)
		}
		now = now.Add(time.Hour)
		v2 := "customer_id,email\n1,a@example.com\n2,b@example.com\n"
		if _, err := set.Publish(ctx, p, 2, text(v2)); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"audience-vip-v1-20261207T041500Z.csv": v1,
			"audience-vip-v2-20261207T051500Z.csv": v2,
			"audience-vip.csv":                     v2,
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if want[e.Name()] != string(b) {
				t.Errorf("%s holds %q, want %q", e.Name(), b, want[e.Name()])
			}
		}
		sort.Strings(names)
		if len(names) != 3 {
			t.Fatalf("files %v, want the two versions and the stable name", names)
		}
		if _, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "nowhere"}, 3, text(v2)); !errors.Is(err, ErrUnknownDestination) {
			t.Fatalf("publish to an unknown destination: %v", err)
		}
	})
}

// TestPublishToWebhook: a publication smaller than a part is one signed
// POST with the audience's headers; one refused every time is kept as a
// dead letter that redelivers with the same webhook id.
func TestPublishToWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var down atomic.Bool
		var mu sync.Mutex
		var got []*http.Request
		var bodies []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := Verify([]byte(secret), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
				t.Errorf("signature: %v", err)
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			if down.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			got, bodies = append(got, r), append(bodies, string(body))
		}))
		defer srv.Close()
		c := &Config{Destinations: []Destination{{Name: "cdp", Kind: "webhook", URL: srv.URL, Secret: secret, Attempts: 2}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		set := New(s, c, Options{Sleep: (&recorder{}).sleep})
		body := `{"customer_id":1,"email":"a@example.com"}` + "\n"
		id, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp", Format: "ndjson"}, 4, text(body))
		if err != nil || id != "cdp-audience-vip-4-1" {
			t.Fatalf("publish: %q %v", id, err)
		}
		r := got[0]
		if bodies[0] != body || r.Header.Get("Content-Type") != "application/x-ndjson" || r.Header.Get("Fanfare-Audience") != "vip" ||
			r.Header.Get("Fanfare-Audience-Version") != "4" || r.Header.Get(HeaderID) != id {
			t.Fatalf("request %v %q", r.Header, bodies[0])
		}
		down.Store(true)
		csv := "customer_id\n1\n2\n"
		if _, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp"}, 5, text(csv)); !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("publish to a refusing webhook: %v", err)
		}
		dls, err := set.DeadLetters(ctx, Filter{Destination: "cdp"})
		if err != nil || len(dls) != 1 || dls[0].Kind != KindAudience || dls[0].Audience != "vip" || dls[0].Attempts != 2 || dls[0].Items != 2 {
			t.Fatalf("dead letters %+v %v", dls, err)
		}
		down.Store(false)
		if _, err := set.Redeliver(ctx, dls[0].ID); err != nil {
			t.Fatal(err)
		}
		if r := got[1]; bodies[1] != csv || r.Header.Get(HeaderID) != "cdp-audience-vip-5-1" || r.Header.Get("Content-Type") != "text/csv" || r.Header.Get("Fanfare-Audience-Version") != "5" {
			t.Fatalf("redelivery %v %q", r.Header, bodies[1])
		}
	})
}

// text is an export that writes s.
func text(s string) Export {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// TestPublishPrunesOlderVersions: after each publication a files
// destination keeps the latest audience_keep versioned files of the
// audience, and no file of another audience, even one whose name starts
// with this one's (vip-2, vip-v2 beside vip), nor the stable file, which
// still holds the latest version once its versioned name is gone.
func TestPublishPrunesOlderVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "lake")
		c := &Config{Destinations: []Destination{{Name: "lake", Kind: "files", Dir: dir, AudienceKeep: 2}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		now := t0
		set := New(s, c, Options{Now: func() time.Time { return now }})
		publish := func(audience string, version int64, format string) {
			t.Helper()
			now = now.Add(time.Minute)
			body := fmt.Sprintf("customer_id\n%s-%d\n", audience, version)
			if _, err := set.Publish(ctx, Publication{Audience: audience, Destination: "lake", Format: format}, version, text(body)); err != nil {
				t.Fatal(err)
			}
		}
		publish("vip-2", 1, "csv")
		publish("vip-2", 2, "csv")
		publish("vip-v2", 1, "csv")
		for v := range int64(4) {
			publish("vip", v+1, "csv")
		}
		publish("vip", 5, "ndjson") // counted with the CSV versions: the latest two of the audience
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{
			"audience-vip-2-v1-20261207T041600Z.csv", "audience-vip-2-v2-20261207T041700Z.csv", "audience-vip-2.csv",
			"audience-vip-v2-v1-20261207T041800Z.csv", "audience-vip-v2.csv",
			"audience-vip-v4-20261207T042200Z.csv", "audience-vip-v5-20261207T042300Z.ndjson",
			"audience-vip.csv", "audience-vip.ndjson",
		}
		sort.Strings(names)
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Fatalf("files\n%v\nwant\n%v", names, want)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "audience-vip.csv")); string(b) != "customer_id\nvip-4\n" {
			t.Errorf("the stable file holds %q, want version 4", b)
		}
		publish("vip", 6, "csv")
		publish("vip", 7, "csv")
		if _, err := os.Stat(filepath.Join(dir, "audience-vip-v4-20261207T042200Z.csv")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("version 4's file is kept: %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "audience-vip.csv")); string(b) != "customer_id\nvip-7\n" {
			t.Errorf("the stable file holds %q, want version 7", b)
		}
	})
}

// TestPublishStreamsToFiles: a publication larger than any buffer is
// written as the export goes, byte for byte, under the versioned and the
// stable names, and nothing temporary is left.
func TestPublishStreamsToFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		dir := filepath.Join(t.TempDir(), "lake")
		c := &Config{Destinations: []Destination{{Name: "lake", Kind: "files", Dir: dir}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		set := New(s, c, Options{Now: func() time.Time { return t0 }})
		export := csvRows(200000)
		// In writes of 4 KiB, as a buffered export writes.
		chunks := func(w io.Writer) error {
			for b := []byte(export); len(b) > 0; b = b[min(len(b), 4096):] {
				if _, err := w.Write(b[:min(len(b), 4096)]); err != nil {
					return err
				}
			}
			return nil
		}
		name, err := set.Publish(context.Background(), Publication{Audience: "vip", Destination: "lake"}, 1, chunks)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{name, "audience-vip.csv"} {
			if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || string(b) != export {
				t.Errorf("%s: %d bytes, want the export's %d (%v)", n, len(b), len(export), err)
			}
		}
		left, _ := filepath.Glob(filepath.Join(dir, ".*"))
		if len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
		failing := func(w io.Writer) error {
			io.WriteString(w, "customer_id\n1\n")
			return errors.New("the export failed")
		}
		if _, err := set.Publish(context.Background(), Publication{Audience: "vip", Destination: "lake"}, 2, failing); err == nil {
			t.Fatal("a failed export was published")
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "audience-vip.csv")); string(b) != export {
			t.Errorf("a failed export replaced the stable file")
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 2 {
			t.Errorf("files after a failed export: %v", left)
		}
	})
}
