package smtp_test

import (
	"slices"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/smtp"
)

// TestEHLOName: the client introduces itself by a fully qualified name,
// before STARTTLS as after, and by its address literal when the machine
// has none; never by a bare host name.
func TestEHLOName(t *testing.T) {
	tests := []struct {
		name                string
		configured          string
		hostname, canonical string
		want                string
	}{
		{"configured", "mail.example.org", "vm", "vm", "mail.example.org"},
		{"qualified host name", "", "vm.example.net", "vm.example.net", "vm.example.net"},
		{"canonical name from the resolver", "", "vm", "vm.example.net.", "vm.example.net"},
		{"bare name everywhere", "", "vm", "vm", "[127.0.0.1]"},
		{"localhost.localdomain", "", "localhost.localdomain", "localhost.localdomain", "[127.0.0.1]"},
	}
	for _, tt := range tests {
		for _, mode := range []string{"none", "starttls"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				defer smtp.StandInHost(tt.hostname, tt.canonical)()
				p, s := setup(t, serverOpts{tls: mode}, func(c *smtp.Config) { c.HeloName = tt.configured })
				if r := p.Send(t.Context(), channeltest.Messages(channel.Email, "helo", 1))[0]; r.Outcome != channel.Sent {
					t.Fatalf("outcome %q: %s", r.Outcome, r.Error)
				}
				want := []string{tt.want}
				if mode == "starttls" {
					want = append(want, tt.want)
				}
				if got := s.ehlos(); !slices.Equal(got, want) {
					t.Errorf("EHLO names %q, want %q", got, want)
				}
			})
		}
	}
}

func TestHeloNameChecked(t *testing.T) {
	for name, ok := range map[string]bool{
		"mail.example.org": true, "[192.0.2.1]": true, "[IPv6:2001:db8::1]": true,
		"mail example": false, "[192.0.2.1": false, "[IPv6:192.0.2.1]": false, "a\r\nRCPT": false, "-x.org": false,
	} {
		c := smtp.Config{Host: "mail.example.com", HeloName: name}
		if err := c.Validate(); (err == nil) != ok {
			t.Errorf("HeloName %q: %v, want ok=%v", name, err, ok)
		}
	}
}
