// Package docparse holds what the readers of user documents (data models,
// campaigns) share: it parses YAML or JSON into the goccy/go-yaml syntax
// tree, so that key order and lines survive, walks that tree into Go values
// while collecting every problem with its path and line, and defines the
// Problem those readers report.
package docparse
