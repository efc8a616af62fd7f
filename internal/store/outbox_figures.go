package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OutboxCount is how many of a run's messages share an activity, a
// status, a reason and a delivery report.
type OutboxCount struct {
	Activity string
	Channel  string
	Status   MessageStatus
	Reason   string // "" for none
	Report   string // the provider's latest delivery report, "" for none
	Messages int64
}

// Tally counts a run's messages by activity, status, reason and delivery
// report: what the run's figures are made of.
func (o Outbox) Tally(ctx context.Context, runID int64) ([]OutboxCount, error) {
	var out []OutboxCount
	err := o.eachLarge(ctx, func(rows *sql.Rows) error {
		var c OutboxCount
		if err := rows.Scan(&c.Activity, &c.Channel, &c.Status, &c.Reason, &c.Report, &c.Messages); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT activity_id, channel, status, coalesce(reason, ''), coalesce(delivery_status, ''), count(*) FROM ff_outbox WHERE run_id = $1
		GROUP BY activity_id, channel, status, coalesce(reason, ''), coalesce(delivery_status, '')`, runID)
	if err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	return out, nil
}

// OutboxResolution is an operator's decision on one activity's in-doubt
// messages (ff_outbox_resolutions).
type OutboxResolution struct {
	RunID     int64
	Activity  string
	Decision  string
	Messages  int64
	ActorKind string
	ActorName string
	DecidedAt time.Time
}

// RecordResolution records a decision taken.
func (o Outbox) RecordResolution(ctx context.Context, r OutboxResolution) error {
	_, err := o.exec(ctx, `INSERT INTO ff_outbox_resolutions (run_id, activity_id, decision, messages, actor_kind, actor_name, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.RunID, r.Activity, r.Decision, r.Messages, r.ActorKind, r.ActorName, r.DecidedAt.UTC())
	if err != nil {
		return fmt.Errorf("record the resolution of run %d: %w", r.RunID, err)
	}
	return nil
}

// Resolutions returns a run's recorded decisions, oldest first.
func (o Outbox) Resolutions(ctx context.Context, runID int64) ([]OutboxResolution, error) {
	var out []OutboxResolution
	err := o.each(ctx, func(rows *sql.Rows) error {
		r := OutboxResolution{RunID: runID}
		if err := rows.Scan(&r.Activity, &r.Decision, &r.Messages, &r.ActorKind, &r.ActorName, &r.DecidedAt); err != nil {
			return err
		}
		r.DecidedAt = r.DecidedAt.UTC()
		out = append(out, r)
		return nil
	}, `SELECT activity_id, decision, messages, actor_kind, actor_name, decided_at FROM ff_outbox_resolutions
		WHERE run_id = $1 ORDER BY decided_at, activity_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read the resolutions of run %d: %w", runID, err)
	}
	return out, nil
}

// SentMessage is a message as a provider's feedback about it finds it.
type SentMessage struct {
	MessageID string
	RunID     int64
	Activity  string
	Address   string
}

// Locate finds a message of a channel by its id or, when that is empty,
// by the provider's id of it; ErrNotFound when there is none.
func (o Outbox) Locate(ctx context.Context, ch, messageID, providerID string) (SentMessage, error) {
	var m SentMessage
	var addr sql.NullString
	dest := []any{&m.MessageID, &m.RunID, &m.Activity, &addr}
	var err error
	if messageID != "" {
		err = o.row(ctx, dest, `SELECT message_id, run_id, activity_id, address FROM ff_outbox WHERE message_id = $1 AND channel = $2`, messageID, ch)
	} else {
		err = o.row(ctx, dest, `SELECT message_id, run_id, activity_id, address FROM ff_outbox WHERE provider_id = $1 AND channel = $2 LIMIT 1`, providerID, ch)
	}
	m.Address = addr.String
	return m, err
}

// LocateSeq finds a message of a channel by its run and its number in the
// outbox (seq), as its VERP address names it; ErrNotFound when there is
// none. PostgreSQL finds it by an index (ff_outbox_seq_email), the
// embedded store by the zone maps of seq, which grows as rows are
// written.
func (o Outbox) LocateSeq(ctx context.Context, ch string, runID, seq int64) (SentMessage, error) {
	var m SentMessage
	var addr sql.NullString
	err := o.row(ctx, []any{&m.MessageID, &m.RunID, &m.Activity, &addr}, `SELECT message_id, run_id, activity_id, address FROM ff_outbox
		WHERE seq = $1 AND run_id = $2 AND channel = $3`, seq, runID, ch)
	m.Address = addr.String
	return m, err
}

// QueueStatuses are the statuses of messages not yet at an outcome: the
// outbox's queue, which Depths counts.
var QueueStatuses = []MessageStatus{MessagePending, MessageHeld, MessageClaimed, MessageSending, MessageRetry, MessageInDoubt}

// OutboxDepth is how many messages of a channel wait in a status of the
// queue.
type OutboxDepth struct {
	Channel  string
	Status   MessageStatus
	Messages int64
}

// Depths counts the whole outbox's queued messages (QueueStatuses) by
// channel and status: the same figures for every node sharing the store,
// read in one statement (the metrics' scrape).
func (o Outbox) Depths(ctx context.Context) ([]OutboxDepth, error) {
	var out []OutboxDepth
	err := o.each(ctx, func(rows *sql.Rows) error {
		var d OutboxDepth
		if err := rows.Scan(&d.Channel, &d.Status, &d.Messages); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, `SELECT channel, status, count(*) FROM ff_outbox
		WHERE status IN ('pending', 'held', 'claimed', 'sending', 'retry', 'in_doubt')
		GROUP BY channel, status ORDER BY channel, status`)
	if err != nil {
		return nil, fmt.Errorf("count the outbox's queued messages: %w", err)
	}
	return out, nil
}
