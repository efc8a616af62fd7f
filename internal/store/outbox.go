package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Outbox is the outbox, ff_outbox: one row per message a channel activity
// wrote (outbox_fill.go), taken by the dispatchers (outbox_send.go,
// outbox_lease.go), moved by its run's pause, resume, stop and confirm,
// settled by an operator's resolution, reported on by the provider's
// callbacks and counted by the run's figures (outbox_figures.go). This
// file and those are its one writer; its statuses and reasons are defined
// here once, for the engine, the dispatcher and the API.
type Outbox struct{ area }

// Outbox returns the outbox's area.
func (s *Store) Outbox() Outbox { return Outbox{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (o Outbox) On(q Querier) Outbox { return Outbox{o.area.on(q)} }

// MessageStatus is where a message of the outbox is in its life:
//
//	pending ─claim→ claimed ─mark→ sending ─provider→ sent | failed | retry | in_doubt
//	held (confirm send, or a pause) ─confirm/resume→ pending
//	excluded (at write or send time), cancelled (a stop), dropped (a resolution)
//
// A retry comes due again at its retry_at; an in-doubt message waits for
// its provider to tell (recovery) or an operator's resolution.
type MessageStatus string

// Outbox statuses.
const (
	MessagePending MessageStatus = "pending"
	// MessageHeld waits for an operator's confirm send (no reason), or
	// for its run to resume (ReasonRunPaused).
	MessageHeld     MessageStatus = "held"
	MessageClaimed  MessageStatus = "claimed"
	MessageSending  MessageStatus = "sending"
	MessageSent     MessageStatus = "sent"
	MessageExcluded MessageStatus = "excluded"
	MessageFailed   MessageStatus = "failed"
	MessageRetry    MessageStatus = "retry"
	MessageInDoubt  MessageStatus = "in_doubt"
	// MessageCancelled: the run was stopped before the message was handed
	// to a provider (ReasonRunStopped).
	MessageCancelled MessageStatus = "cancelled"
	// MessageDropped: an operator settled an in-doubt message as not sent
	// (fanfare campaign resolve --drop); it keeps the reason it was in
	// doubt, and the provider may have had it.
	MessageDropped MessageStatus = "dropped"
)

// Why a message is excluded, failed, in doubt or waiting (the outbox's
// reason column; a provider's error is kept there too).
const (
	ReasonOptOut          = "opt_out"
	ReasonSuppressed      = "suppressed"
	ReasonInvalidAddress  = "invalid_address"
	ReasonNoAddress       = "no_address"
	ReasonInactiveDevice  = "inactive_device"
	ReasonDuplicate       = "duplicate_address"
	ReasonTemplate        = "template_error"
	ReasonProviderFailed  = "provider_rejected"
	ReasonDispatcherDied  = "dispatcher_stopped_mid_send"
	ReasonNoProvider      = "no_provider"
	ReasonRetriesExceeded = "retries_exceeded"
	// ReasonRunPaused holds a message while its run is paused.
	ReasonRunPaused = "run_paused"
	// ReasonRunStopped is why a stop cancelled a message.
	ReasonRunStopped = "run_stopped"
	// ReasonOutsideWindow marks a message deferred to its send window's
	// next opening.
	ReasonOutsideWindow = "outside_send_window"
	// ReasonProviderResting marks a message waiting for its provider to
	// come back after an outage.
	ReasonProviderResting = "provider_unavailable"
)

// RetryBackoff delays a retried message after its first attempt; claims
// also go back to the start of the outbox at least this often, for the
// retries that came due behind them.
const RetryBackoff = 30 * time.Second

// OutboxRow is one message of the outbox, as a dispatcher claims it.
type OutboxRow struct {
	MessageID string
	RunID     int64
	Activity  string
	Channel   string
	Dimension string
	// Recipient is the recipient's key as a JSON object.
	Recipient string
	Address   string
	Platform  string
	Attempts  int
	// Seq is the row's number in the outbox: its address on the embedded
	// store, whose outbox has no key (migration 0011).
	Seq int64
}

// The sets of messages a run's control moves: those not handed to a
// provider yet (a claimed one's dispatcher then leaves it), held ones too
// for a stop; and those a pause holds.
const (
	unsentMessages = `status IN ('pending', 'retry', 'claimed')`
	unsentOrHeld   = `status IN ('pending', 'retry', 'claimed', 'held')`
	pausedMessages = `status = 'held' AND reason = '` + ReasonRunPaused + `'`
)

// move sets the run's messages that match where to a status and reason
// (nil for none), releasing their leases, and returns how many.
func (o Outbox) move(ctx context.Context, runID int64, where string, status MessageStatus, reason any, now time.Time) (int64, error) {
	n, err := o.exec(ctx, `UPDATE ff_outbox SET status = $1, reason = $2, updated_at = $3, lease_owner = NULL, lease_until = NULL
		WHERE run_id = $4 AND `+where, string(status), reason, now.UTC(), runID)
	if err != nil {
		return 0, fmt.Errorf("set the messages of run %d %s: %w", runID, status, err)
	}
	return n, nil
}

// Pause holds a run's messages not yet handed to a provider until it
// resumes (held, ReasonRunPaused), and returns how many.
func (o Outbox) Pause(ctx context.Context, runID int64, now time.Time) (int64, error) {
	return o.move(ctx, runID, unsentMessages, MessageHeld, ReasonRunPaused, now)
}

// Resume releases the messages a pause held, and returns how many.
func (o Outbox) Resume(ctx context.Context, runID int64, now time.Time) (int64, error) {
	return o.move(ctx, runID, pausedMessages, MessagePending, nil, now)
}

// Cancel cancels a stopped run's messages not yet handed to a provider,
// held ones too (ReasonRunStopped), and returns how many.
func (o Outbox) Cancel(ctx context.Context, runID int64, now time.Time) (int64, error) {
	return o.move(ctx, runID, unsentOrHeld, MessageCancelled, ReasonRunStopped, now)
}

// Confirm releases the messages held for an operator's confirm send (not
// those a pause holds) to the dispatchers, and returns how many.
func (o Outbox) Confirm(ctx context.Context, runID int64, now time.Time) (int64, error) {
	return o.exec(ctx, `UPDATE ff_outbox SET status = 'pending', updated_at = $2 WHERE run_id = $1 AND status = 'held' AND reason IS NULL`, runID, now.UTC())
}

// Paused counts the run's messages a pause holds.
func (o Outbox) Paused(ctx context.Context, runID int64) (int64, error) {
	var n int64
	err := o.row(ctx, []any{&n}, `SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND `+pausedMessages, runID)
	return n, err
}

// Outstanding counts the run's messages the dispatchers have still to
// take to an outcome: pending, claimed or being sent (held ones wait for
// a person, retries for their time).
func (o Outbox) Outstanding(ctx context.Context, runID int64) (int64, error) {
	var n int64
	err := o.row(ctx, []any{&n}, `SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status IN ('pending', 'claimed', 'sending')`, runID)
	return n, err
}

// ResolveInDoubt moves a run's in-doubt messages (of one activity, or all
// when activity is empty) to an operator's decision: dropped keeps the
// reason it was in doubt; pending is due at once; held waits with the
// run's paused messages (ReasonRunPaused). It returns how many it moved,
// by activity: what another node's recovery settled meanwhile is neither
// moved nor counted.
func (o Outbox) ResolveInDoubt(ctx context.Context, runID int64, activity string, to MessageStatus, now time.Time) (map[string]int64, error) {
	set := `status = 'dropped'`
	switch to {
	case MessageDropped:
	case MessageHeld:
		set = `status = 'held', reason = '` + ReasonRunPaused + `'`
	case MessagePending:
		set = `status = 'pending', reason = NULL`
	default:
		return nil, fmt.Errorf("resolve in-doubt messages as %s: not a decision's status", to)
	}
	where, args := `run_id = $2 AND status = 'in_doubt'`, []any{now.UTC(), runID}
	if activity != "" {
		where, args = where+` AND activity_id = $3`, append(args, activity)
	}
	moved := map[string]int64{}
	err := o.each(ctx, func(rows *sql.Rows) error {
		var act string
		if err := rows.Scan(&act); err != nil {
			return err
		}
		moved[act]++
		return nil
	}, `UPDATE ff_outbox SET `+set+`, updated_at = $1, retry_at = NULL, lease_owner = NULL, lease_until = NULL WHERE `+where+` RETURNING activity_id`, args...)
	return moved, err
}

// OutboxReport is a provider's report on a message it took (an SMS API's
// status callback).
type OutboxReport struct {
	Channel    string
	ProviderID string // the provider's reference of the message
	Status     string
	Error      string // the provider's error code, if any
	// MessageID and Seq, when set, find the row by its key on PostgreSQL
	// and by its number on the embedded store; each must still match.
	MessageID string
	Seq       int64
	// Interim, when set, makes the report replace only no status or one
	// of these: reports may come out of order, and an interim status
	// never replaces a final one.
	Interim []string
}

// Report records a provider's report on a sent message and returns the
// messages whose report it changed: none for a report that repeats the
// latest one (a retried callback) or that came too late to replace it. A
// range of seq is one row group on the embedded store: 4–9 ms instead of
// 15–70 by id and 175 by the provider's id alone (measured on a 1M-row
// outbox).
func (o Outbox) Report(ctx context.Context, r OutboxReport) ([]SentMessage, error) {
	var code any
	if r.Error != "" {
		code = r.Error
	}
	q, args := `UPDATE ff_outbox SET delivery_status = $1, delivery_error = $2 WHERE channel = $3 AND provider_id = $4
		AND (delivery_status IS DISTINCT FROM $1 OR delivery_error IS DISTINCT FROM $2)`, []any{r.Status, code, r.Channel, r.ProviderID}
	if len(r.Interim) > 0 {
		quoted := make([]string, len(r.Interim))
		for i, s := range r.Interim {
			quoted[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		q += ` AND (delivery_status IS NULL OR delivery_status IN (` + strings.Join(quoted, ", ") + `))`
	}
	if r.MessageID != "" {
		args = append(args, r.MessageID)
		q += fmt.Sprintf(` AND message_id = $%d`, len(args))
	}
	if r.Seq > 0 {
		args = append(args, r.Seq)
		q += fmt.Sprintf(` AND seq = $%d`, len(args))
	}
	var out []SentMessage
	err := o.each(ctx, func(rows *sql.Rows) error {
		var m SentMessage
		var addr sql.NullString
		if err := rows.Scan(&m.MessageID, &m.RunID, &m.Activity, &addr); err != nil {
			return err
		}
		m.Address = addr.String
		out = append(out, m)
		return nil
	}, q+` RETURNING message_id, run_id, activity_id, address`, args...)
	return out, err
}
