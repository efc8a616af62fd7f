package delivery

import (
	"context"
	"encoding/json"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// delivered is a chunk on its way to a provider: rows to mark sending (of
// which advance keeps those it moved), then, once the provider took them,
// the rows it accepted with its references.
type delivered struct {
	provider string
	rows     []Row
	refs     []string // the provider's reference of each row, once sent
	kept     []int    // which of the rows advance moved to sending
}

// keep returns the messages of the rows advance moved.
func (c *delivered) keep(msgs []*channel.Message) []*channel.Message {
	out := make([]*channel.Message, len(c.kept))
	for i, k := range c.kept {
		out[i] = msgs[k]
	}
	return out
}

// advance records the messages a provider accepted (done) as sent and
// marks the next chunk (next) sending, the last write before the
// provider, in one statement (see store.Sender.Advance). Only the rows of
// next that the update moved may be sent (kept): a row it did not move is
// no longer this dispatcher's. Either may be nil.
func (d *Dispatcher) advance(ctx context.Context, done, next *delivered) error {
	var accepted *store.Accepted
	if done != nil {
		accepted = &store.Accepted{Provider: done.provider, Rows: done.rows, Refs: done.refs}
	}
	var sending []Row
	if next != nil {
		sending = next.rows
	}
	moved, kept, err := d.send.Advance(ctx, accepted, sending, d.cfg.Now())
	if err == nil && done != nil {
		settled(d.cfg.Observer, done.rows, StatusSent)
	}
	if err != nil || next == nil {
		return err
	}
	if len(moved) < len(sending) {
		d.cfg.Log.Warn("messages taken by another dispatcher before they were sent; left to it", "messages", len(sending)-len(moved))
	}
	next.rows, next.kept = moved, kept
	return nil
}

// record writes the provider's outcomes but for sent messages, which it
// returns for advance to record.
func (d *Dispatcher) record(ctx context.Context, provider string, rows []Row, results []channel.Result, outage bool) (*delivered, error) {
	now := d.cfg.Now().UTC()
	byID := make(map[string]Row, len(rows))
	for _, r := range rows {
		byID[r.MessageID] = r
	}
	sent := &delivered{provider: provider}
	groups := map[outcome][]Row{}
	add := func(k outcome, r Row) { groups[k] = append(groups[k], r) }
	deadTokens := map[string][]string{} // by dimension
	var failures []store.EventRecord
	jitter := newJitter()
	for _, res := range results {
		r, ok := byID[res.ID]
		if !ok {
			continue
		}
		if res.Deactivate {
			// The provider says the address is dead for good (an
			// unregistered push token): no campaign sends to it again.
			why := "deactivated: "
			if r.Channel == channel.Email {
				why = "hard bounce: "
			}
			if err := Suppress(ctx, d.cfg.Store, r.Channel, r.Address, why+clip(res.Error), now); err != nil {
				d.cfg.Log.Warn("deactivate address", "channel", r.Channel, "err", err)
			}
			if r.Channel == channel.Push {
				deadTokens[r.Dimension] = append(deadTokens[r.Dimension], r.Address)
			}
		}
		if res.OptedOut {
			// The recipient told the provider to stop (an SMS STOP
			// reply): every campaign respects it from now on.
			if err := SetConsent(ctx, d.cfg.Store, r.Dimension, r.Recipient, r.Channel, OptOut, "provider:"+provider, now); err != nil {
				d.cfg.Log.Warn("record an opt-out the provider reported", "channel", r.Channel, "err", err)
			}
		}
		if ev, ok := failureEvent(provider, r, res, now); ok {
			failures = append(failures, ev)
		}
		switch res.Outcome {
		case channel.Sent:
			sent.rows, sent.refs = append(sent.rows, r), append(sent.refs, res.ProviderID)
		case channel.Permanent:
			add(outcome{store.MessageFailed, clip(res.Error), false, 0}, r)
		case channel.Transient:
			delay := retryDelay(r.Attempts, res.RetryAfter, jitter)
			if outage || res.Setup {
				// The provider failed, or its configuration, not this
				// message: it is retried without the attempt counting.
				add(outcome{store.MessageRetry, clip(res.Error), true, delay}, r)
			} else if r.Attempts >= d.cfg.MaxAttempts {
				add(outcome{store.MessageFailed, ReasonRetriesExceeded + ": " + clip(res.Error), false, 0}, r)
			} else {
				add(outcome{store.MessageRetry, clip(res.Error), false, delay}, r)
			}
		default:
			add(outcome{store.MessageInDoubt, clip(res.Error), false, 0}, r)
		}
	}
	for dim, tokens := range deadTokens {
		if _, err := DeactivateDevices(ctx, d.cfg.Store, dim, tokens); err != nil {
			d.cfg.Log.Warn("deactivate devices", "err", err)
		}
	}
	if err := d.cfg.Store.Events().Append(ctx, failures); err != nil {
		d.cfg.Log.Warn("record the events of failed messages", "messages", len(failures), "err", err)
	}
	for k, list := range groups {
		if err := d.setOutcome(ctx, list, k, now, store.Handed); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// failureEvent is the event of a message a provider refused for good, as
// it answered the send: bounce_hard when the address is dead (an SMTP
// server's 5.1.1, an unregistered push token, an impossible number:
// suppressed above), failed otherwise (a spam refusal, a rejected
// payload, a token refused for its form), with the provider's code and
// error — so a report counts them with the bounces that come later.
func failureEvent(provider string, r Row, res channel.Result, now time.Time) (store.EventRecord, bool) {
	if res.Outcome != channel.Permanent {
		return store.EventRecord{}, false
	}
	typ := EventFailed
	if res.Deactivate {
		typ = EventBounceHard
	}
	details, _ := json.Marshal(map[string]string{"source": provider, "status": res.Code, "diagnostic": clip(res.Error)})
	return store.EventRecord{At: now, Type: typ, RunID: r.RunID, Activity: r.Activity, MessageID: r.MessageID, Details: string(details)}, true
}

// outcome is what setOutcome writes: a status and its reason, and for a
// retry whether its attempt is given back (the provider failed, not the
// message) and how long it waits (0: backoff).
type outcome struct {
	status  store.MessageStatus
	reason  string
	forgive bool
	delay   time.Duration
}

// setStatus moves messages within a fence to a status with a reason;
// retried ones come due after a backoff.
func (d *Dispatcher) setStatus(ctx context.Context, rows []Row, status store.MessageStatus, reason string, now time.Time, f store.Fence) error {
	return d.setOutcome(ctx, rows, outcome{status: status, reason: reason}, now, f)
}

func (d *Dispatcher) setOutcome(ctx context.Context, rows []Row, o outcome, now time.Time, f store.Fence) error {
	var at time.Time
	if o.delay > 0 {
		at = now.Add(o.delay)
	}
	err := d.send.Settle(ctx, rows, store.Outcome{Status: o.status, Reason: o.reason, RetryAt: at, Forgive: o.forgive}, f, now)
	if err == nil {
		settled(d.cfg.Observer, rows, string(o.status))
	}
	return err
}

// backoff delays a retried message after its first attempt (see
// retryDelay).
const backoff = store.RetryBackoff

func ids(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.MessageID
	}
	return out
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
