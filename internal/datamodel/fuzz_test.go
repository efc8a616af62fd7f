package datamodel

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse: it must never panic, and
// whatever it accepts must survive a trip through Document unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/*.json")
	for _, name := range append(files, more...) {
		doc, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Add([]byte(base))
	f.Add([]byte(base + orders))
	f.Add([]byte("entities: {a: {key: x, attributes: {x: string, d: {type: string, description: \"\\u00e9\\t\\x01\"}}}}"))
	f.Add([]byte("entities:\n  a: &x {key: k, attributes: {k: string}}\n  b: *x\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := Parse(doc)
		if err != nil {
			return
		}
		out := Document(m)
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Document(m)) failed: %v\ninput:\n%s\ndocument:\n%s", err, doc, out)
		}
		if !reflect.DeepEqual(m, back) {
			t.Fatalf("round trip differs\ninput:\n%s\ndocument:\n%s", doc, out)
		}
	})
}
