// Package apitest holds the API to its OpenAPI document in tests: a
// handler wrapped with Validate (or a client's transport wrapped with
// Transport) has every request and answer checked against
// internal/api/openapi.json — the status declared for the operation, the
// content type, JSON bodies (and each NDJSON line) against their schemas,
// every error answer against ErrorBody — and each mismatch fails the test
// with the method, path, status and the schema's complaint.
//
// The checked traffic is recorded per test binary: Exercised lists the
// operations and statuses it reached, Uncovered the operations whose
// success status it did not, so that a package's TestMain can require
// coverage (see internal/api's).
package apitest
