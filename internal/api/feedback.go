package api

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// Webhooks configure the email providers' feedback webhooks; an endpoint
// whose secret or key is not configured answers 404: none is accepted
// unverified.
type Webhooks struct {
	// Secret signs the generic webhook (HMAC-SHA256).
	Secret []byte
	// SendGrid is SendGrid's event webhook verification key.
	SendGrid *ecdsa.PublicKey
	// SNS checks Amazon SNS messages (SES notifications).
	SNS *delivery.SNSVerifier
}

// maxWebhookBytes bounds a webhook's body.
const maxWebhookBytes = 4 << 20

// emailFeedback answers a provider's webhook: its signature checked, its
// reports recorded (docs/tracking.md#bounces-and-complaints).
func (s *Server) emailFeedback(w http.ResponseWriter, r *http.Request) {
	source := r.PathValue("source")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		s.fail(w, r, errBadBody("webhook", err))
		return
	}
	now := time.Now()
	var reports []delivery.Feedback
	switch {
	case source == "webhook" && len(s.webhooks.Secret) > 0:
		reports, err = delivery.ParseGeneric(s.webhooks.Secret, r.Header.Get("X-Fanfare-Timestamp"), r.Header.Get("X-Fanfare-Signature"), body, now)
	case source == "sendgrid" && s.webhooks.SendGrid != nil:
		reports, err = delivery.ParseSendGrid(s.webhooks.SendGrid, r.Header.Get("X-Twilio-Email-Event-Webhook-Timestamp"),
			r.Header.Get("X-Twilio-Email-Event-Webhook-Signature"), body, now)
	case source == "ses" && s.webhooks.SNS != nil:
		reports, err = s.sesFeedback(r.Context(), body, now)
	default:
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no %q webhook is configured on this server", source), nil)
		return
	}
	if errors.Is(err, delivery.ErrBadSignature) {
		s.log.Warn("refused an email webhook", "source", source, "err", err)
		writeError(w, http.StatusUnauthorized, "unauthorized", "the webhook's signature does not check", nil)
		return
	}
	if err != nil {
		s.fail(w, r, errBadRequest(err.Error()))
		return
	}
	recorded, unknown, err := s.svc.EmailFeedback(r.Context(), reports)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"recorded": recorded, "unknown": unknown})
}

// sesFeedback checks an SNS message and reads its SES notification; a
// subscription's confirmation is confirmed (it carries no report).
func (s *Server) sesFeedback(ctx context.Context, body []byte, now time.Time) ([]delivery.Feedback, error) {
	m, err := s.webhooks.SNS.Verify(ctx, body)
	if err != nil {
		return nil, err
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		if err := s.webhooks.SNS.Confirm(ctx, m); err != nil {
			return nil, fmt.Errorf("confirm the SNS subscription: %w", err)
		}
		s.log.Info("confirmed the SNS subscription", "topic", m.TopicArn)
		return nil, nil
	case "Notification":
		return delivery.ParseSES(m.Message, now)
	}
	return nil, nil
}
