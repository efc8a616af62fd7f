package delivery

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestGenericWebhook(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"events": [{"type": "bounce", "hard": true, "message_id": "1:mail:2", "status": "5.1.1", "at": "2026-12-01T11:59:00Z"}, {"type": "complaint", "provider_id": "p-9"}]}`)
	sign := func(ts string, b []byte) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(ts + "."))
		m.Write(b)
		return "v1=" + hex.EncodeToString(m.Sum(nil))
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	got, err := ParseGeneric(secret, ts, sign(ts, body), body, now)
	if err != nil || len(got) != 2 || !got[0].Hard || got[0].MessageID != "1:mail:2" || got[1].ProviderID != "p-9" || got[1].Kind != FeedbackComplaint || !got[1].At.Equal(now) {
		t.Fatalf("a signed webhook: %+v, %v", got, err)
	}
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	for name, tc := range map[string][3]string{
		"altered body":      {ts, sign(ts, body), strings.Replace(string(body), "5.1.1", "5.1.2", 1)},
		"replayed later":    {old, sign(old, body), string(body)},
		"no signature":      {ts, "", string(body)},
		"another's secret":  {ts, "v1=" + strings.Repeat("00", 32), string(body)},
		"timestamp changed": {strconv.FormatInt(now.Unix()-1, 10), sign(ts, body), string(body)},
	} {
		if _, err := ParseGeneric(secret, tc[0], tc[1], []byte(tc[2]), now); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := []byte(`{"events": [{"type": "opened", "message_id": "x"}]}`)
	if _, err := ParseGeneric(secret, ts, sign(ts, bad), bad, now); err == nil || !strings.Contains(err.Error(), `type "opened"`) {
		t.Errorf("an unknown type: %v", err)
	}
}

func TestSendGridWebhook(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub, err := ParseSendGridKey(base64.StdEncoding.EncodeToString(der))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`[{"email": "a@example.com", "event": "bounce", "type": "bounce", "status": "5.1.1", "reason": "no such user", "timestamp": 1764590400, "sg_message_id": "abc123.filter0001"},
		{"email": "b@example.com", "event": "bounce", "type": "blocked", "status": "4.7.1", "timestamp": 1764590400, "fanfare_message_id": "1:mail:2"},
		{"email": "c@example.com", "event": "spamreport", "timestamp": 1764590400, "sg_message_id": "def.x"},
		{"email": "d@example.com", "event": "open", "timestamp": 1764590400, "sg_message_id": "ghi.x"}]`)
	sum := sha256.Sum256(append([]byte(ts), body...))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, sum[:])
	got, err := ParseSendGrid(pub, ts, base64.StdEncoding.EncodeToString(sig), body, now)
	if err != nil || len(got) != 3 || !got[0].Hard || got[0].ProviderID != "abc123" || got[1].Hard || got[1].MessageID != "1:mail:2" || got[2].Kind != FeedbackComplaint {
		t.Fatalf("SendGrid's events: %+v, %v", got, err)
	}
	if _, err := ParseSendGrid(pub, ts, base64.StdEncoding.EncodeToString(sig), append(body, ' '), now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("an altered body: %v", err)
	}
}

// snsSigner is a self-made SNS: its certificate is served by the test's
// fetcher, which records what it is asked for.
type snsSigner struct {
	key     *rsa.PrivateKey
	pem     []byte
	fetched []string
}

func newSNSSigner(t *testing.T) *snsSigner {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &snsSigner{key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *snsSigner) fetch(_ context.Context, u string) ([]byte, error) {
	s.fetched = append(s.fetched, u)
	return s.pem, nil
}

func (s *snsSigner) sign(t *testing.T, m *SNSMessage) []byte {
	h := crypto.SHA1
	if m.SignatureVersion == "2" {
		h = crypto.SHA256
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, h, digestOf(h, m.canonical()))
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	return b
}

func TestSNSVerifier(t *testing.T) {
	ctx := context.Background()
	signer := newSNSSigner(t)
	const topic = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"
	v := &SNSVerifier{Topics: []string{topic}, Fetch: signer.fetch}
	ses := `{"notificationType": "Bounce", "mail": {"messageId": "0102018c-ses"}, "bounce": {"bounceType": "Permanent", "timestamp": "2026-12-01T12:00:00Z",
		"bouncedRecipients": [{"emailAddress": "gone@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}`
	base := SNSMessage{Type: "Notification", MessageID: "m-1", TopicArn: topic, Message: ses, Timestamp: time.Now().UTC().Format(time.RFC3339),
		SigningCertURL: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"}
	for _, version := range []string{"1", "2"} {
		m := base
		m.SignatureVersion = version
		got, err := v.Verify(ctx, signer.sign(t, &m))
		if err != nil {
			t.Fatalf("version %s: %v", version, err)
		}
		fb, err := ParseSES(got.Message, time.Now())
		if err != nil || len(fb) != 1 || !fb[0].Hard || fb[0].ProviderID != "0102018c-ses" || fb[0].Status != "5.1.1" {
			t.Fatalf("the SES bounce: %+v, %v", fb, err)
		}
	}
	if len(signer.fetched) != 1 {
		t.Errorf("the certificate was fetched %d times, want once (then kept)", len(signer.fetched))
	}
	for name, change := range map[string]func(m *SNSMessage){
		"a certificate elsewhere":   func(m *SNSMessage) { m.SigningCertURL = "https://evil.example.com/cert.pem" },
		"an SNS look-alike":         func(m *SNSMessage) { m.SigningCertURL = "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem" },
		"plain http":                func(m *SNSMessage) { m.SigningCertURL = "http://sns.eu-west-1.amazonaws.com/cert.pem" },
		"another topic":             func(m *SNSMessage) { m.TopicArn = "arn:aws:sns:eu-west-1:999:other" },
		"an unknown version":        func(m *SNSMessage) { m.SignatureVersion = "3" },
		"a message older than an h": func(m *SNSMessage) { m.Timestamp = time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339) },
	} {
		m := base
		m.SignatureVersion = "2"
		change(&m)
		signer.fetched = nil
		if _, err := v.Verify(ctx, signer.sign(t, &m)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
		for _, u := range signer.fetched {
			if !strings.HasPrefix(u, "https://sns.eu-west-1.amazonaws.com/") {
				t.Errorf("%s: fetched %s", name, u)
			}
		}
	}
	m := base
	m.SignatureVersion = "2"
	b := signer.sign(t, &m)
	tampered := strings.Replace(string(b), "gone@example.com", "other@example.com", 1)
	if _, err := v.Verify(ctx, []byte(tampered)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a tampered message: %v", err)
	}
	// A subscription is confirmed by visiting its link on SNS's host only.
	sub := SNSMessage{Type: "SubscriptionConfirmation", MessageID: "m-2", Token: "tok", TopicArn: topic, Message: "confirm", SignatureVersion: "2",
		Timestamp: base.Timestamp, SigningCertURL: base.SigningCertURL, SubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=tok"}
	got, err := v.Verify(ctx, signer.sign(t, &sub))
	if err != nil {
		t.Fatal(err)
	}
	signer.fetched = nil
	if err := v.Confirm(ctx, got); err != nil || len(signer.fetched) != 1 || signer.fetched[0] != sub.SubscribeURL {
		t.Fatalf("confirm: %v, fetched %v", err, signer.fetched)
	}
	got.SubscribeURL = "https://evil.example/confirm"
	if err := v.Confirm(ctx, got); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a subscription link elsewhere: %v", err)
	}
}
