package archtest

// known are the breaches of the rules of docs/architecture.md found on the
// day the rules were written (2026-12-06), each "rule: subject". A change
// that fixes one removes its line (the tests fail until it does, and print
// the line); a line is added only by a decision stated in the commit that
// adds it. The comment after each line is what the check found then.
//
// The list is empty: every breach found then (44 on the day) was fixed by
// the end of issue #14's third part.
var known = []string{}
