package app

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// deliveryFlags configure how messages leave.
type deliveryFlags struct {
	EmailProvider string  `name:"email-provider" env:"FANFARE_EMAIL_PROVIDER" default:"sandbox" enum:"sandbox,smtp" help:"Where emails go: the sandbox (captured, readable with the API) or SMTP (FANFARE_SMTP_HOST, _PORT, _TLS, _USERNAME, _PASSWORD[_FILE], _HELO_NAME, _DKIM_DOMAIN, _DKIM_SELECTOR, _DKIM_PRIVATE_KEY[_FILE])."`
	SMSProvider   string  `name:"sms-provider" env:"FANFARE_SMS_PROVIDER" default:"sandbox" enum:"sandbox,twilio" help:"Where SMS go: the sandbox, or an HTTP API in the style of Twilio's (FANFARE_SMS_BASE_URL, _ACCOUNT_SID, _AUTH_TOKEN[_FILE], _FROM, _STATUS_CALLBACK)."`
	PushProvider  string  `name:"push-provider" env:"FANFARE_PUSH_PROVIDER" default:"sandbox" enum:"sandbox,native" help:"Where push notifications go: the sandbox, or FCM (android; FANFARE_FCM_PROJECT_ID, _SERVICE_ACCOUNT_JSON[_FILE]) and APNs (ios; FANFARE_APNS_TEAM_ID, _KEY_ID, _PRIVATE_KEY_P8[_FILE], _TOPIC) — whichever is configured."`
	EmailRate     float64 `name:"email-rate" env:"FANFARE_EMAIL_RATE" help:"Cap on emails per second from this node (0: none)."`
	SMSRate       float64 `name:"sms-rate" env:"FANFARE_SMS_RATE" help:"Cap on SMS per second from this node (0: none)."`
	PushRate      float64 `name:"push-rate" env:"FANFARE_PUSH_RATE" help:"Cap on push notifications per second from this node (0: none)."`
	SandboxKeep   int     `name:"sandbox-keep" env:"FANFARE_SANDBOX_KEEP" default:"1000" help:"How many emails of each channel activity the sandbox keeps whole; the others keep their headers (-1: all)."`
}

// providers builds the channel providers: SMTP when configured, else the
// sandbox; SMS and push go to the sandbox until their providers land.
func (f *deliveryFlags) providers(s *store.Store, log *slog.Logger) (map[string]channel.Provider, error) {
	out := map[string]channel.Provider{}
	for _, ch := range []string{channel.Email, channel.SMS, channel.Push} {
		p, err := delivery.NewSandbox(s, ch)
		if err != nil {
			return nil, err
		}
		out[ch] = p.WithKeep(f.SandboxKeep)
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
	if f.PushProvider == "native" {
		p, err := nativePush()
		if err != nil {
			return nil, err
		}
		out[channel.Push] = p
	}
	if f.EmailProvider == "smtp" {
		cfg, err := smtp.FromEnv("FANFARE_SMTP_", os.Getenv)
		if err != nil {
			return nil, err
		}
		cfg.Log = log // its warnings (no one-click unsubscribe) go where the server logs
		p, err := smtp.New(cfg)
		if err != nil {
			return nil, err
		}
		out[channel.Email] = p
	}
	return out, nil
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

// smsStatusCallback is the status callback URL the SMS provider gives the
// API, whose signatures are made over it.
func (f *deliveryFlags) smsStatusCallback() string {
	if f.SMSProvider != "twilio" {
		return ""
	}
	cfg, err := f.smsConfig()
	if err != nil {
		return ""
	}
	return cfg.StatusCallback
}

// nativePush builds the FCM and APNs providers that are configured.
func nativePush() (channel.Provider, error) {
	var f *fcm.Provider
	var a *apns.Provider
	if os.Getenv("FANFARE_FCM_PROJECT_ID") != "" || os.Getenv("FANFARE_FCM_SERVICE_ACCOUNT_JSON") != "" || os.Getenv("FANFARE_FCM_SERVICE_ACCOUNT_JSON_FILE") != "" {
		cfg, err := fcm.FromEnv("FANFARE_FCM_", os.Getenv)
		if err != nil {
			return nil, err
		}
		if f, err = fcm.New(cfg); err != nil {
			return nil, err
		}
	}
	if os.Getenv("FANFARE_APNS_TEAM_ID") != "" {
		cfg, err := apns.FromEnv("FANFARE_APNS_", os.Getenv)
		if err != nil {
			return nil, err
		}
		if a, err = apns.New(cfg); err != nil {
			return nil, err
		}
	}
	if f == nil && a == nil {
		return nil, fmt.Errorf("--push-provider native: configure FCM (FANFARE_FCM_*) or APNs (FANFARE_APNS_*)")
	}
	return push.New(f, a), nil
}

// providerRates are the per-channel caps that were set.
func (f *deliveryFlags) providerRates() map[string]float64 {
	out := map[string]float64{}
	for ch, r := range map[string]float64{channel.Email: f.EmailRate, channel.SMS: f.SMSRate, channel.Push: f.PushRate} {
		if r > 0 {
			out[ch] = r
		}
	}
	return out
}
