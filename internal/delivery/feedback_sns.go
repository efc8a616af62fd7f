package delivery

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS's SignatureVersion 1 is SHA1withRSA
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// SNSMessage is an Amazon SNS message as it reaches an HTTPS endpoint.
type SNSMessage struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
}

// snsHost is where SNS keeps its signing certificates and subscription
// links: nothing else is ever fetched.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// SNSVerifier checks SNS messages: from an accepted topic, signed by the
// certificate at SigningCertURL, which must be an https URL of SNS's own
// host. Verification cannot be turned off.
type SNSVerifier struct {
	// Topics are the topic ARNs accepted (at least one).
	Topics []string
	// Fetch gets a URL (tests serve their own certificate through it);
	// it is only ever called with a URL of SNS's host.
	Fetch func(ctx context.Context, url string) ([]byte, error)

	certs sync.Map // URL → *x509.Certificate
}

// snsURL checks that a URL SNS gives is one of SNS's own.
func snsURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || !snsHost.MatchString(u.Hostname()) || u.Port() != "" || u.User != nil {
		return fmt.Errorf("%w: %q is not an address of SNS", ErrBadSignature, raw)
	}
	return nil
}

// Verify reads and checks an SNS message.
func (v *SNSVerifier) Verify(ctx context.Context, body []byte) (*SNSMessage, error) {
	var m SNSMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("read the SNS message: %w", err)
	}
	if len(v.Topics) == 0 || !slices.Contains(v.Topics, m.TopicArn) {
		return nil, fmt.Errorf("%w: topic %q is not accepted", ErrBadSignature, m.TopicArn)
	}
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return nil, fmt.Errorf("%w: signature version %q", ErrBadSignature, m.SignatureVersion)
	}
	if err := snsURL(m.SigningCertURL); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(m.SigningCertURL, ".pem") {
		return nil, fmt.Errorf("%w: the signing certificate is not a .pem", ErrBadSignature)
	}
	cert, err := v.cert(ctx, m.SigningCertURL)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the signing certificate has no RSA key", ErrBadSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return nil, ErrBadSignature
	}
	digest := digestOf(h, m.canonical())
	if rsa.VerifyPKCS1v15(pub, h, digest, sig) != nil {
		return nil, ErrBadSignature
	}
	if ts, err := time.Parse(time.RFC3339, m.Timestamp); err != nil || time.Since(ts) > time.Hour {
		// SNS retries for up to an hour by default: older is a replay.
		return nil, fmt.Errorf("%w: the message is too old", ErrBadSignature)
	}
	return &m, nil
}

func digestOf(h crypto.Hash, s string) []byte {
	if h == crypto.SHA1 {
		sum := sha1.Sum([]byte(s)) //nolint:gosec // SNS's SignatureVersion 1
		return sum[:]
	}
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// canonical is the string SNS signs: the message's fields, name and
// value on lines of their own, in this order.
func (m *SNSMessage) canonical() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != "Notification" {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// cert fetches a signing certificate once.
func (v *SNSVerifier) cert(ctx context.Context, u string) (*x509.Certificate, error) {
	if c, ok := v.certs.Load(u); ok {
		return c.(*x509.Certificate), nil
	}
	raw, err := v.Fetch(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch the SNS signing certificate: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%w: the signing certificate is not PEM", ErrBadSignature)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	v.certs.Store(u, c)
	return c, nil
}

// Confirm confirms a subscription to the topic by visiting its link (on
// SNS's host only).
func (v *SNSVerifier) Confirm(ctx context.Context, m *SNSMessage) error {
	if err := snsURL(m.SubscribeURL); err != nil {
		return err
	}
	_, err := v.Fetch(ctx, m.SubscribeURL)
	return err
}

// sesNotification is an Amazon SES notification (or event) about a
// message.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		MessageID string `json:"messageId"`
		Headers   []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
	Bounce *struct {
		BounceType string `json:"bounceType"` // Permanent, Transient, Undetermined
		Recipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
		Timestamp time.Time `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		Recipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		Timestamp time.Time `json:"timestamp"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients []string  `json:"recipients"`
		Timestamp  time.Time `json:"timestamp"`
	} `json:"delivery"`
}

// ParseSES reads an SES notification carried by SNS: bounces (permanent
// ones hard), complaints and deliveries. The message is found by the id
// SES gave it (its SMTP answer's, kept as the provider's id).
func ParseSES(message string, now time.Time) ([]Feedback, error) {
	var n sesNotification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return nil, fmt.Errorf("read the SES notification: %w", err)
	}
	base := Feedback{ProviderID: n.Mail.MessageID, Source: "ses"}
	if base.ProviderID == "" {
		return nil, errors.New("the SES notification names no message")
	}
	var out []Feedback
	switch cmp.Or(n.NotificationType, n.EventType) {
	case "Bounce":
		if n.Bounce == nil {
			return nil, errors.New("an SES bounce without its bounce")
		}
		for _, r := range n.Bounce.Recipients {
			f := base
			f.Kind, f.Hard, f.Address, f.Status, f.Diagnostic, f.At = FeedbackBounce, n.Bounce.BounceType == "Permanent", r.EmailAddress, r.Status, r.DiagnosticCode, atOr(n.Bounce.Timestamp, now)
			out = append(out, f)
		}
	case "Complaint":
		if n.Complaint == nil {
			return nil, errors.New("an SES complaint without its complaint")
		}
		for _, r := range n.Complaint.Recipients {
			f := base
			f.Kind, f.Address, f.At = FeedbackComplaint, r.EmailAddress, atOr(n.Complaint.Timestamp, now)
			out = append(out, f)
		}
	case "Delivery":
		if n.Delivery == nil {
			return nil, errors.New("an SES delivery without its delivery")
		}
		for _, r := range n.Delivery.Recipients {
			f := base
			f.Kind, f.Address, f.At = FeedbackDelivered, r, atOr(n.Delivery.Timestamp, now)
			out = append(out, f)
		}
	}
	return out, nil
}
