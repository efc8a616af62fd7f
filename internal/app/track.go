package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// trackFlags configure the tracking of opens and clicks, and the email
// providers' feedback webhooks (docs/tracking.md).
type trackFlags struct {
	TrackMachines   string `name:"track-machines" env:"FANFARE_TRACK_MACHINES" type:"existingfile" help:"A file of the networks and user agents that tell machines' opens and clicks from people's (the format of the list Fanfare ships, which it replaces)."`
	TrackKeepClient bool   `name:"track-keep-client" env:"FANFARE_TRACK_KEEP_CLIENT" help:"Keep the IP address and user agent of each identified open and click (by default only the verdict, person or machine, is kept)."`
	TrustForwarded  bool   `name:"trust-forwarded" env:"FANFARE_TRUST_FORWARDED" help:"A reverse proxy in front of the server appends each client's address to X-Forwarded-For: tracking reads the address from it."`

	WebhookSecret    string        `name:"email-webhook-secret" env:"FANFARE_EMAIL_WEBHOOK_SECRET" help:"The shared secret of the generic email webhook, POST /callbacks/email/webhook (HMAC-SHA256; none: the endpoint is off)."`
	SendGridKey      string        `name:"sendgrid-webhook-key" env:"FANFARE_SENDGRID_WEBHOOK_KEY" help:"SendGrid's event webhook verification key, for POST /callbacks/email/sendgrid (none: the endpoint is off)."`
	SESTopics        []string      `name:"ses-topic-arn" env:"FANFARE_SES_TOPIC_ARNS" help:"The SNS topics of SES notifications accepted at POST /callbacks/email/ses (none: the endpoint is off)."`
	SoftBounceCount  int           `name:"soft-bounce-count" env:"FANFARE_SOFT_BOUNCE_COUNT" default:"3" help:"Soft bounces of an address that suppress it (0: never)."`
	SoftBounceWithin time.Duration `name:"soft-bounce-within" env:"FANFARE_SOFT_BOUNCE_WITHIN" default:"360h" help:"The span the soft bounces are counted over."`
	EventRetention   time.Duration `name:"event-retention" env:"FANFARE_EVENT_RETENTION" default:"9480h" help:"How long opens, clicks, bounces and other events are kept (9480h: 395 days; 0: for ever)."`
}

// tracking reads the machines file and the webhooks' keys.
func (f trackFlags) tracking() (*delivery.Machines, api.Webhooks, error) {
	m, err := f.machines()
	if err != nil {
		return nil, api.Webhooks{}, err
	}
	w, err := f.webhooks()
	return m, w, err
}

// softBounces is the soft-bounce policy.
func (f trackFlags) softBounces() delivery.SoftBouncePolicy {
	return delivery.SoftBouncePolicy{Count: f.SoftBounceCount, Within: f.SoftBounceWithin}
}

// webhooks are the email feedback webhooks configured.
func (f trackFlags) webhooks() (api.Webhooks, error) {
	w := api.Webhooks{Secret: []byte(f.WebhookSecret)}
	if f.SendGridKey != "" {
		k, err := delivery.ParseSendGridKey(f.SendGridKey)
		if err != nil {
			return w, err
		}
		w.SendGrid = k
	}
	if len(f.SESTopics) > 0 {
		client := &http.Client{Timeout: 10 * time.Second}
		w.SNS = &delivery.SNSVerifier{Topics: f.SESTopics, Fetch: func(ctx context.Context, u string) ([]byte, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			resp, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
			}
			return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		}}
	}
	return w, nil
}

// machines reads the operator's machines file, nil for the shipped list.
func (f trackFlags) machines() (*delivery.Machines, error) {
	if f.TrackMachines == "" {
		return nil, nil
	}
	file, err := os.Open(f.TrackMachines)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	m, err := delivery.ParseMachines(file)
	if err != nil {
		return nil, fmt.Errorf("--track-machines %s: %w", f.TrackMachines, err)
	}
	return m, nil
}
