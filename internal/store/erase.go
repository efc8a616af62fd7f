package store

import (
	"context"
	"time"
)

// theirMessages selects the ids of one profile's messages ($1 the
// dimension, $2 the profile's key as the outbox holds it).
const theirMessages = `SELECT message_id FROM ff_outbox WHERE dimension = $1 AND recipient = $2`

// unfoldMessages take one profile's messages out of the reports'
// tallies: the events Roll folded, their first events, and what their
// recipient's domain counted.
var unfoldMessages = []string{
	`UPDATE ff_event_tallies SET events = ff_event_tallies.events - d.n
	FROM (SELECT e.run_id, e.activity, e.type, e.machine IS NOT NULL AS machine, ` + hourOf + ` AS hour, count(*) AS n
		FROM ff_events e WHERE e.message_id IN (` + theirMessages + `) AND e.seq <= (SELECT seq FROM ff_event_rollup WHERE id = 1)
		GROUP BY 1, 2, 3, 4, 5) d
	WHERE ff_event_tallies.run_id = d.run_id AND ff_event_tallies.activity = d.activity AND ff_event_tallies.type = d.type
		AND ff_event_tallies.machine = d.machine AND ff_event_tallies.hour = d.hour`,

	`UPDATE ff_event_tallies SET uniques = ff_event_tallies.uniques - d.n
	FROM (SELECT run_id, activity, type, machine, hour, count(*) AS n FROM ff_event_firsts
		WHERE message_id IN (` + theirMessages + `) GROUP BY 1, 2, 3, 4, 5) d
	WHERE ff_event_tallies.run_id = d.run_id AND ff_event_tallies.activity = d.activity AND ff_event_tallies.type = d.type
		AND ff_event_tallies.machine = d.machine AND ff_event_tallies.hour = d.hour`,

	`UPDATE ff_event_link_tallies SET events = ff_event_link_tallies.events - d.n
	FROM (SELECT e.run_id, e.activity, coalesce(e.link, 0) AS link, ` + linkKeyOf + ` AS link_key, count(*) AS n
		FROM ff_events e WHERE e.message_id IN (` + theirMessages + `) AND e.seq <= (SELECT seq FROM ff_event_rollup WHERE id = 1)
			AND e.type = 'click' AND e.machine IS NULL
		GROUP BY 1, 2, 3, 4) d
	WHERE ff_event_link_tallies.run_id = d.run_id AND ff_event_link_tallies.activity = d.activity
		AND ff_event_link_tallies.link = d.link AND ff_event_link_tallies.link_key = d.link_key`,

	`UPDATE ff_event_link_tallies SET uniques = ff_event_link_tallies.uniques - d.n
	FROM (SELECT run_id, activity, link, link_key, count(*) AS n FROM ff_event_link_firsts
		WHERE message_id IN (` + theirMessages + `) GROUP BY 1, 2, 3, 4) d
	WHERE ff_event_link_tallies.run_id = d.run_id AND ff_event_link_tallies.activity = d.activity
		AND ff_event_link_tallies.link = d.link AND ff_event_link_tallies.link_key = d.link_key`,

	`UPDATE ff_event_domain_tallies SET opened = ff_event_domain_tallies.opened - d.opened, clicked = ff_event_domain_tallies.clicked - d.clicked,
		bounced = ff_event_domain_tallies.bounced - d.bounced, complained = ff_event_domain_tallies.complained - d.complained
	FROM (SELECT o.run_id, o.activity_id AS activity, lower(split_part(o.address, '@', 2)) AS domain,
			count(*) FILTER (WHERE g.opened) AS opened, count(*) FILTER (WHERE g.clicked) AS clicked,
			count(*) FILTER (WHERE g.bounced) AS bounced, count(*) FILTER (WHERE g.complained) AS complained
		FROM (SELECT run_id, message_id, bool_or(type = 'open') AS opened, bool_or(type = 'click') AS clicked,
				bool_or(type IN ('bounce_hard', 'bounce_soft')) AS bounced, bool_or(type = 'complaint') AS complained
			FROM ff_event_firsts WHERE message_id IN (` + theirMessages + `) AND NOT machine
				AND type IN ('open', 'click', 'bounce_hard', 'bounce_soft', 'complaint')
			GROUP BY run_id, message_id) g
		JOIN ff_outbox o ON o.run_id = g.run_id AND o.message_id = g.message_id
		WHERE o.channel = 'email' AND o.status = 'sent'
		GROUP BY 1, 2, 3) d
	WHERE ff_event_domain_tallies.run_id = d.run_id AND ff_event_domain_tallies.activity = d.activity AND ff_event_domain_tallies.domain = d.domain`,

	`DELETE FROM ff_event_firsts WHERE message_id IN (` + theirMessages + `)`,
	`DELETE FROM ff_event_link_firsts WHERE message_id IN (` + theirMessages + `)`,
	`DELETE FROM ff_events WHERE message_id IN (` + theirMessages + `)`,
	`DELETE FROM ff_sandbox_messages WHERE message_id IN (` + theirMessages + `)`,
}

// Erase removes every trace of one profile's messages: their events and
// first events, taken out of the reports' tallies (past runs' figures
// lose them, as they lose their outbox rows), the sandbox's copies of
// them and their outbox rows (whose ids hold the profile's key); it
// returns how many messages. It runs in a transaction of its own, one
// fold (Events.Roll) at a time.
func (e Events) Erase(ctx context.Context, dimension, recipient string) (int64, error) {
	if !rowLocks(e.d) {
		e.rollMu.Lock()
		defer e.rollMu.Unlock()
	}
	var n int64
	err := e.inTx(ctx, func(a area) error {
		if rowLocks(e.d) {
			if _, err := a.exec(ctx, `SELECT seq FROM ff_event_rollup WHERE id = 1 FOR UPDATE`); err != nil {
				return err
			}
		}
		for _, q := range unfoldMessages {
			if _, err := a.exec(ctx, q, dimension, recipient); err != nil {
				return err
			}
		}
		var err error
		n, err = a.exec(ctx, `DELETE FROM ff_outbox WHERE dimension = $1 AND recipient = $2`, dimension, recipient)
		return err
	})
	return n, err
}

// Forget removes the events older than before, and the first events
// whose hour is older, and returns how many events. The tallies keep
// counting them: a run's figures outlive its events.
func (e Events) Forget(ctx context.Context, before time.Time) (int64, error) {
	hour := before.UTC().Unix() / 3600
	if _, err := e.exec(ctx, `DELETE FROM ff_event_firsts WHERE hour < $1`, hour); err != nil {
		return 0, err
	}
	if _, err := e.exec(ctx, `DELETE FROM ff_event_link_firsts WHERE hour < $1`, hour); err != nil {
		return 0, err
	}
	return e.exec(ctx, `DELETE FROM ff_events WHERE created_at < $1`, before.UTC())
}
