package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestParts: an export is cut into parts of at most the rows asked, a
// CSV's header at the start of each, a quoted value's line break kept
// inside its record, and the last part marked; the parts, without their
// repeated headers, are the export.
func TestParts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		csv    bool
		export string
		rows   int
		want   []int // rows of each part
	}{
		{name: "remainder", csv: true, export: "id\n1\n2\n3\n4\n5\n", rows: 2, want: []int{2, 2, 1}},
		{name: "exact multiple", csv: true, export: "id\n1\n2\n3\n4\n", rows: 2, want: []int{2, 2}},
		{name: "one part", csv: true, export: "id\n1\n", rows: 2, want: []int{1}},
		{name: "header only", csv: true, export: "id,email\n", rows: 2, want: []int{0}},
		{name: "quoted line breaks", csv: true, export: "id,note\n1,\"two\nlines\"\n2,\"a \"\"quote\"\"\nand a break\"\n3,plain\n", rows: 1, want: []int{1, 1, 1}},
		{name: "no final line break", csv: true, export: "id\n1\n2\n3", rows: 2, want: []int{2, 1}},
		{name: "ndjson", export: `{"id":1}` + "\n" + `{"id":2,"note":"a\nb"}` + "\n" + `{"id":3}` + "\n", rows: 2, want: []int{2, 1}},
		{name: "empty ndjson", export: "", rows: 2, want: []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newParts(strings.NewReader(tc.export), tc.csv, tc.rows)
			var joined string
			for i := range tc.want {
				body, rows, last, err := p.next()
				if err != nil {
					t.Fatal(err)
				}
				if rows != tc.want[i] || last != (i == len(tc.want)-1) || p.n != i+1 {
					t.Fatalf("part %d: %d rows, last %v; want %d rows, last %v", p.n, rows, last, tc.want[i], i == len(tc.want)-1)
				}
				b := string(body)
				if tc.csv {
					h, _, _ := strings.Cut(tc.export, "\n")
					if !strings.HasPrefix(b, h+"\n") {
						t.Fatalf("part %d %q does not start with the header", p.n, b)
					}
					if i == 0 {
						joined = h + "\n"
					}
					b = strings.TrimPrefix(b, h+"\n")
				}
				joined += b
			}
			if joined != tc.export {
				t.Fatalf("the parts join to %q, want %q", joined, tc.export)
			}
		})
	}
}

// partHook is a webhook receiver that verifies each request's signature
// and keeps the ones it accepts; it answers the part numbered refused
// with a 503.
type partHook struct {
	mu      sync.Mutex
	got     []*http.Request
	bodies  []string
	refused string
}

func (h *partHook) refuse(part string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refused = part
}

func newPartHook(t *testing.T) (*partHook, string) {
	h := &partHook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify([]byte(secret), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.refused != "" && r.Header.Get(HeaderAudiencePart) == h.refused {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.got, h.bodies = append(h.got, r), append(h.bodies, string(body))
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

// csvRows is a CSV export of n rows, with a quoted line break in each
// tenth.
func csvRows(n int) string {
	var b strings.Builder
	b.WriteString("customer_id,email\n")
	for i := 1; i <= n; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, "%d,\"line\nbreak %d\"\n", i, i)
		} else {
			fmt.Fprintf(&b, "%d,c%d@example.com\n", i, i)
		}
	}
	return b.String()
}

// TestPublishInParts: an audience larger than a part reaches the webhook
// whole and in order, in signed parts of at most audience_part rows, each
// with its own webhook id, its number, whether it is the last, and the
// CSV header.
func TestPublishInParts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h, url := newPartHook(t)
		c := &Config{Destinations: []Destination{{Name: "cdp", Kind: "webhook", URL: url, Secret: secret, Attempts: 2, AudiencePart: 40}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		set := New(s, c, Options{Sleep: (&recorder{}).sleep})
		export := csvRows(100)
		id, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp"}, 7, text(export))
		if err != nil || id != "cdp-audience-vip-7-3" {
			t.Fatalf("publish: %q %v", id, err)
		}
		if len(h.got) != 3 {
			t.Fatalf("%d requests, want 3 parts of at most 40 rows", len(h.got))
		}
		header := "customer_id,email\n"
		joined := header
		for i, r := range h.got {
			part := i + 1
			if r.Header.Get(HeaderID) != fmt.Sprintf("cdp-audience-vip-7-%d", part) || r.Header.Get(HeaderAudiencePart) != fmt.Sprint(part) ||
				r.Header.Get(HeaderAudienceLast) != fmt.Sprint(part == 3) || r.Header.Get(HeaderAudience) != "vip" ||
				r.Header.Get(HeaderAudienceVersion) != "7" || r.Header.Get("Content-Type") != "text/csv" {
				t.Errorf("part %d: %v", part, r.Header)
			}
			body, ok := strings.CutPrefix(h.bodies[i], header)
			if !ok {
				t.Fatalf("part %d does not start with the header: %.40q", part, h.bodies[i])
			}
			joined += body
		}
		if joined != export {
			t.Fatalf("the parts join to %d bytes, not the export's %d", len(joined), len(export))
		}
	})
}

