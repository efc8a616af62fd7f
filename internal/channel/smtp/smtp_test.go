package smtp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/smtp"
)

// setup starts a server and a provider connected to it.
func setup(t *testing.T, o serverOpts, edit func(*smtp.Config)) (*smtp.Provider, *server) {
	t.Helper()
	if o.tls == "" {
		o.tls = "none"
	}
	s := newServer(t, o)
	cfg := smtp.Config{
		Host: "127.0.0.1", Port: s.Port, TLS: o.tls, Pool: 4,
		Timeout: 5 * time.Second, HeloName: "fanfare.test", InsecureSkipVerify: true,
		Username: o.user, Password: o.pass,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := smtp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, s
}

func TestConformance(t *testing.T) {
	for _, mode := range []string{"none", "starttls", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
				return setup(t, serverOpts{tls: mode}, nil)
			})
		})
	}
	t.Run("auth", func(t *testing.T) {
		channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
			return setup(t, serverOpts{tls: "starttls", user: "fanfare", pass: "s3cret-Pa55"}, nil)
		})
	})
}

// richMessage exercises every header the provider writes.
func richMessage(id string) *channel.Message {
	return &channel.Message{
		ID: id, Channel: channel.Email, To: "ada@example.org",
		Email: &channel.EmailContent{
			From:           "Équipe Fanfare <news@mail.fanfare.test>",
			ReplyTo:        "support@fanfare.test",
			Subject:        "Été 🎉 soldes — jusqu'à -50 % sur toute la collection, seulement ce week-end, ne manquez pas ça",
			Preheader:      "Vos offres <exclusives> & plus",
			HTML:           "<html><body class=\"x\"><p>Bonjour Ada,</p><p>" + strings.Repeat("Déjà vu = ok. ", 200) + "</p>\n.\n<p>.leading dot</p></body></html>",
			Text:           "Bonjour Ada,\n\n" + strings.Repeat("Déjà vu = ok. ", 200) + "\n.\n.leading dot\n",
			Headers:        map[string]string{"X-Campaign": "summer-2026", "X-Tag": "café"},
			UnsubscribeURL: "https://fanfare.test/u/abc?x=1",
		},
	}
}

