// Package sandbox is the provider that sends nothing: it captures every
// valid message into a Sink (a table, in production; memory, in tests) so a
// user can read what a campaign would have sent.
package sandbox
