// Package campaign reads and checks campaign documents: graphs of
// activities joined by transitions that an audience moves through
// together, as described in docs/campaigns.md.
//
// Parse reads a YAML or JSON document, keeping the order of activities and
// the line of every value; Validate checks a parsed document against a data
// model and the saved audiences and lists every problem at once, each with
// the activity it concerns and its path in the document. Format writes a
// document back as YAML that Parse reads to an equal Document.
//
// Activity types are a registry, not a switch: each entry of Types gives a
// type's inputs and ports, its settings struct, the check of its settings
// and the dimension of its rows. Adding a type is one entry here, one
// executor in package engine's table and one row in docs/campaigns.md;
// tests fail until all three agree.
package campaign
