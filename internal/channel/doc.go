// Package channel defines the provider seam of delivery: one small
// interface that every provider implements (email over SMTP, SMS and push
// over their providers' HTTP APIs, and the sandbox that only captures
// messages), and the conformance suite they all pass. Providers live in
// subpackages named after them.
package channel
