// Package pushtest holds in-process FCM and APNs servers for the push
// providers' tests and the send benchmarks: HTTP/2 over TLS, verifying
// every signature the real services would, and recording what they were
// offered and accepted (or only counting it, see Discard).
package pushtest
