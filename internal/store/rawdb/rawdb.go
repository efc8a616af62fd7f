// Package rawdb is the pass by which tests and benchmarks reach a store's
// database handle (store.Store.Raw, or storetest.DB): to write rows no
// operation writes, to read what no area reads. Only _test.go files,
// bench/ and the store's own packages import it — archtest's
// TestOnlyTheStoreReachesTheDatabase fails any other — so every statement
// of Fanfare itself runs through a store area.
package rawdb

// Pass is what store.Store.Raw asks for: holding one says the caller
// imported this package.
type Pass struct{}
