// Package archtest holds no code, only the tests that check the rules of
// docs/architecture.md on every change: which package may import which
// (the table is read from the page itself, so the page and the check
// cannot drift), that only internal/store reaches the database (database/sql,
// the drivers, the Dialect's Name, Store.Embedded and Store.Raw outside
// tests), and the size limits
// of files and functions. Known breaches are listed in ratchet_test.go: a
// new one fails, and so does a listed one that is gone, so the list shrinks
// in the change that fixes it. `go test -v -run TestReport ./internal/archtest`
// prints the SQL literals and dialect calls left outside the store.
package archtest
