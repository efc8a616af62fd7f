package smtp_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
)

// received is one message the test server accepted.
type received struct {
	From string
	To   string
	Raw  []byte
}

// server is an in-process SMTP server that keeps what it receives. Its
// hooks let a test make it refuse, hang or drop the connection.
type server struct {
	t    *testing.T
	srv  *gosmtp.Server
	Port int

	// rcpt, when set, may refuse a recipient.
	rcpt func(to string) error
	// data, when set, runs after the content is read; it may refuse the
	// message, hang, or drop the connection through c.
	data func(c *gosmtp.Conn, to string, raw []byte) error
	// discard keeps counts only (benchmarks).
	discard bool
	// user and pass, when set, make AUTH PLAIN mandatory.
	user, pass string

	mu      sync.Mutex
	msgs    []received
	offered []string
	helos   []string // the name of each EHLO, in order
	count   int
}

type serverOpts struct {
	tls     string // "none", "starttls", "implicit"
	user    string
	pass    string
	discard bool
	rcpt    func(to string) error
	data    func(c *gosmtp.Conn, to string, raw []byte) error
}

func newServer(t testing.TB, o serverOpts) *server {
	s := &server{rcpt: o.rcpt, data: o.data, discard: o.discard, user: o.user, pass: o.pass}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		// A session starts at each EHLO (again after STARTTLS).
		s.mu.Lock()
		s.helos = append(s.helos, c.Hostname())
		s.mu.Unlock()
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 10
	srv.ErrorLog = nopLogger{}
	srv.AllowInsecureAuth = o.tls == "none"
	var l net.Listener
	var err error
	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls != "" && o.tls != "none" {
		srv.TLSConfig = selfSigned(t)
		if o.tls == "implicit" {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	s.srv = srv
	s.Port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// Received implements channeltest.Inspector: the ID is read back from the
// Message-ID header.
func (s *server) Received() []channeltest.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]channeltest.Delivery, 0, len(s.msgs))
	for _, m := range s.msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			out = append(out, channeltest.Delivery{ID: "unparsable", To: m.To})
			continue
		}
		id := strings.TrimPrefix(msg.Header.Get("Message-ID"), "<")
		id = id[:max(0, strings.LastIndexByte(id, '@'))]
		out = append(out, channeltest.Delivery{ID: id, To: m.To})
	}
	return out
}

// Offered implements channeltest.Inspector.
func (s *server) Offered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.offered...)
}

func (s *server) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *server) ehlos() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.helos...)
}

func (s *server) accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

type session struct {
	s      *server
	conn   *gosmtp.Conn
	authed bool
	from   string
	to     string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.s.user != "" && !ss.authed {
		return gosmtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.s.mu.Lock()
	ss.s.offered = append(ss.s.offered, to)
	ss.s.mu.Unlock()
	if ss.s.rcpt != nil {
		if err := ss.s.rcpt(to); err != nil {
			return err
		}
	}
	ss.to = to
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.s.discard {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		ss.s.mu.Lock()
		ss.s.count++
		ss.s.mu.Unlock()
		return nil
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.data != nil {
		if err := ss.s.data(ss.conn, ss.to, raw); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, received{From: ss.from, To: ss.to, Raw: raw})
	ss.s.count++
	n := ss.s.count
	ss.s.mu.Unlock()
	// A 250 reply with a Postfix-like queue id.
	return &gosmtp.SMTPError{Code: 250, EnhancedCode: gosmtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as Q" + strconv.Itoa(n)}
}

func (ss *session) Reset()        { ss.from, ss.to = "", "" }
func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned(t testing.TB) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