func TestMessageFormat(t *testing.T) {
	p, s := setup(t, serverOpts{}, nil)
	m := richMessage("run7.act3.rcpt42")
	res := p.Send(t.Context(), []*channel.Message{m, m})
	for _, r := range res {
		if r.Outcome != channel.Sent {
			t.Fatalf("outcome %q: %s", r.Outcome, r.Error)
		}
		if !strings.HasPrefix(r.ProviderID, "Q") {
			t.Errorf("ProviderID %q, want the queue id", r.ProviderID)
		}
	}
	got := s.messages()
	if len(got) != 2 {
		t.Fatalf("%d messages received", len(got))
	}
	if got[0].From != "news@mail.fanfare.test" || got[0].To != "ada@example.org" {
		t.Errorf("envelope %q -> %q", got[0].From, got[0].To)
	}
	var ids []string
	for _, rcv := range got {
		for i, line := range strings.Split(string(rcv.Raw), "\r\n") {
			if len(line) > 998 {
				t.Errorf("line %d is %d octets long", i, len(line))
			}
		}
		msg, err := mail.ReadMessage(bytes.NewReader(rcv.Raw))
		if err != nil {
			t.Fatal(err)
		}
		h := msg.Header
		dec := new(mime.WordDecoder)
		from, err := h.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != "Équipe Fanfare" || from[0].Address != "news@mail.fanfare.test" {
			t.Errorf("From = %v (%v)", from, err)
		}
		if to := h.Get("To"); to != m.To {
			t.Errorf("To = %q", to)
		}
		if rt := h.Get("Reply-To"); !strings.Contains(rt, "support@fanfare.test") {
			t.Errorf("Reply-To = %q", rt)
		}
		subject, err := dec.DecodeHeader(h.Get("Subject"))
		if err != nil || subject != m.Email.Subject {
			t.Errorf("Subject decodes to %q (%v), want %q", subject, err, m.Email.Subject)
		}
		if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
			t.Errorf("Subject not RFC 2047 encoded: %q", h.Get("Subject"))
		}
		if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
			t.Errorf("Date = %v (%v)", d, err)
		}
		ids = append(ids, h.Get("Message-ID"))
		if h.Get("MIME-Version") != "1.0" {
			t.Errorf("MIME-Version = %q", h.Get("MIME-Version"))
		}
		if got := h.Get("List-Unsubscribe"); got != "<"+m.Email.UnsubscribeURL+">" {
			t.Errorf("List-Unsubscribe = %q", got)
		}
		if got := h.Get("List-Unsubscribe-Post"); got != "" {
			t.Errorf("List-Unsubscribe-Post = %q without DKIM", got)
		}
		if h.Get("X-Campaign") != "summer-2026" {
			t.Errorf("X-Campaign = %q", h.Get("X-Campaign"))
		}
		if tag, _ := dec.DecodeHeader(h.Get("X-Tag")); tag != "café" {
			t.Errorf("X-Tag = %q", tag)
		}
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil || mt != "multipart/alternative" {
			t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
		}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		wantParts := []struct{ typ, body string }{
			{"text/plain", m.Email.Text},
			{"text/html", strings.Replace(m.Email.HTML, `<body class="x">`, `<body class="x">`+smtp.PreheaderHTML(m.Email.Preheader), 1)},
		}
		for _, want := range wantParts {
			part, err := mr.NextPart()
			if err != nil {
				t.Fatalf("part %s: %v", want.typ, err)
			}
			ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if ct != want.typ || cp["charset"] != "utf-8" {
				t.Errorf("part Content-Type = %q", part.Header.Get("Content-Type"))
			}
			b, _ := io.ReadAll(part) // multipart decodes quoted-printable
			if body := strings.ReplaceAll(string(b), "\r\n", "\n"); body != want.body {
				t.Errorf("%s part differs:\n got %.200q\nwant %.200q", want.typ, body, want.body)
			}
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Errorf("more than two parts: %v", err)
		}
	}
	want := "<run7.act3.rcpt42@mail.fanfare.test>"
	if ids[0] != want || ids[1] != want {
		t.Errorf("Message-IDs %q, want %q twice", ids, want)
	}
	if !strings.Contains(smtp.PreheaderHTML(m.Email.Preheader), ">Vos offres &lt;exclusives&gt; &amp; plus</span>") {
		t.Error("preheader not escaped into the HTML")
	}
}

func TestMessageIDHashesUnsafeIDs(t *testing.T) {
	a := smtp.MessageID("run 1/<x>", "n@fanfare.test")
	if a != smtp.MessageID("run 1/<x>", "n@fanfare.test") || strings.ContainsAny(a[1:len(a)-1], " <>") {
		t.Errorf("MessageID = %q", a)
	}
	if a == smtp.MessageID("run 1/<y>", "n@fanfare.test") {
		t.Error("two IDs share a Message-ID")
	}
}

func TestSinglePartBodies(t *testing.T) {
	p, s := setup(t, serverOpts{}, nil)
	html := channeltest.Message(channel.Email, "html-only", 1)
	html.Email.Text = ""
	text := channeltest.Message(channel.Email, "text-only", 2)
	text.Email.HTML = ""
	for _, r := range p.Send(t.Context(), []*channel.Message{html, text}) {
		if r.Outcome != channel.Sent {
			t.Fatalf("%s: %q %s", r.ID, r.Outcome, r.Error)
		}
	}
	for _, rcv := range s.messages() {
		msg, _ := mail.ReadMessage(bytes.NewReader(rcv.Raw))
		ct := msg.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type = %q", ct)
		}
	}
}

