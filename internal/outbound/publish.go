package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Export writes an audience's rows, as the publication's format, to w.
type Export func(w io.Writer) error

// Publish sends version of an audience, as export writes it, to its
// destination, without holding more than one part of it in memory: to
// files (publishFiles), or to a webhook in signed parts (publishParts),
// a part refused every time being kept as a dead letter and answering
// ErrDeliveryFailed. It returns what Published says: the versioned
// file's name, or the webhook id of the last part.
func (s *Set) Publish(ctx context.Context, p Publication, version int64, export Export) (string, error) {
	if err := s.Check(&p); err != nil {
		return "", err
	}
	d := s.dests[p.Destination]
	var where string
	var err error
	if d.Kind == "files" {
		where, err = s.publishFiles(d, p, version, export)
	} else {
		where, err = s.publishParts(ctx, d, p, version, export)
	}
	if err != nil && !errors.Is(err, ErrDeliveryFailed) {
		err = fmt.Errorf("publish audience %s to %s: %w", p.Audience, d.Name, err)
	}
	return where, err
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
