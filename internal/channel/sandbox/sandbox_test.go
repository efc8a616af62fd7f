package sandbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/sandbox"
)

// inspector shows the conformance suite what a Memory sink captured.
type inspector struct{ mem *sandbox.Memory }

func (in inspector) Received() []channeltest.Delivery {
	var out []channeltest.Delivery
	for _, c := range in.mem.List() {
		out = append(out, channeltest.Delivery{ID: c.Message.ID, To: c.Message.To})
	}
	return out
}

func (in inspector) Offered() []string {
	var out []string
	for _, c := range in.mem.List() {
		out = append(out, c.Message.To)
	}
	return out
}

func TestConformance(t *testing.T) {
	for _, ch := range []string{channel.Email, channel.SMS, channel.Push} {
		t.Run(ch, func(t *testing.T) {
			channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
				mem := sandbox.NewMemory()
				p, err := sandbox.New(ch, mem)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				return p, inspector{mem}
			})
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := sandbox.New("fax", sandbox.NewMemory()); !errors.Is(err, channel.ErrConfig) {
		t.Errorf("unknown channel: %v, want ErrConfig", err)
	}
	if _, err := sandbox.New(channel.Email, nil); !errors.Is(err, channel.ErrConfig) {
		t.Errorf("nil sink: %v, want ErrConfig", err)
	}
}

func TestCapture(t *testing.T) {
	mem := sandbox.NewMemory()
	p, err := sandbox.New(channel.Email, mem)
	if err != nil {
		t.Fatal(err)
	}
	m := channeltest.Message(channel.Email, "run1-act1-r1", 1)
	before := time.Now()
	res := p.Send(t.Context(), []*channel.Message{m, m})
	for _, r := range res {
		if r.Outcome != channel.Sent {
			t.Fatalf("outcome %q (%s)", r.Outcome, r.Error)
		}
	}
	if n := len(mem.List()); n != 1 {
		t.Fatalf("a resent ID captured %d times, want once", n)
	}
	got, ok := mem.Get("run1-act1-r1")
	if !ok {
		t.Fatal("Get: not found")
	}
	if got.Message.Email.Subject != m.Email.Subject || got.Message.To != m.To {
		t.Errorf("captured %+v, want %+v", got.Message, *m)
	}
	if got.SentAt.Before(before) {
		t.Errorf("SentAt %v before the send", got.SentAt)
	}
	if _, ok := mem.Get("missing"); ok {
		t.Error("Get found a message never sent")
	}
}

func TestRefusesBadContent(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *channel.Message)
	}{
		{name: "no id", mutate: func(m *channel.Message) { m.ID = "" }},
		{name: "no content", mutate: func(m *channel.Message) { m.Email = nil }},
		{name: "other channel", mutate: func(m *channel.Message) { m.Channel = channel.SMS }},
		{name: "subject CRLF", mutate: func(m *channel.Message) { m.Email.Subject = "Hi\r\nBcc: eve@example.com" }},
		{name: "header name", mutate: func(m *channel.Message) { m.Email.Headers = map[string]string{"X Bad": "v"} }},
		{name: "header value LF", mutate: func(m *channel.Message) { m.Email.Headers = map[string]string{"X-Tag": "a\nBcc: e@x.com"} }},
		{name: "reserved header", mutate: func(m *channel.Message) { m.Email.Headers = map[string]string{"bcc": "e@x.com"} }},
		{name: "bad from", mutate: func(m *channel.Message) { m.Email.From = "not an address" }},
		{name: "from injection", mutate: func(m *channel.Message) { m.Email.From = "a@example.com\r\nX: y" }},
		{name: "unsubscribe scheme", mutate: func(m *channel.Message) { m.Email.UnsubscribeURL = "javascript:alert(1)" }},
		{name: "unsubscribe bracket", mutate: func(m *channel.Message) { m.Email.UnsubscribeURL = "https://x.com/>, <https://evil.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := sandbox.NewMemory()
			p, _ := sandbox.New(channel.Email, mem)
			m := channeltest.Message(channel.Email, "id-1", 1)
			tt.mutate(m)
			res := p.Send(t.Context(), []*channel.Message{m})
			if res[0].Outcome != channel.Permanent {
				t.Fatalf("outcome %q, want failed", res[0].Outcome)
			}
			if len(mem.List()) != 0 {
				t.Fatal("refused message was captured")
			}
		})
	}
}

// failingSink fails every Put.
type failingSink struct{}

func (s *failingSink) Put(context.Context, channel.Message, time.Time) error {
	return errors.New("table unavailable")
}

func TestSinkErrorIsTransient(t *testing.T) {
	p, _ := sandbox.New(channel.SMS, &failingSink{})
	res := p.Send(t.Context(), channeltest.Messages(channel.SMS, "s", 2))
	for _, r := range res {
		if r.Outcome != channel.Transient {
			t.Fatalf("outcome %q, want retry", r.Outcome)
		}
	}
}
