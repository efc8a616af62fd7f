// Package channeltest holds the conformance suite that every channel
// provider passes: ordered results, exactly-once delivery of a batch,
// refusal of invalid addresses without contacting the peer, cancellation
// that never turns an unsent message into an in-doubt one, and an
// idempotent Close.
package channeltest
