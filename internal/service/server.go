package service

import (
	"context"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// The operations below are the server's alone (its health, the callbacks
// a provider or a recipient makes): the CLI has no door to them, so they
// are methods of Local, not of Service.

// Describe says what the store is (its kind, and the file of an embedded
// one), for the server's health.
func (l *Local) Describe() store.Description { return l.store.Describe() }

// Ping checks that the store answers.
func (l *Local) Ping(ctx context.Context) error { return l.store.Ping(ctx) }

// interimSMS are the SMS statuses a later one may replace.
var interimSMS = []string{"queued", "sending", "sent", "accepted", "scheduled"}

// SMSStatus records what an SMS provider's status callback says of a
// message. The message's own id, when the callback address carries it,
// finds the row by key on PostgreSQL; on the embedded store its row's
// number does (see store.Outbox.Report). Callbacks may come out of order:
// an interim status never replaces a final one. A final status that
// changed the message's becomes its event, as an email's webhook would
// (delivered, bounce_hard for a dead number, which is suppressed,
// bounce_soft for an unreachable handset, failed for a refused message):
// a retried callback changes nothing and adds no event.
func (l *Local) SMSStatus(ctx context.Context, u sms.StatusUpdate) error {
	report := store.OutboxReport{Channel: channel.SMS, ProviderID: u.MessageSID, Status: u.Status, Error: u.ErrorCode, MessageID: u.MessageID, Seq: u.Seq}
	if !sms.Final(u.Status) {
		report.Interim = interimSMS
	}
	changed, err := l.store.Outbox().Report(ctx, report)
	if err != nil {
		return err
	}
	f := delivery.Feedback{Status: u.ErrorCode, Diagnostic: u.Status, At: time.Now().UTC(), Source: "sms"}
	switch u.Receipt() {
	case sms.ReceiptDelivered:
		f.Kind = delivery.FeedbackDelivered
	case sms.ReceiptDead:
		f.Kind, f.Hard = delivery.FeedbackBounce, true
	case sms.ReceiptUnreachable:
		f.Kind = delivery.FeedbackBounce
	case sms.ReceiptRefused:
		f.Kind = delivery.FeedbackFailed
	default:
		return nil
	}
	for _, m := range changed {
		if err := l.recorder.Receipt(ctx, channel.SMS, m, f, l.softBounces); err != nil {
			return fmt.Errorf("record the receipt of message %s: %w", m.MessageID, err)
		}
	}
	return nil
}

// Unsubscribe records the opt-out an unsubscribe link carries, made at
// at; false when a newer choice of the profile stands (see
// delivery.RecordUnsubscribe).
func (l *Local) Unsubscribe(ctx context.Context, u delivery.Unsubscribe, at time.Time) (bool, error) {
	return l.recorder.Unsubscribe(ctx, u, at)
}

// TrackHit records the fetch of a tracking link or open pixel and returns
// what it stands for (a click's destination is Track.URL): ErrBadLink for
// a token no active key made. The event is written with its batch, after
// the answer (delivery.Recorder).
func (l *Local) TrackHit(ctx context.Context, token string, h delivery.Hit) (delivery.Track, error) {
	t, err := l.links.ParseTrack(ctx, token)
	if err != nil {
		return delivery.Track{}, err
	}
	l.recorder.Hit(ctx, t, h)
	return t, nil
}

// EmailFeedback records what a provider's webhook (already checked) says
// of sent emails: events of their messages, and suppressions for hard
// bounces, complaints and repeated soft bounces.
func (l *Local) EmailFeedback(ctx context.Context, reports []delivery.Feedback) (recorded, unknown int, err error) {
	return l.recorder.Feedback(ctx, reports, l.softBounces)
}

// ForgetEvents removes the events older than the retention period (none
// when it is 0).
func (l *Local) ForgetEvents(ctx context.Context, now time.Time) (int64, error) {
	if l.eventRetention <= 0 {
		return 0, nil
	}
	return l.store.Events().Forget(ctx, now.Add(-l.eventRetention))
}