func TestDKIM(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	tests := []struct {
		name string
		pem  []byte
		txt  string
	}{
		{"rsa", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}),
			"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub)},
		{"ed25519", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}),
			"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edKey.Public().(ed25519.PublicKey))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := setup(t, serverOpts{}, func(c *smtp.Config) {
				c.DKIM = &smtp.DKIMConfig{Domain: "mail.fanfare.test", Selector: "ff1", PrivateKeyPEM: tt.pem}
			})
			res := p.Send(t.Context(), []*channel.Message{richMessage("dkim-1")})
			if res[0].Outcome != channel.Sent {
				t.Fatalf("outcome %q: %s", res[0].Outcome, res[0].Error)
			}
			raw := s.messages()[0].Raw
			lookup := func(domain string) ([]string, error) {
				if domain != "ff1._domainkey.mail.fanfare.test" {
					return nil, fmt.Errorf("unexpected lookup %q", domain)
				}
				return []string{tt.txt}, nil
			}
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil || len(vs) != 1 || vs[0].Err != nil {
				t.Fatalf("verify: %v %+v", err, vs)
			}
			signed := strings.ToLower(strings.Join(vs[0].HeaderKeys, ":"))
			for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type"} {
				if !strings.Contains(signed, h) {
					t.Errorf("%s not signed (h=%s)", h, signed)
				}
			}
			if !strings.Contains(string(raw), "c=relaxed/relaxed") {
				t.Error("canonicalization is not relaxed/relaxed")
			}
			// A tampered subject must break the signature.
			bad := bytes.Replace(raw, []byte("Subject: =?utf-8?q?"), []byte("Subject: =?utf-8?q?X"), 1)
			vs, _ = dkim.VerifyWithOptions(bytes.NewReader(bad), &dkim.VerifyOptions{LookupTXT: lookup})
			if len(vs) != 1 || vs[0].Err == nil {
				t.Error("tampered message still verifies")
			}
		})
	}
}

func TestRecipientRefusals(t *testing.T) {
	rcpt := func(to string) error {
		switch to {
		case "user1@example.com":
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case "user2@example.com":
			return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 7, 1}, Message: "greylisted"}
		case "user5@example.com":
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.NoEnhancedCode, Message: "Recipient address rejected: User unknown in local recipient table"}
		case "user6@example.com":
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.NoEnhancedCode, Message: "rejected by local policy"}
		}
		return nil
	}
	data := func(_ *gosmtp.Conn, to string, _ []byte) error {
		switch to {
		case "user3@example.com":
			return &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "spam"}
		case "user4@example.com":
			return &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 3, 1}, Message: "storage full"}
		}
		return nil
	}
	p, s := setup(t, serverOpts{rcpt: rcpt, data: data}, func(c *smtp.Config) { c.Pool = 1 })
	msgs := channeltest.Messages(channel.Email, "r", 8)
	res := p.Send(t.Context(), msgs)
	want := []channel.Outcome{channel.Sent, channel.Permanent, channel.Transient, channel.Permanent, channel.Transient, channel.Permanent, channel.Permanent, channel.Sent}
	// Hard bounces, whose address is suppressed: the unknown user, with an
	// enhanced status (5.1.1) or without one. Not the spam refusal (5.7.1),
	// a policy refusal without enhanced status, or the temporary ones.
	hard := []bool{false, true, false, false, false, true, false, false}
	for i, r := range res {
		if r.Outcome != want[i] || r.Deactivate != hard[i] {
			t.Errorf("message %d (%s): %q (%s) deactivate %v, want %q deactivate %v", i, msgs[i].To, r.Outcome, r.Error, r.Deactivate, want[i], hard[i])
		}
	}
	if !strings.Contains(res[1].Error, "550 5.1.1 no such user") || !strings.Contains(res[2].Error, "451 4.7.1") {
		t.Errorf("errors do not carry the reply: %q, %q", res[1].Error, res[2].Error)
	}
	if n := len(s.messages()); n != 2 {
		t.Errorf("server kept %d messages, want 2", n)
	}
}

