package app

import (
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// TestServeRefusesAShortLease: a lease under delivery.MinLease, from the
// flag or the environment, is refused before anything starts; a node with
// a shorter one could lose the work it is doing to another while slowed
// down.
func TestServeRefusesAShortLease(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		args      []string
		refused   bool
	}{
		{name: "flag", args: []string{"serve", "--lease", "2s"}, refused: true},
		{name: "environment", env: "1500ms", args: []string{"serve"}, refused: true},
		{name: "the least", args: []string{"serve", "--lease", "5s"}},
		{name: "default", args: []string{"serve"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("FANFARE_LEASE", tc.env)
			}
			var cli root
			parser, err := kong.New(&cli, kong.Exit(func(int) {}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = parser.Parse(tc.args)
			if tc.refused != (err != nil) {
				t.Fatalf("%v: err = %v, refused want %v", tc.args, err, tc.refused)
			}
			if tc.refused && !strings.Contains(err.Error(), "--lease (FANFARE_LEASE)") {
				t.Fatalf("the error does not name the setting: %v", err)
			}
		})
	}
}
