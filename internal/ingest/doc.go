// Package ingest loads CSV and NDJSON files (plain or gzip) into the
// tables of the data model: it streams the file, converts and checks every
// value against its attribute's type, stages the good rows in bulk, checks
// links, and merges them into the table by primary key in one transaction.
// Every bad row is reported with its line, column, value and reason. The
// statements of staging, link checks and merge are the store's
// (store.Staging): this package decides what to load and reports it.
package ingest
