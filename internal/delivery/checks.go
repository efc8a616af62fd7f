package delivery

import (
	"context"
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// check applies the send-time rules every campaign obeys and returns the
// rows they exclude, by reason: the recipient opted out of the channel,
// the address is on the suppression list, or it is not a valid address.
// Transactional messages skip consent, never suppression.
func (d *Dispatcher) check(ctx context.Context, ch string, rows []Row) (map[string][]Row, error) {
	out := map[string][]Row{}
	excluded := map[string]bool{}
	exclude := func(reason string, r Row) {
		if !excluded[r.MessageID] {
			excluded[r.MessageID] = true
			out[reason] = append(out[reason], r)
		}
	}
	for _, r := range rows {
		if err := checkAddress(ch, r.Address); err != nil {
			exclude(ReasonInvalidAddress, r)
		}
	}
	addrs := make([]string, len(rows))
	for i, r := range rows {
		addrs[i] = strings.ToLower(r.Address)
	}
	suppressed, err := d.cfg.Store.Suppressions().Among(ctx, ch, addrs)
	if err != nil {
		return nil, fmt.Errorf("read the suppression list: %w", err)
	}
	// Opt-outs by dimension, so that the consent table's key serves the
	// lookup (a batch is nearly always of one dimension).
	keys := map[string][]string{}
	for _, r := range rows {
		keys[r.Dimension] = append(keys[r.Dimension], r.Recipient)
	}
	optedOut := map[string]bool{}
	for dim, list := range keys {
		found, err := d.cfg.Store.Consent().OptedOut(ctx, ch, dim, list)
		if err != nil {
			return nil, fmt.Errorf("read consent: %w", err)
		}
		for k := range found {
			optedOut[dim+" "+k] = true
		}
	}
	for _, r := range rows {
		if suppressed[strings.ToLower(r.Address)] {
			exclude(ReasonSuppressed, r)
		}
		if !optedOut[r.Dimension+" "+r.Recipient] {
			continue
		}
		rules, err := d.rules(ctx, r.RunID, r.Activity)
		if err != nil {
			return nil, err
		}
		if !rules.transactional {
			exclude(ReasonOptOut, r)
		}
	}
	return out, nil
}

// checkAddress validates an address for its channel.
func checkAddress(ch, addr string) error {
	switch ch {
	case channel.Email:
		return channel.CheckEmail(addr)
	case channel.SMS:
		return channel.CheckPhone(addr)
	case channel.Push:
		return channel.CheckToken(addr)
	}
	return fmt.Errorf("unknown channel %q", ch)
}
