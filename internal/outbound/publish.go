package outbound

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Publication is where a saved audience is published on every refresh:
// a destination, a format (csv or ndjson) and the attributes each row
// carries besides the key.
type Publication struct {
	Audience    string   `json:"audience"`
	Destination string   `json:"destination"`
	Format      string   `json:"format"`
	Attributes  []string `json:"attributes,omitempty"`
	// Published says where the latest publication went: a file's name,
	// or the webhook id of the request the webhook accepted.
	Published string `json:"published,omitempty"`
}

// Check names the destination's problem with a publication, and fills
// its default format (csv).
func (s *Set) Check(p *Publication) error {
	if p.Format == "" {
		p.Format = "csv"
	}
	if p.Format != "csv" && p.Format != "ndjson" {
		return fmt.Errorf("format: want csv or ndjson, not %q", p.Format)
	}
	return s.known(p.Destination)
}

// Publish sends version of an audience, exported as body, to its
// destination: a file written whole under a temporary name then renamed
// (audience-NAME-vVERSION-TIME.csv), and the same bytes under the
// audience's stable name (audience-NAME.csv), replaced by a rename; or a signed POST retried like the
// events' batches; a POST refused every time is kept as a dead letter
// and answers ErrDeliveryFailed. It returns what Published says.
func (s *Set) Publish(ctx context.Context, p Publication, version int64, body []byte) (string, error) {
	if err := s.Check(&p); err != nil {
		return "", err
	}
	d := s.dests[p.Destination]
	if d.Kind == "files" {
		name := fmt.Sprintf("audience-%s-v%d-%s.%s", p.Audience, version, s.now().UTC().Format("20060102T150405Z"), p.Format)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, n := range []string{name, fmt.Sprintf("audience-%s.%s", p.Audience, p.Format)} {
			if err := writeAtomic(d.Dir, n, body); err != nil {
				return "", fmt.Errorf("publish audience %s to %s: %w", p.Audience, d.Name, err)
			}
		}
		return name, nil
	}
	id, contentType, extra := audienceRequest(d.Name, p.Audience, version, string(body))
	attempts, err := s.webhook(d).Post(ctx, id, contentType, extra, body, d.Attempts)
	if err == nil {
		return id, nil
	}
	if ctx.Err() != nil {
		return "", err
	}
	dl := store.DeadLetter{Destination: d.Name, Kind: KindAudience, Subject: p.Audience, FirstSeq: version, LastSeq: version,
		Items: int64(strings.Count(string(body), "\n")), Body: string(body), Attempts: attempts, Error: err.Error(), CreatedAt: s.now()}
	dlID, derr := s.store.Outbound().AddDeadLetter(ctx, dl)
	if derr != nil {
		return "", fmt.Errorf("publish audience %s: %w (and keep it as a dead letter: %v)", p.Audience, err, derr)
	}
	s.log.Warn("audience publication kept as a dead letter", "audience", p.Audience, "destination", d.Name, "dead_letter", dlID, "err", err)
	return "", fmt.Errorf("publish audience %s to %s, kept as dead letter %d: %w: %v", p.Audience, d.Name, dlID, ErrDeliveryFailed, err)
}

// audienceRequest is the webhook id, content type and headers of an
// audience's publication.
func audienceRequest(dest, audience string, version int64, body string) (string, string, http.Header) {
	ct := "text/csv"
	if strings.HasPrefix(body, "{") {
		ct = "application/x-ndjson"
	}
	h := http.Header{}
	h.Set("Fanfare-Audience", audience)
	h.Set("Fanfare-Audience-Version", strconv.FormatInt(version, 10))
	return fmt.Sprintf("%s-audience-%s-%d", dest, audience, version), ct, h
}

// Stored is a publication as the store keeps it.
func (p Publication) Stored(at time.Time) store.PublishRecord {
	attrs, _ := json.Marshal(append([]string{}, p.Attributes...))
	return store.PublishRecord{Audience: p.Audience, Destination: p.Destination, Format: p.Format, Attributes: string(attrs), UpdatedAt: at}
}

// PublicationOf is a stored publication.
func PublicationOf(r store.PublishRecord) Publication {
	p := Publication{Audience: r.Audience, Destination: r.Destination, Format: r.Format}
	json.Unmarshal([]byte(r.Attributes), &p.Attributes)
	return p
}
