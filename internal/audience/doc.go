// Package audience holds audience queries: the JSON rule tree and its text
// form, validation against the data model, compilation to parameterised SQL
// for every store, a reference evaluator that tests the compiler, counts,
// previews and saved audiences. See docs/audiences.md.
package audience
