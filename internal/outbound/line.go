package outbound

import (
	"encoding/json"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Line is one event as a line of the stream (docs/outbound.md#format).
// ID is the event's number, stable across redeliveries: consumers
// deduplicate by it.
type Line struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	At        time.Time       `json:"at"`
	MessageID string          `json:"message_id,omitempty"`
	Profile   *Profile        `json:"profile,omitempty"`
	Channel   string          `json:"channel,omitempty"`
	Campaign  string          `json:"campaign,omitempty"`
	Run       int64           `json:"run"`
	Activity  string          `json:"activity"`
	Machine   string          `json:"machine,omitempty"`
	Link      *Link           `json:"link,omitempty"`
	Details   json.RawMessage `json:"details,omitempty"`
}

// Profile is the recipient of an identified event: its targeting
// dimension and key.
type Profile struct {
	Dimension string          `json:"dimension"`
	Key       json.RawMessage `json:"key"`
}

// Link is a click's link: its place in the message, URL and label.
type Link struct {
	N     int    `json:"n"`
	URL   string `json:"url,omitempty"`
	Label string `json:"label,omitempty"`
}

// lineOf turns a stored event into its line.
func lineOf(ev store.StreamEvent) Line {
	l := Line{ID: ev.Seq, Type: ev.Type, At: ev.At.UTC(), MessageID: ev.MessageID, Channel: ev.Channel, Campaign: ev.Campaign,
		Run: ev.RunID, Activity: ev.Activity, Machine: ev.Machine}
	if ev.Profile != "" && json.Valid([]byte(ev.Profile)) {
		l.Profile = &Profile{Dimension: ev.Dimension, Key: json.RawMessage(ev.Profile)}
	}
	if ev.Link != 0 || ev.URL != "" {
		l.Link = &Link{N: ev.Link, URL: ev.URL, Label: ev.Label}
	}
	if ev.Details != "" && json.Valid([]byte(ev.Details)) {
		l.Details = json.RawMessage(ev.Details)
	}
	return l
}

// encode writes events as NDJSON, one line each.
func encode(evs []store.StreamEvent) ([]byte, error) {
	var out []byte
	for _, ev := range evs {
		b, err := json.Marshal(lineOf(ev))
		if err != nil {
			return nil, err
		}
		out = append(append(out, b...), '\n')
	}
	return out, nil
}
