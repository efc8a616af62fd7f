// Package schema applies a data model to a store: it compares the model
// with the one applied last, plans the SQL that takes the customer tables
// from one to the other, refuses destructive plans unless allowed, and
// runs the plan and records the new model version in one transaction.
package schema
