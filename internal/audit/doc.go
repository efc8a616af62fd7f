// Package audit names who did something: the actor of an operator's
// decision (resolving in-doubt messages today), in the form a later audit
// log of every change will record.
package audit
