// Package bounce is the bounce receiver: an SMTP listener for the domain
// of the bounce address, which reads the delivery status notifications
// (RFC 3464) and abuse reports (RFC 5965) sent to the messages' VERP
// addresses (delivery.VERP) and records them as the messages' feedback —
// events, and suppressions through the one suppression path
// (docs/tracking.md).
package bounce
