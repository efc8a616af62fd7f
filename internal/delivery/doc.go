// Package delivery sends what channel activities put in the outbox. A
// dispatcher claims a batch of pending messages — with a lease on
// PostgreSQL (SKIP LOCKED, so several nodes share a send), in memory on the
// embedded store, whose file one process owns — applies the send-time
// checks every campaign obeys (consent, the suppression list, address
// validity), renders the survivors, hands them to the channel's provider
// and records each outcome.
//
// Never twice, never lost: a message is marked "sending" — committed —
// just before it goes to the provider, and only the messages that update
// moved are sent (one another dispatcher took is left to it). A
// dispatcher that dies with claimed
// messages gives them back (they were not sent); one that dies while they
// were "sending" leaves them in doubt: their outcome is unknown, so they
// are reported, reconciled where the provider can tell, and never resent
// blindly.
package delivery