// TestPublishPartRefused: a part refused every time is kept as a dead
// letter and the publication stops there (the parts after it are not
// sent); redelivered, it reaches the receiver with its webhook id and
// part headers. A dead letter of a whole publication, kept before
// publications had parts, still redelivers as it was sent.
func TestPublishPartRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h, url := newPartHook(t)
		h.refuse("2")
		c := &Config{Destinations: []Destination{{Name: "cdp", Kind: "webhook", URL: url, Secret: secret, Attempts: 3, AudiencePart: 40}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		set := New(s, c, Options{Sleep: (&recorder{}).sleep})
		export := csvRows(100)
		if _, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp"}, 7, text(export)); !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("publish with part 2 refused: %v", err)
		}
		if len(h.got) != 1 || h.got[0].Header.Get(HeaderAudiencePart) != "1" {
			t.Fatalf("the receiver got %d parts, want part 1 only", len(h.got))
		}
		dls, err := set.DeadLetters(ctx, Filter{Destination: "cdp"})
		if err != nil || len(dls) != 1 {
			t.Fatalf("dead letters %+v %v", dls, err)
		}
		dl := dls[0]
		if dl.Kind != KindAudience || dl.Audience != "vip" || dl.FirstSeq != 7 || dl.LastSeq != 7 || dl.Part != 2 || dl.Last || dl.Items != 40 || dl.Attempts != 3 {
			t.Fatalf("dead letter %+v", dl)
		}
		kept, err := set.DeadLetter(ctx, dl.ID)
		if err != nil || !strings.HasPrefix(kept.Body, "customer_id,email\n41,") {
			t.Fatalf("the dead letter's body %.40q %v", kept.Body, err)
		}
		h.refuse("")
		if _, err := set.Redeliver(ctx, dl.ID); err != nil {
			t.Fatal(err)
		}
		r := h.got[1]
		if h.bodies[1] != kept.Body || r.Header.Get(HeaderID) != "cdp-audience-vip-7-2" || r.Header.Get(HeaderAudiencePart) != "2" ||
			r.Header.Get(HeaderAudienceLast) != "false" || r.Header.Get(HeaderAudienceVersion) != "7" || r.Header.Get("Content-Type") != "text/csv" {
			t.Fatalf("redelivery %v %.40q", r.Header, h.bodies[1])
		}

		// The last part refused: its dead letter says so, and so does its
		// redelivery.
		h.refuse("1")
		ndjson := `{"customer_id":1}` + "\n" + `{"customer_id":2}` + "\n"
		if _, err := set.Publish(ctx, Publication{Audience: "vip", Destination: "cdp", Format: "ndjson"}, 8, text(ndjson)); !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("publish with its only part refused: %v", err)
		}
		dls, _ = set.DeadLetters(ctx, Filter{Redelivered: new(false)})
		if len(dls) != 1 || dls[0].Part != 1 || !dls[0].Last || dls[0].FirstSeq != 8 || dls[0].Items != 2 {
			t.Fatalf("the last part's dead letter: %+v", dls)
		}
		h.refuse("")
		if _, err := set.Redeliver(ctx, dls[0].ID); err != nil {
			t.Fatal(err)
		}
		r = h.got[len(h.got)-1]
		if h.bodies[len(h.bodies)-1] != ndjson || r.Header.Get(HeaderID) != "cdp-audience-vip-8-1" || r.Header.Get(HeaderAudienceLast) != "true" ||
			r.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("the last part's redelivery: %v", r.Header)
		}

		// Kept before parts: a whole publication, redelivered as it was.
		old, err := s.Outbound().AddDeadLetter(ctx, store.DeadLetter{Destination: "cdp", Kind: KindAudience, Subject: "vip", FirstSeq: 5, LastSeq: 5,
			Items: 2, Body: "customer_id\n1\n", Attempts: 8, Error: "503", CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Redeliver(ctx, old); err != nil {
			t.Fatal(err)
		}
		r = h.got[len(h.got)-1]
		if r.Header.Get(HeaderID) != "cdp-audience-vip-5" || r.Header.Get(HeaderAudiencePart) != "" || r.Header.Get("Content-Type") != "text/csv" {
			t.Fatalf("an old dead letter's redelivery: %v", r.Header)
		}
	})
}
