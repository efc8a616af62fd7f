// Package sms is the SMS provider that sends through an HTTP API in the
// style of Twilio's Messages resource: one form POST per message, HTTP
// statuses and Twilio error codes mapped to outcomes so that a message the
// API may have created is never reported as safe to retry, and the status
// callbacks and request signatures of that API parsed and checked.
package sms
