package datamodel

import "github.com/fanfare-dev/fanfare/internal/docparse"

// Problem is one thing wrong with a model document: its Path (such as
// "entities.purchases.links.customer.entity"), its Line (0 for models
// built in Go) and its Message.
type Problem = docparse.Problem

// ValidationError lists every problem found in a model, not just the first.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *ValidationError) Error() string {
	return docparse.ErrorText("invalid data model", e.Problems)
}
