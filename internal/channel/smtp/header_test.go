package smtp_test

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
)

// TestHeaderLinesFit sends header values up to the longest the content
// check accepts, with and without spaces, ASCII or not: every line stays
// within RFC 5322's 998 octets, and net/mail reads back each value as it
// was given.
func TestHeaderLinesFit(t *testing.T) {
	p, s := setup(t, serverOpts{}, nil)
	long := strings.Repeat("x", 998)
	tests := []struct {
		name    string
		subject string
		headers map[string]string
		from    string
	}{
		{name: "unbroken ascii", subject: long, headers: map[string]string{"X-Long": long}},
		{name: "unbroken non-ascii", subject: strings.Repeat("é", 499), headers: map[string]string{"X-Long": strings.Repeat("ü", 499)}},
		{name: "long name for a header", headers: map[string]string{"X-" + strings.Repeat("N", 74): strings.Repeat("y", 997)}},
		{name: "words", subject: strings.Repeat("word ", 199) + "end", headers: map[string]string{"X-Words": strings.Repeat("ab ", 332) + "c"}},
		{name: "runs of spaces and tabs", subject: strings.Repeat("a  b\tc ", 100) + "z", headers: map[string]string{"X-Mixed": strings.Repeat("w", 500) + "  " + strings.Repeat("v", 495)}},
		{name: "one long word among short ones", subject: "short " + strings.Repeat("q", 990) + " x"},
		{name: "unbroken display name", from: strings.Repeat("n", 970) + " <news@mail.fanfare.test>"},
		{name: "quoted display name", from: `"` + strings.Repeat("m", 940) + `, Team" <news@mail.fanfare.test>`},
		{name: "escaped display name", from: `"` + strings.Repeat(`m\"`, 300) + `" <news@mail.fanfare.test>`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := channeltest.Message(channel.Email, fmt.Sprintf("fit-%d", i), i)
			if tt.subject != "" {
				m.Email.Subject = tt.subject
			}
			if tt.from != "" {
				m.Email.From = tt.from
			}
			m.Email.Headers = tt.headers
			before := len(s.messages())
			if r := p.Send(t.Context(), []*channel.Message{m})[0]; r.Outcome != channel.Sent {
				t.Fatalf("outcome %q: %s", r.Outcome, r.Error)
			}
			raw := s.messages()[before].Raw
			for n, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 998 {
					t.Errorf("line %d is %d octets long: %.60q…", n+1, len(line), line)
				}
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			dec := new(mime.WordDecoder)
			if got, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || got != m.Email.Subject {
				t.Errorf("Subject reads back as %.80q (%v), want %.80q", got, err, m.Email.Subject)
			}
			for name, want := range tt.headers {
				if got, err := dec.DecodeHeader(msg.Header.Get(name)); err != nil || got != want {
					t.Errorf("%s reads back as %.80q (%v), want %.80q", name, got, err, want)
				}
			}
			want, _ := mail.ParseAddress(m.Email.From)
			got, err := msg.Header.AddressList("From")
			if err != nil || len(got) != 1 || *got[0] != *want {
				t.Errorf("From reads back as %v (%v), want %v", got, err, want)
			}
		})
	}
}

// TestLongUnsubscribeURLRefused: a List-Unsubscribe URL cannot be folded
// without changing it, so one too long for a line is refused.
func TestLongUnsubscribeURLRefused(t *testing.T) {
	c := channeltest.Message(channel.Email, "u", 1).Email
	c.UnsubscribeURL = "https://fanfare.test/u/" + strings.Repeat("t", 960)
	if err := channel.CheckEmailContent(c); err == nil {
		t.Fatal("a List-Unsubscribe line over 998 octets was accepted")
	}
	c.UnsubscribeURL = "https://fanfare.test/u/" + strings.Repeat("t", 900)
	if err := channel.CheckEmailContent(c); err != nil {
		t.Fatal(err)
	}
}
