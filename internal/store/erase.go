package store

import (
	"context"
	"time"
)

// Erase removes every trace of one profile's messages: their events, the
// sandbox's copies of them and their outbox rows (whose ids hold the
// profile's key); it returns how many messages. Run it in a transaction.
func (o Outbox) Erase(ctx context.Context, dimension, recipient string) (int64, error) {
	const theirs = `SELECT message_id FROM ff_outbox WHERE dimension = $1 AND recipient = $2`
	if _, err := o.exec(ctx, `DELETE FROM ff_events WHERE message_id IN (`+theirs+`)`, dimension, recipient); err != nil {
		return 0, err
	}
	if _, err := o.exec(ctx, `DELETE FROM ff_sandbox_messages WHERE message_id IN (`+theirs+`)`, dimension, recipient); err != nil {
		return 0, err
	}
	return o.exec(ctx, `DELETE FROM ff_outbox WHERE dimension = $1 AND recipient = $2`, dimension, recipient)
}

// Forget removes the events older than before and returns how many.
func (e Events) Forget(ctx context.Context, before time.Time) (int64, error) {
	return e.exec(ctx, `DELETE FROM ff_events WHERE created_at < $1`, before.UTC())
}
