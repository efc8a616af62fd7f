// Package service is Fanfare's use-case layer: every operation the CLI
// and the HTTP API offer (the data model, imports, audiences, campaigns,
// runs, messages, consent, suppressions, tokens and keys), written once,
// with its request and response types and its domain errors.
//
// Service is the set of operations; Local runs them in this process on a
// store, and the API client (internal/client) runs them through a server,
// so the CLI works the same either way. The API's handlers decode a
// request, call Local and encode its answer. Who asks travels in the
// context as an audit.Actor (token:<name> through the API, cli:<user>
// for a command on the store).
package service
