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
func (d *Dispatcher) check(ctx context.Context, ch string, rows []Row) (map[string][]string, error) {
	out := map[string][]string{}
	excluded := map[string]bool{}
	exclude := func(reason string, id string) {
		if !excluded[id] {
			excluded[id] = true
			out[reason] = append(out[reason], id)
		}
	}
	for _, r := range rows {
		if err := checkAddress(ch, r.Address); err != nil {
			exclude(ReasonInvalidAddress, r.MessageID)
		}
	}
	suppressed, err := d.lookup(ctx, `SELECT address FROM ff_suppressions WHERE channel = $1 AND address IN (%s)`, ch, rows, func(r Row) string { return strings.ToLower(r.Address) })
	if err != nil {
		return nil, fmt.Errorf("read the suppression list: %w", err)
	}
	optedOut, err := d.lookup(ctx, `SELECT dimension || ' ' || profile_key FROM ff_consent WHERE channel = $1 AND status = 'opt_out' AND dimension || ' ' || profile_key IN (%s)`,
		ch, rows, func(r Row) string { return r.Dimension + " " + r.Recipient })
	if err != nil {
		return nil, fmt.Errorf("read consent: %w", err)
	}
	for _, r := range rows {
		if suppressed[strings.ToLower(r.Address)] {
			exclude(ReasonSuppressed, r.MessageID)
		}
		if optedOut[r.Dimension+" "+r.Recipient] && !d.transactional(r) {
			exclude(ReasonOptOut, r.MessageID)
		}
	}
	return out, nil
}

// transactional reports a message of a transactional activity; until
// categories are read from the campaign every message is marketing.
func (d *Dispatcher) transactional(Row) bool { return false }

// lookup runs a query with an IN list of the rows' values (bound) and
// returns the values found.
func (d *Dispatcher) lookup(ctx context.Context, query, ch string, rows []Row, value func(Row) string) (map[string]bool, error) {
	found := map[string]bool{}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		args := []any{ch}
		ph := make([]string, n)
		for i, r := range rows[:n] {
			args = append(args, value(r))
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		rs, err := d.cfg.Store.DB.QueryContext(ctx, fmt.Sprintf(query, strings.Join(ph, ", ")), args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var v string
			if err := rs.Scan(&v); err != nil {
				rs.Close()
				return nil, err
			}
			found[v] = true
		}
		rs.Close()
		rows = rows[n:]
	}
	return found, nil
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
