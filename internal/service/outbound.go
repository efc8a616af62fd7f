package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// PublishRequest is where a saved audience is to be published on every
// refresh: a configured destination, a format (csv, the default, or
// ndjson) and the attributes its rows carry besides the key.
type PublishRequest struct {
	Destination string   `json:"destination"`
	Format      string   `json:"format,omitempty"`
	Attributes  []string `json:"attributes,omitempty"`
}

// DeadLetterList is a list of dead letters, as the API answers it.
type DeadLetterList struct {
	DeadLetters []outbound.DeadLetter `json:"dead_letters"`
}

// DestinationList is the configured destinations, as the API answers it.
type DestinationList struct {
	Destinations []outbound.Status `json:"destinations"`
}

// destinations is this process's outbound set, ErrNotConfigured when it
// has none.
func (l *Local) destinations() (*outbound.Set, error) {
	if l.outbound == nil || len(l.outbound.Destinations()) == 0 {
		return nil, outbound.ErrNotConfigured
	}
	return l.outbound, nil
}

// OutboundDestinations lists the configured destinations, each with its
// cursor, lag, lease holder and dead letters.
func (l *Local) OutboundDestinations(ctx context.Context) ([]outbound.Status, error) {
	set, err := l.destinations()
	if err != nil {
		return nil, err
	}
	return set.Status(ctx)
}

// DeadLetters lists the dead letters a filter selects, newest first.
func (l *Local) DeadLetters(ctx context.Context, f outbound.Filter) ([]outbound.DeadLetter, error) {
	set, err := l.destinations()
	if err != nil {
		return nil, err
	}
	if f.Limit < 0 {
		return nil, BadRequest(fmt.Sprintf("limit: %d is negative", f.Limit))
	}
	return set.DeadLetters(ctx, f)
}

// DeadLetter returns one dead letter with its body.
func (l *Local) DeadLetter(ctx context.Context, id int64) (*outbound.DeadLetter, error) {
	set, err := l.destinations()
	if err != nil {
		return nil, err
	}
	return set.DeadLetter(ctx, id)
}

// DeadLetterRedeliver posts a dead letter again, once
// (outbound.ErrDeliveryFailed when refused).
func (l *Local) DeadLetterRedeliver(ctx context.Context, id int64) (*outbound.DeadLetter, error) {
	set, err := l.destinations()
	if err != nil {
		return nil, err
	}
	return set.Redeliver(ctx, id)
}

// AudiencePublish publishes a saved audience to a destination now and on
// every refresh; the attributes are checked by reading the first rows.
func (l *Local) AudiencePublish(ctx context.Context, name string, req PublishRequest) (*audience.Audience, error) {
	set, err := l.destinations()
	if err != nil {
		return nil, err
	}
	a, err := l.audiences().Get(ctx, name)
	if err != nil {
		return nil, err
	}
	p := outbound.Publication{Audience: name, Destination: req.Destination, Format: req.Format, Attributes: req.Attributes}
	if err := set.Check(&p); err != nil {
		return nil, Refused(err)
	}
	attrs, err := l.publishAttrs(ctx, a.Dimension, p.Attributes)
	if err != nil {
		return nil, err
	}
	if _, err := l.audiences().Export(ctx, name, 0, attrs, p.Format, stopWriter{}); err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if err := l.store.Outbound().SetPublish(ctx, p.Stored(time.Now())); err != nil {
		return nil, err
	}
	l.pub.saved(name)
	a.Publish = &audience.Publication{Destination: p.Destination, Format: p.Format, Attributes: p.Attributes}
	return a, nil
}

// AudienceUnpublish stops publishing a saved audience (nothing if it was
// not published).
func (l *Local) AudienceUnpublish(ctx context.Context, name string) error {
	if _, err := l.audiences().Get(ctx, name); err != nil {
		return err
	}
	_, err := l.store.Outbound().Unpublish(ctx, name)
	return err
}

// publication is where an audience is published, nil for nowhere.
func (l *Local) publication(ctx context.Context, name string) (*audience.Publication, error) {
	r, err := l.store.Outbound().Publish(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := outbound.PublicationOf(r)
	return &audience.Publication{Destination: p.Destination, Format: p.Format, Attributes: p.Attributes}, nil
}

// publishAttrs are the columns of a publication: the dimension's key,
// then the attributes asked for (none: the export's defaults).
func (l *Local) publishAttrs(ctx context.Context, dimension string, attrs []string) ([]string, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	m, _, err := schema.Current(ctx, l.store)
	if err != nil {
		return nil, err
	}
	e := m.Entity(dimension)
	if e == nil {
		return nil, fmt.Errorf("%w: the audience's dimension %s is no longer in the data model", audience.ErrInvalidRequest, dimension)
	}
	out := slices.Clone(e.Key)
	for _, a := range attrs {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// errStop ends the export that checks a publication's attributes.
var errStop = errors.New("stop")

// stopWriter refuses every write: an export to it stops at its first
// buffer's worth of rows.
type stopWriter struct{}

func (stopWriter) Write([]byte) (int, error) { return 0, errStop }

// publishNow exports an audience's current version and publishes it, if
// it is published, the export streamed into the destination (never held
// in memory whole); failures are logged (a webhook's refusal is kept as a
// dead letter by the set), never returned to the save that caused it.
func (l *Local) publishNow(ctx context.Context, name string) {
	p, err := l.publication(ctx, name)
	if err != nil || p == nil {
		if err != nil {
			l.log.Error("audience publication: read where it goes", "audience", name, "err", err)
		}
		return
	}
	log := l.log.With("audience", name, "destination", p.Destination)
	if _, err := l.destinations(); err != nil {
		log.Warn("audience not published: this process has no outbound destinations; a server with --outbound publishes it at its next refresh")
		return
	}
	a, err := l.audiences().Get(ctx, name)
	if err != nil {
		log.Error("audience publication", "err", err)
		return
	}
	attrs, err := l.publishAttrs(ctx, a.Dimension, p.Attributes)
	if err != nil {
		log.Error("audience publication", "version", a.Version, "err", err)
		return
	}
	pub := outbound.Publication{Audience: name, Destination: p.Destination, Format: p.Format, Attributes: p.Attributes}
	var rows int64
	where, err := l.outbound.Publish(ctx, pub, a.Version, func(w io.Writer) error {
		n, err := l.audiences().Export(ctx, name, a.Version, attrs, p.Format, w)
		rows = n
		return err
	})
	if err != nil {
		log.Error("audience publication", "version", a.Version, "err", err)
		return
	}
	log.Info("audience published", "version", a.Version, "rows", rows, "as", where)
}
