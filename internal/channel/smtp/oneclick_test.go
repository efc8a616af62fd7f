package smtp_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"log/slog"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/smtp"
)

// TestOneClickUnsubscribe: List-Unsubscribe-Post (RFC 8058) goes out only
// with an HTTPS URL and a DKIM signature covering it and List-Unsubscribe;
// otherwise List-Unsubscribe goes alone and the provider warns once.
func TestOneClickUnsubscribe(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	lookup := func(string) ([]string, error) {
		return []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}, nil
	}
	tests := []struct {
		name     string
		dkim     bool
		url      string
		oneClick bool
		warning  string
	}{
		{"https and dkim", true, "https://fanfare.test/u/t1", true, ""},
		{"https without dkim", false, "https://fanfare.test/u/t1", false, "no DKIM key"},
		{"http with dkim", true, "http://fanfare.test/u/t1", false, "not HTTPS"},
		{"mailto with dkim", true, "mailto:unsubscribe@fanfare.test", false, "not HTTPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			p, s := setup(t, serverOpts{}, func(c *smtp.Config) {
				c.Log = slog.New(slog.NewTextHandler(&logs, nil))
				if tt.dkim {
					c.DKIM = &smtp.DKIMConfig{Domain: "example.com", Selector: "s1", PrivateKeyPEM: keyPEM}
				}
			})
			msgs := channeltest.Messages(channel.Email, "oc", 2)
			for _, m := range msgs {
				m.Email.UnsubscribeURL = tt.url
			}
			for _, r := range p.Send(t.Context(), msgs) {
				if r.Outcome != channel.Sent {
					t.Fatalf("outcome %q: %s", r.Outcome, r.Error)
				}
			}
			for _, rcv := range s.messages() {
				msg, err := mail.ReadMessage(bytes.NewReader(rcv.Raw))
				if err != nil {
					t.Fatal(err)
				}
				if got := msg.Header.Get("List-Unsubscribe"); got != "<"+tt.url+">" {
					t.Errorf("List-Unsubscribe = %q", got)
				}
				post := msg.Header.Get("List-Unsubscribe-Post")
				if tt.oneClick != (post == "List-Unsubscribe=One-Click") {
					t.Errorf("List-Unsubscribe-Post = %q, want one-click %v", post, tt.oneClick)
				}
				for n, line := range strings.Split(string(rcv.Raw), "\r\n") {
					if len(line) > 998 {
						t.Errorf("line %d is %d octets long", n+1, len(line))
					}
				}
				if !tt.dkim {
					continue
				}
				vs, err := dkim.VerifyWithOptions(bytes.NewReader(rcv.Raw), &dkim.VerifyOptions{LookupTXT: lookup})
				if err != nil || len(vs) != 1 || vs[0].Err != nil {
					t.Fatalf("verify: %v %+v", err, vs)
				}
				signed := strings.ToLower(":" + strings.Join(vs[0].HeaderKeys, ":") + ":")
				for _, h := range []string{":list-unsubscribe:", ":list-unsubscribe-post:"} {
					if !strings.Contains(signed, h) {
						t.Errorf("%s not signed (h=%s)", h, signed)
					}
				}
			}
			if n := strings.Count(logs.String(), "level=WARN"); (tt.warning == "") != (n == 0) || n > 1 || !strings.Contains(logs.String(), tt.warning) {
				t.Errorf("warnings: %s, want one holding %q", logs.String(), tt.warning)
			}
		})
	}
}
