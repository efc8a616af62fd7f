package ingest

import (
	"path/filepath"
	"strings"
)

// formatFromName guesses a file's format from its name, ignoring a .gz
// suffix; CSV when nothing matches.
func formatFromName(name string) Format {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch filepath.Ext(name) {
	case ".ndjson", ".jsonl", ".json":
		return FormatNDJSON
	}
	return FormatCSV
}
