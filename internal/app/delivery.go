package app

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// deliveryFlags configure how messages leave.
type deliveryFlags struct {
	EmailProvider string `name:"email-provider" env:"FANFARE_EMAIL_PROVIDER" default:"sandbox" enum:"sandbox,smtp" help:"Where emails go: the sandbox (captured, readable with the API) or SMTP (FANFARE_SMTP_HOST, _PORT, _TLS, _USERNAME, _PASSWORD[_FILE], _DKIM_DOMAIN, _DKIM_SELECTOR, _DKIM_PRIVATE_KEY[_FILE])."`
	SMSProvider   string `name:"sms-provider" env:"FANFARE_SMS_PROVIDER" default:"sandbox" enum:"sandbox,twilio" help:"Where SMS go: the sandbox, or an HTTP API in the style of Twilio's (FANFARE_SMS_BASE_URL, _ACCOUNT_SID, _AUTH_TOKEN[_FILE], _FROM, _STATUS_CALLBACK)."`
	PublicURL     string `name:"public-url" env:"FANFARE_PUBLIC_URL" help:"Where recipients reach this server (unsubscribe links); default: the listening address."`
}

// providers builds the channel providers: SMTP when configured, else the
// sandbox; SMS and push go to the sandbox until their providers land.
func (f *deliveryFlags) providers(s *store.Store) (map[string]channel.Provider, error) {
	out := map[string]channel.Provider{}
	for _, ch := range []string{channel.Email, channel.SMS, channel.Push} {
		p, err := delivery.NewSandbox(s, ch)
		if err != nil {
			return nil, err
		}
		out[ch] = p
	}
	if f.SMSProvider == "twilio" {
		cfg, err := f.smsConfig()
		if err != nil {
			return nil, err
		}
		p, err := sms.New(cfg)
		if err != nil {
			return nil, err
		}
		out[channel.SMS] = p
	}
	if f.EmailProvider == "smtp" {
		cfg, err := smtp.FromEnv("FANFARE_SMTP_", os.Getenv)
		if err != nil {
			return nil, err
		}
		p, err := smtp.New(cfg)
		if err != nil {
			return nil, err
		}
		out[channel.Email] = p
	}
	return out, nil
}

// secretKey returns the key that signs unsubscribe links: FANFARE_SECRET
// (or _FILE), else one kept in the data directory, made on first use.
func secretKey(dataDir string) ([]byte, error) {
	if v := os.Getenv("FANFARE_SECRET"); v != "" {
		return []byte(v), nil
	}
	if f := os.Getenv("FANFARE_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("FANFARE_SECRET_FILE: %w", err)
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	path := filepath.Join(dataDir, "secret")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write the secret key: %w", err)
	}
	return key, nil
}

// smsConfig reads the SMS provider's settings from the environment.
func (f *deliveryFlags) smsConfig() (sms.Config, error) {
	return sms.FromEnv("FANFARE_SMS_", os.Getenv)
}

// smsAuthToken is the token that checks SMS status callbacks, when an SMS
// provider is configured.
func (f *deliveryFlags) smsAuthToken() string {
	if f.SMSProvider != "twilio" {
		return ""
	}
	cfg, err := f.smsConfig()
	if err != nil {
		return ""
	}
	return cfg.AuthToken
}