func TestDropAfterDataIsUnknown(t *testing.T) {
	data := func(c *gosmtp.Conn, to string, _ []byte) error {
		if to == "user2@example.com" {
			c.Conn().Close()
		}
		return nil
	}
	p, _ := setup(t, serverOpts{data: data}, func(c *smtp.Config) { c.Pool = 1 })
	msgs := channeltest.Messages(channel.Email, "d", 5)
	res := p.Send(t.Context(), msgs)
	for i, r := range res {
		want := channel.Sent
		if i == 2 {
			want = channel.Unknown
		}
		if r.Outcome != want {
			t.Errorf("message %d: %q (%s), want %q", i, r.Outcome, r.Error, want)
		}
	}
}

func TestHangingServer(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rcpt := func(to string) error {
		if to == "user3@example.com" {
			<-release
		}
		return nil
	}
	data := func(_ *gosmtp.Conn, to string, _ []byte) error {
		if to == "user7@example.com" {
			<-release
		}
		return nil
	}
	p, s := setup(t, serverOpts{rcpt: rcpt, data: data}, func(c *smtp.Config) {
		c.Pool = 4
		c.Timeout = 300 * time.Millisecond
	})
	msgs := channeltest.Messages(channel.Email, "h", 60)
	start := time.Now()
	res := p.Send(t.Context(), msgs)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("batch took %v: a hung connection stalled the others", d)
	}
	for i, r := range res {
		want := channel.Sent
		switch i {
		case 3:
			want = channel.Transient // hung before the content was sent
		case 7:
			want = channel.Unknown // hung after the content was sent
		}
		if r.Outcome != want {
			t.Errorf("message %d: %q (%s), want %q", i, r.Outcome, r.Error, want)
		}
	}
	if n := s.accepted(); n != 58 {
		t.Errorf("server accepted %d messages, want 58", n)
	}
}

