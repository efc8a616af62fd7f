package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
)

// maxConfigBytes bounds a configuration file.
const maxConfigBytes = 1 << 20

// configLoader reads a JSON configuration file for kong: one object whose
// keys are flag names with _ for - (data_dir, database_url, addr…). A
// problem names the file, line and column, and a key that is no flag of any
// command is refused (a misspelt key silently ignored leaves the default in
// force). Values yield to FANFARE_* variables, so the order is defaults,
// file, environment, flags. keys returns the known keys.
func configLoader(keys func() map[string]bool) kong.ConfigurationLoader {
	return func(r io.Reader) (kong.Resolver, error) {
		name := "configuration file"
		if f, ok := r.(interface{ Name() string }); ok {
			name = f.Name()
		}
		raw, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if len(raw) > maxConfigBytes {
			return nil, fmt.Errorf("%s: larger than %d bytes", name, maxConfigBytes)
		}
		if err := checkConfig(raw, keys()); err != nil {
			return nil, fmt.Errorf("%s:%w", name, err)
		}
		inner, err := kong.JSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return kong.ResolverFunc(func(ctx *kong.Context, parent *kong.Path, flag *kong.Flag) (any, error) {
			for _, env := range flag.Envs {
				if _, set := os.LookupEnv(env); set {
					return nil, nil
				}
			}
			return inner.Resolve(ctx, parent, flag)
		}), nil
	}
}

// checkConfig checks that raw is one JSON object of known keys; an error
// starts with "line:column: ".
func checkConfig(raw []byte, keys map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	at := func(off int64, format string, args ...any) error {
		line, col := position(raw, off)
		return fmt.Errorf("%d:%d: "+format, append([]any{line, col}, args...)...)
	}
	syntax := func(err error) error {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return at(se.Offset, "%v", err)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return at(int64(len(raw)), "the file ends before its JSON does")
		}
		return at(dec.InputOffset(), "%v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	// A delimiter's offset is the one before InputOffset.
	if tok != json.Delim('{') {
		return at(dec.InputOffset()-1, "want one JSON object of flag names and values")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		key, _ := tok.(string)
		end := dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return syntax(err)
		}
		if !keys[key] {
			return at(end-int64(len(key))-2, "unknown key %q (keys are flag names with _ for -)%s", key, suggest(key, keys))
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntax(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		if _, delim := tok.(json.Delim); delim {
			off--
		}
		return at(off, "more after the JSON object")
	}
	return nil
}

// position turns a byte offset of raw into a line and column, from 1.
func position(raw []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(raw)))
	before := raw[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// suggest names the known key closest to an unknown one, if one is close.
func suggest(key string, keys map[string]bool) string {
	best, bestD := "", 3
	for k := range keys {
		if d := distance(key, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > 2 {
		return "; fanfare --help lists the flags"
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// flagKeys returns the configuration keys of every flag of every command,
// as kong's JSON resolver looks them up.
func flagKeys(app *kong.Application) map[string]bool {
	keys := map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			keys[strings.ReplaceAll(f.Name, "-", "_")] = true
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(app.Node)
	return keys
}
