package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		name, err := set.Publish(ctx, p, 1, []byte(v1))
		if err != nil || name != "audience-vip-v1-20261207T041500Z.csv" {
			t.Fatalf("publish v1: %q %v", name, err)
		}
		now = now.Add(time.Hour)
		v2 := "customer_id,email\n1,a@example.com\n2,b@example.com\n"
		if _, err := set.Publish(ctx, p, 2, []byte(v2)); err != nil {
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
		if _, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "nowhere"}, 3, []byte(v2)); !errors.Is(err, ErrUnknownDestination) {
			t.Fatalf("publish to an unknown destination: %v", err)
		}
	})
}

// TestPublishToWebhook: a publication is one signed POST with the
// audience's headers; one refused every time is kept as a dead letter
// that redelivers with the same webhook id.
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
		id, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp", Format: "ndjson"}, 4, []byte(body))
		if err != nil || id != "cdp-audience-vip-4" {
			t.Fatalf("publish: %q %v", id, err)
		}
		r := got[0]
		if bodies[0] != body || r.Header.Get("Content-Type") != "application/x-ndjson" || r.Header.Get("Fanfare-Audience") != "vip" ||
			r.Header.Get("Fanfare-Audience-Version") != "4" || r.Header.Get(HeaderID) != id {
			t.Fatalf("request %v %q", r.Header, bodies[0])
		}
		down.Store(true)
		csv := "customer_id\n1\n2\n"
		if _, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp"}, 5, []byte(csv)); !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("publish to a refusing webhook: %v", err)
		}
		dls, err := set.DeadLetters(ctx, Filter{Destination: "cdp"})
		if err != nil || len(dls) != 1 || dls[0].Kind != KindAudience || dls[0].Audience != "vip" || dls[0].Attempts != 2 || dls[0].Items != 3 {
			t.Fatalf("dead letters %+v %v", dls, err)
		}
		down.Store(false)
		if _, err := set.Redeliver(ctx, dls[0].ID); err != nil {
			t.Fatal(err)
		}
		if r := got[1]; bodies[1] != csv || r.Header.Get(HeaderID) != "cdp-audience-vip-5" || r.Header.Get("Content-Type") != "text/csv" || r.Header.Get("Fanfare-Audience-Version") != "5" {
			t.Fatalf("redelivery %v %q", r.Header, bodies[1])
		}
	})
}
