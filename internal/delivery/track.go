package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Tracking modes of a channel activity (policy.tracking, or the
// activity's tracking): off, anonymous (events count, but name no message
// or profile), identified (each event names its message).
const (
	TrackOff        = "off"
	TrackAnonymous  = "anonymous"
	TrackIdentified = "identified"
)

// Event types.
const (
	EventOpen  = "open"
	EventClick = "click"
)

// Track is what a tracking link or open pixel stands for. It travels
// sealed in the link (Links.TrackToken), so it reveals nothing and cannot
// be altered: a click redirects only to the URL the message was rendered
// with.
type Track struct {
	// Kind is "o" for the open pixel, "c" for a link.
	Kind string `json:"k"`
	// MessageID is empty when the campaign tracks anonymously.
	MessageID string `json:"m,omitempty"`
	RunID     int64  `json:"r"`
	Activity  string `json:"a"`
	// Link is a link's place among the message's tracked links (1-based),
	// URL where it leads, Label the name its author gave it.
	Link  int    `json:"l,omitempty"`
	URL   string `json:"u,omitempty"`
	Label string `json:"b,omitempty"`
	// Sent is when the message was made, Unix milliseconds.
	Sent int64 `json:"t"`
}

// Purposes of tracking tokens' subkeys; a new version of the format takes
// a new name. v2 seals the compact encoding of trackcodec.go (a token
// half as long, decoded without JSON); v1, sealed JSON, is still read for
// mail sent before it.
const (
	trackPurpose   = "tracking-links-v2"
	trackPurposeV1 = "tracking-links-v1"
)

// TrackToken returns the token of a tracking link or pixel under the
// keyring's current key.
func (l *Links) TrackToken(ctx context.Context, t Track) (string, error) {
	k, err := l.Ring.Current(ctx)
	if err != nil {
		return "", fmt.Errorf("tracking link: %w", err)
	}
	return l.sealBytes(k, trackPurpose, t.appendBinary(nil))
}

// ParseTrack opens a tracking token, or returns ErrBadLink.
func (l *Links) ParseTrack(ctx context.Context, token string) (Track, error) {
	kid, body, ok := strings.Cut(token, ".")
	if !ok || !isKeyID(kid) {
		return Track{}, ErrBadLink
	}
	plain, purpose, err := l.unseal(ctx, kid, body, trackPurpose, trackPurposeV1)
	if err != nil {
		return Track{}, err
	}
	var t Track
	if purpose == trackPurposeV1 {
		err = json.Unmarshal(plain, &t)
	} else {
		err = t.decodeBinary(plain)
	}
	if err != nil || (t.Kind != "o" && t.Kind != "c") || t.RunID <= 0 || t.Activity == "" || t.Sent <= 0 || (t.Kind == "c" && !trackable(t.URL)) {
		return Track{}, ErrBadLink
	}
	return t, nil
}

// SentAt is when the message was made.
func (t Track) SentAt() time.Time { return time.UnixMilli(t.Sent).UTC() }

// trackable reports whether a link's destination is one tracking
// rewrites: http and https only (never mailto:, tel:, anchors or
// templates left unrendered).
func trackable(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}
