package sandbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Sink stores captured messages.
type Sink interface {
	// Put stores one message. Storing the same ID twice must keep one copy,
	// so a resent message is not captured twice.
	Put(ctx context.Context, m channel.Message, sentAt time.Time) error
}

// BatchSink is a Sink that stores a batch at once (a store writes one
// statement rather than one per message).
type BatchSink interface {
	PutAll(ctx context.Context, ms []channel.Message, sentAt time.Time) error
}

// Provider captures messages of one channel into a Sink.
type Provider struct {
	channel string
	sink    Sink
	now     func() time.Time
	closed  atomic.Bool
}

var _ channel.Provider = (*Provider)(nil)

// New returns a sandbox provider for a channel (channel.Email, SMS or Push).
func New(channelName string, sink Sink) (*Provider, error) {
	switch channelName {
	case channel.Email, channel.SMS, channel.Push:
	default:
		return nil, fmt.Errorf("%w: sandbox: unknown channel %q", channel.ErrConfig, channelName)
	}
	if sink == nil {
		return nil, fmt.Errorf("%w: sandbox: no sink", channel.ErrConfig)
	}
	return &Provider{channel: channelName, sink: sink, now: time.Now}, nil
}

// Name returns "sandbox".
func (p *Provider) Name() string { return "sandbox" }

// Channel returns the channel the provider captures.
func (p *Provider) Channel() string { return p.channel }

// Send captures each valid message. Invalid messages fail permanently, as
// they would with a real provider; a Sink error leaves the message to retry.
func (p *Provider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	res := make([]channel.Result, len(msgs))
	if bs, ok := p.sink.(BatchSink); ok {
		return p.sendBatch(ctx, bs, msgs, res)
	}
	for i, m := range msgs {
		res[i].ID = m.ID
		if p.closed.Load() {
			res[i].Outcome, res[i].Error = channel.Transient, "sandbox: provider closed"
			continue
		}
		if err := ctx.Err(); err != nil {
			res[i].Outcome, res[i].Error = channel.Transient, "sandbox: "+err.Error()
			continue
		}
		if err := check(p.channel, m); err != nil {
			res[i].Outcome, res[i].Error = channel.Permanent, "sandbox: "+err.Error()
			continue
		}
		if err := p.sink.Put(ctx, *m, p.now()); err != nil {
			res[i].Outcome, res[i].Error = channel.Transient, "sandbox: capture: "+err.Error()
			continue
		}
		res[i].Outcome, res[i].ProviderID = channel.Sent, "sandbox-"+m.ID
	}
	return res
}

// Close stops the provider; later sends are left to retry.
func (p *Provider) Close() error {
	p.closed.Store(true)
	return nil
}

// check refuses what a real provider of the channel would refuse.
func check(channelName string, m *channel.Message) error {
	if m.ID == "" {
		return fmt.Errorf("message without ID")
	}
	if m.Channel != "" && m.Channel != channelName {
		return fmt.Errorf("%s message sent to the %s provider", m.Channel, channelName)
	}
	if err := channel.CheckAddress(channelName, m.To); err != nil {
		return err
	}
	switch {
	case channelName == channel.Email && m.Email == nil,
		channelName == channel.SMS && m.SMS == nil,
		channelName == channel.Push && m.Push == nil:
		return fmt.Errorf("%s message without %s content", channelName, channelName)
	}
	if channelName == channel.Email {
		return channel.CheckEmailContent(m.Email)
	}
	return nil
}

// sendBatch checks every message, then stores the valid ones in one call.
func (p *Provider) sendBatch(ctx context.Context, bs BatchSink, msgs []*channel.Message, res []channel.Result) []channel.Result {
	var ok []channel.Message
	var idx []int
	for i, m := range msgs {
		res[i].ID = m.ID
		switch {
		case p.closed.Load():
			res[i].Outcome, res[i].Error = channel.Transient, "sandbox: provider closed"
		case ctx.Err() != nil:
			res[i].Outcome, res[i].Error = channel.Transient, "sandbox: "+ctx.Err().Error()
		default:
			if err := check(p.channel, m); err != nil {
				res[i].Outcome, res[i].Error = channel.Permanent, "sandbox: "+err.Error()
				continue
			}
			ok = append(ok, *m)
			idx = append(idx, i)
		}
	}
	if len(ok) == 0 {
		return res
	}
	if err := bs.PutAll(ctx, ok, p.now()); err != nil {
		for _, i := range idx {
			res[i].Outcome, res[i].Error = channel.Transient, "sandbox: capture: "+err.Error()
		}
		return res
	}
	for _, i := range idx {
		res[i].Outcome, res[i].ProviderID = channel.Sent, "sandbox-"+msgs[i].ID
	}
	return res
}
