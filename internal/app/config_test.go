package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigFileProblemsNameFileAndLine: a broken or misspelt
// configuration file is refused with its name, line and column, never
// "unexpected EOF" alone or a key silently ignored.
func TestConfigFileProblemsNameFileAndLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"cut short", "{\n  \"data_dir\": \"/tmp/x\",\n", ":3:1: the file ends before its JSON does"},
		{"syntax", "{\n  \"data_dir\": \"/tmp/x\"\n  \"addr\": \":9090\"\n}\n", ":3:3: invalid character '\"' after object key:value pair"},
		{"unknown key", "{\n  \"data_dir\": \"/tmp/x\",\n  \"adr\": \":9090\"\n}\n", `:3:3: unknown key "adr" (keys are flag names with _ for -); did you mean "addr"?`},
		{"far from any key", "{\"colour\": \"blue\"}", `:1:2: unknown key "colour" (keys are flag names with _ for -); fanfare --help lists the flags`},
		{"not an object", "[1]", ":1:1: want one JSON object of flag names and values"},
		{"two objects", "{} {}", ":1:4: more after the JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "fanfare.json")
			os.WriteFile(file, []byte(tc.doc), 0o644)
			code, _, errs := run(t, "--config", file, "version")
			if code != 2 || !strings.Contains(errs, file+tc.want) {
				t.Fatalf("%d %q, want %q", code, errs, file+tc.want)
			}
		})
	}
	// A key of a subcommand's flag is known.
	file := filepath.Join(t.TempDir(), "fanfare.json")
	os.WriteFile(file, []byte(`{"data_dir": "`+t.TempDir()+`", "addr": ":9090", "workers": 3}`), 0o644)
	if code, out, errs := run(t, "--config", file, "version"); code != 0 {
		t.Fatalf("a good file: %d %s %s", code, out, errs)
	}
}
