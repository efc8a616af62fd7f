package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sandbox"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// StoreSink keeps the sandbox's messages in the store, where `fanfare
// messages` and the API read them. A message handed over twice is kept once
// and its copies counted.
//
// Every message is recorded (address, time, copies: what reconciliation
// and tests read), but email bodies only for the first Keep messages of
// each channel activity: a million 24 KB bodies would fill the store and
// slow every send that follows. Any recipient's message can be rendered
// again with a preview.
type StoreSink struct {
	Store *store.Store
	// Keep is how many emails of each channel activity keep their bodies
	// (0: DefaultSandboxKeep; negative: all).
	Keep int

	mu   sync.Mutex
	kept map[string]int // by run and activity ("12:mail")
}

// DefaultSandboxKeep is how many emails of each channel activity the
// sandbox keeps whole.
const DefaultSandboxKeep = 1000

// keepBody reports whether a message keeps its body, counting it.
func (s *StoreSink) keepBody(m *channel.Message) bool {
	if m.Email == nil || s.Keep < 0 {
		return true
	}
	limit := s.Keep
	if limit == 0 {
		limit = DefaultSandboxKeep
	}
	key := m.ID
	if run, rest, ok := strings.Cut(m.ID, ":"); ok {
		act, _, _ := strings.Cut(rest, ":")
		key = run + ":" + act
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		s.kept = map[string]int{}
	}
	if s.kept[key] >= limit {
		return false
	}
	s.kept[key]++
	return true
}

// Put stores a message.
func (s *StoreSink) Put(ctx context.Context, m channel.Message, sentAt time.Time) error {
	return s.PutAll(ctx, []channel.Message{m}, sentAt)
}

// PutAll stores a batch of messages, a few statements in all.
func (s *StoreSink) PutAll(ctx context.Context, ms []channel.Message, sentAt time.Time) error {
	recs := make([]store.SandboxRecord, len(ms))
	for i, m := range ms {
		content, err := sandboxContent(m, s.keepBody(&m))
		if err != nil {
			return err
		}
		recs[i] = store.SandboxRecord{MessageID: m.ID, Channel: m.Channel, Address: m.To, Content: content, SentAt: sentAt}
	}
	if err := s.Store.Sandbox().Put(ctx, recs); err != nil {
		return fmt.Errorf("sandbox: store messages: %w", err)
	}
	return nil
}

// sandboxContent renders a message's content as stored; without its
// body, an email keeps its headers and says how large the body was.
func sandboxContent(m channel.Message, body bool) (string, error) {
	c := struct {
		Email       *channel.EmailContent `json:"email,omitempty"`
		SMS         *channel.SMSContent   `json:"sms,omitempty"`
		Push        *channel.PushContent  `json:"push,omitempty"`
		Platform    string                `json:"platform,omitempty"`
		BodyDropped int                   `json:"body_dropped_bytes,omitempty"`
	}{Email: m.Email, SMS: m.SMS, Push: m.Push, Platform: m.Platform}
	if !body && m.Email != nil {
		e := *m.Email
		c.BodyDropped = len(e.HTML) + len(e.Text)
		e.HTML, e.Text = "", ""
		c.Email = &e
	}
	content, err := json.Marshal(c)
	return string(content), err
}

// SandboxMessage is a captured message.
type SandboxMessage struct {
	ID      string          `json:"id"`
	Channel string          `json:"channel"`
	Address string          `json:"address"`
	Content json.RawMessage `json:"content"`
	SentAt  time.Time       `json:"sent_at"`
	Copies  int             `json:"copies"`
}

// MaxMessagesPage bounds a list of captured messages.
const MaxMessagesPage = 10000

// List returns captured messages, newest first, optionally of one run
// (message ids start with "<run>:"): limit of them (default 100, at most
// MaxMessagesPage).
func (s *StoreSink) List(ctx context.Context, runID int64, limit int) ([]SandboxMessage, error) {
	if limit > MaxMessagesPage {
		return nil, fmt.Errorf("%w: at most %d messages at once, not %d", store.ErrLimit, MaxMessagesPage, limit)
	}
	if limit <= 0 {
		limit = 100
	}
	recs, err := s.Store.Sandbox().List(ctx, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("list sandbox messages: %w", err)
	}
	var out []SandboxMessage
	for _, r := range recs {
		out = append(out, sandboxMessage(r))
	}
	return out, nil
}

func sandboxMessage(r store.SandboxRecord) SandboxMessage {
	return SandboxMessage{ID: r.MessageID, Channel: r.Channel, Address: r.Address, Content: json.RawMessage(r.Content), SentAt: r.SentAt, Copies: r.Copies}
}

// Get returns one captured message.
func (s *StoreSink) Get(ctx context.Context, id string) (*SandboxMessage, error) {
	r, err := s.Store.Sandbox().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("message %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	m := sandboxMessage(r)
	return &m, nil
}

// HTML returns the HTML part of a captured email: store.ErrNotFound for
// an unknown message, and for one that has none (an SMS, a push, an email
// of text alone or past the sandbox's keep count, whose body was dropped).
func (s *StoreSink) HTML(ctx context.Context, id string) (string, error) {
	m, err := s.Get(ctx, id)
	if err != nil {
		return "", err
	}
	var c struct {
		Email   *channel.EmailContent `json:"email"`
		Dropped int                   `json:"body_dropped_bytes"`
	}
	if err := json.Unmarshal(m.Content, &c); err != nil {
		return "", fmt.Errorf("read message %q: %w", id, err)
	}
	switch {
	case c.Email == nil:
		return "", fmt.Errorf("message %q is not an email (%s): it has no HTML: %w", id, m.Channel, store.ErrNotFound)
	case c.Dropped > 0:
		return "", fmt.Errorf("message %q: the sandbox kept its headers only (past its keep count): %w", id, store.ErrNotFound)
	case c.Email.HTML == "":
		return "", fmt.Errorf("message %q has no HTML part: %w", id, store.ErrNotFound)
	}
	return c.Email.HTML, nil
}

// Has reports which messages the sandbox holds, so in-doubt ones settle.
func (s *StoreSink) Has(ctx context.Context, ids []string) (map[string]bool, error) {
	return s.Store.Sandbox().Has(ctx, ids)
}

// SandboxProvider captures a channel's messages in the store and can tell
// which it has (a Reconciler).
type SandboxProvider struct {
	*sandbox.Provider
	sink *StoreSink
}

// NewSandbox returns the store-backed sandbox provider of a channel.
func NewSandbox(s *store.Store, ch string) (*SandboxProvider, error) {
	sink := &StoreSink{Store: s}
	p, err := sandbox.New(ch, sink)
	if err != nil {
		return nil, err
	}
	return &SandboxProvider{Provider: p, sink: sink}, nil
}

// WithKeep sets how many emails of each channel activity keep their
// bodies (see StoreSink.Keep).
func (p *SandboxProvider) WithKeep(n int) *SandboxProvider {
	p.sink.Keep = n
	return p
}

// Has reports which messages the sandbox holds.
func (p *SandboxProvider) Has(ctx context.Context, ids []string) (map[string]bool, error) {
	return p.sink.Has(ctx, ids)
}