// scripted runs a raw server that greets and then answers each line with
// answer(line).
func scripted(t *testing.T, answer func(line string) string) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "220 test ESMTP\r\n")
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					for _, line := range strings.Split(strings.TrimSpace(string(buf[:n])), "\r\n") {
						io.WriteString(c, answer(line))
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func TestGarbageAndRefusal(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tests := []struct {
		name string
		port func(t *testing.T) int
	}{
		{"connection refused", func(*testing.T) int { return closedPort }},
		{"garbage greeting reply", func(t *testing.T) int {
			return scripted(t, func(string) string { return "hello there\r\n" })
		}},
		{"garbage to MAIL", func(t *testing.T) int {
			return scripted(t, func(line string) string {
				if strings.HasPrefix(line, "EHLO") {
					return "250-test\r\n250 8BITMIME\r\n"
				}
				return "what is this\r\n"
			})
		}},
		{"421 at greeting", func(t *testing.T) int {
			return scripted(t, func(string) string { return "421 4.3.2 shutting down\r\n" })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: tt.port(t), TLS: "none", Pool: 2, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			start := time.Now()
			res := p.Send(t.Context(), channeltest.Messages(channel.Email, "g", 20))
			for i, r := range res {
				if r.Outcome != channel.Transient {
					t.Errorf("message %d: %q (%s), want retry", i, r.Outcome, r.Error)
				}
				if strings.Contains(r.Error, "127.0.0.1") {
					t.Errorf("error reveals the host: %q", r.Error)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestStaleConnectionIsRedialled(t *testing.T) {
	var mu sync.Mutex
	var last *gosmtp.Conn
	data := func(c *gosmtp.Conn, _ string, _ []byte) error {
		mu.Lock()
		last = c
		mu.Unlock()
		return nil
	}
	p, s := setup(t, serverOpts{data: data}, func(c *smtp.Config) { c.Pool = 1 })
	for _, id := range []string{"first", "second"} {
		res := p.Send(t.Context(), []*channel.Message{channeltest.Message(channel.Email, id, 1)})
		if res[0].Outcome != channel.Sent {
			t.Fatalf("%s: %q %s", id, res[0].Outcome, res[0].Error)
		}
		// The server drops the idle connection, as real ones do after a
		// while: the next send finds it dead before anything was sent and
		// must redial.
		mu.Lock()
		last.Conn().Close()
		mu.Unlock()
	}
	if n := len(s.messages()); n != 2 {
		t.Errorf("server has %d messages, want 2", n)
	}
}

func TestAuth(t *testing.T) {
	const pass = "s3cret-Pa55"
	t.Run("wrong password", func(t *testing.T) {
		p, s := setup(t, serverOpts{tls: "starttls", user: "fanfare", pass: pass}, func(c *smtp.Config) { c.Password = "wrong-" + pass })
		res := p.Send(t.Context(), channeltest.Messages(channel.Email, "a", 3))
		for _, r := range res {
			if r.Outcome != channel.Transient {
				t.Errorf("%q (%s), want retry", r.Outcome, r.Error)
			}
			if strings.Contains(r.Error, pass) || strings.Contains(r.Error, "fanfare:") {
				t.Errorf("error reveals credentials: %q", r.Error)
			}
		}
		if len(s.messages()) != 0 {
			t.Error("unauthenticated message accepted")
		}
	})
	t.Run("no auth against a server requiring it", func(t *testing.T) {
		p, _ := setup(t, serverOpts{tls: "starttls", user: "fanfare", pass: pass}, func(c *smtp.Config) { c.Username, c.Password = "", "" })
		res := p.Send(t.Context(), channeltest.Messages(channel.Email, "a", 1))
		if res[0].Outcome == channel.Sent {
			t.Error("sent without authenticating")
		}
	})
	t.Run("refusal keeps the session", func(t *testing.T) {
		rcpt := func(to string) error {
			if to == "user1@example.com" {
				return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			}
			return nil
		}
		p, _ := setup(t, serverOpts{tls: "starttls", user: "fanfare", pass: pass, rcpt: rcpt}, func(c *smtp.Config) { c.Pool = 1 })
		res := p.Send(t.Context(), channeltest.Messages(channel.Email, "a", 4))
		for i, r := range res {
			want := channel.Sent
			if i == 1 {
				want = channel.Permanent
			}
			if r.Outcome != want {
				t.Errorf("message %d: %q (%s), want %q", i, r.Outcome, r.Error, want)
			}
		}
	})
}

func TestHeaderInjectionRefused(t *testing.T) {
	p, s := setup(t, serverOpts{}, nil)
	mk := func(id string, edit func(*channel.Message)) *channel.Message {
		m := channeltest.Message(channel.Email, id, 1)
		edit(m)
		return m
	}
	msgs := []*channel.Message{
		mk("to", func(m *channel.Message) { m.To = "ada@example.com\r\nBcc: eve@example.com" }),
		mk("to-rcpt", func(m *channel.Message) { m.To = "ada@example.com>\r\nRCPT TO:<eve@example.com" }),
		mk("hdr-value", func(m *channel.Message) { m.Email.Headers = map[string]string{"X-A": "1\r\nBcc: eve@example.com"} }),
		mk("hdr-name", func(m *channel.Message) { m.Email.Headers = map[string]string{"X-A\r\nBcc": "eve@example.com"} }),
		mk("hdr-name-space", func(m *channel.Message) { m.Email.Headers = map[string]string{"X A": "1"} }),
		mk("hdr-override", func(m *channel.Message) { m.Email.Headers = map[string]string{"Message-Id": "<x@y>"} }),
		mk("subject", func(m *channel.Message) { m.Email.Subject = "Hi\nBcc: eve@example.com" }),
		mk("from", func(m *channel.Message) { m.Email.From = "news@example.com\r\nBcc: eve@example.com" }),
		mk("unsubscribe", func(m *channel.Message) { m.Email.UnsubscribeURL = "https://x.test/\r\nBcc: eve@example.com" }),
		mk("reply-to", func(m *channel.Message) { m.Email.ReplyTo = "a@b.com\nX: y" }),
		mk("no-content", func(m *channel.Message) { m.Email = nil }),
	}
	for i, r := range p.Send(t.Context(), msgs) {
		if r.Outcome != channel.Permanent {
			t.Errorf("%s: %q, want failed", msgs[i].ID, r.Outcome)
		}
	}
	if n := len(s.Offered()); n != 0 {
		t.Errorf("server was offered %d recipients", n)
	}
}

func TestCancelDuringHangIsTransient(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	p, s := setup(t, serverOpts{rcpt: func(string) error { <-release; return nil }}, func(c *smtp.Config) { c.Pool = 2 })
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for len(s.Offered()) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	res := p.Send(ctx, channeltest.Messages(channel.Email, "c", 10))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v to stop the batch", d)
	}
	for i, r := range res {
		if r.Outcome != channel.Transient {
			t.Errorf("message %d: %q (%s), want retry", i, r.Outcome, r.Error)
		}
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  smtp.Config
		ok   bool
	}{
		{"defaults", smtp.Config{Host: "mail.example.com"}, true},
		{"no host", smtp.Config{}, false},
		{"bad tls", smtp.Config{Host: "h", TLS: "ssl"}, false},
		{"bad port", smtp.Config{Host: "h", Port: 70000}, false},
		{"user without password", smtp.Config{Host: "h", Username: "u"}, false},
		{"credentials in clear", smtp.Config{Host: "mail.example.com", TLS: "none", Username: "u", Password: "p"}, false},
		{"credentials in clear on loopback", smtp.Config{Host: "127.0.0.1", TLS: "none", Username: "u", Password: "p"}, true},
		{"pool too big", smtp.Config{Host: "h", Pool: 5000}, false},
		{"bad dkim key", smtp.Config{Host: "h", DKIM: &smtp.DKIMConfig{Domain: "d", Selector: "s", PrivateKeyPEM: []byte("nope")}}, false},
		{"host injection", smtp.Config{Host: "h\r\nX"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, channel.ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
	c := smtp.Config{Host: "mail.example.com"}
	c.Validate()
	if c.Port != 587 || c.TLS != "starttls" || c.Pool != 8 || c.Timeout != 30*time.Second {
		t.Errorf("defaults: %+v", c)
	}
}

func TestSettingsNeverLogged(t *testing.T) {
	cfg := smtp.Config{Host: "secret-relay.example.com", Username: "apikey-user", Password: "P4ssw0rd-xyz",
		DKIM: &smtp.DKIMConfig{Domain: "d.example", Selector: "s", PrivateKeyPEM: []byte("-----BEGIN KEY-----")}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("provider", "config", cfg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("provider", "config", &cfg)
	fmt.Fprintf(&buf, "%v %+v %#v %s", cfg, cfg, cfg, cfg)
	for _, secret := range []string{"secret-relay", "apikey-user", "P4ssw0rd", "BEGIN KEY"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("%q appears in %s", secret, buf.String())
		}
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	secret := dir + "/pass"
	if err := writeFile(secret, "from-file\n"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"FANFARE_SMTP_HOST": "relay.example.com", "FANFARE_SMTP_PORT": "2525", "FANFARE_SMTP_TLS": "implicit",
		"FANFARE_SMTP_USERNAME": "u", "FANFARE_SMTP_PASSWORD_FILE": secret, "FANFARE_SMTP_POOL": "16",
		"FANFARE_SMTP_TIMEOUT": "5s",
	}
	c, err := smtp.FromEnv("FANFARE_SMTP_", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "relay.example.com" || c.Port != 2525 || c.TLS != "implicit" || c.Password != "from-file" || c.Pool != 16 || c.Timeout != 5*time.Second {
		t.Errorf("FromEnv = %#v", c.Password)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	env["FANFARE_SMTP_PASSWORD_FILE"] = dir + "/missing"
	if _, err := smtp.FromEnv("FANFARE_SMTP_", func(k string) string { return env[k] }); !errors.Is(err, channel.ErrConfig) {
		t.Errorf("missing secret file: %v", err)
	}
}
