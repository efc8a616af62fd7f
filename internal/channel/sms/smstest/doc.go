// Package smstest holds an in-process server speaking the Messages API of
// a Twilio-style SMS provider, for the sms provider's tests and the send
// benchmarks: it checks the credentials, the path and the form as the real
// API would, and records what it was offered and created (or only counts
// it, see Discard).
package smstest
