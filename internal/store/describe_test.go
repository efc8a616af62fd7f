package store_test

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestDescribe: the embedded store is one process's file, PostgreSQL a
// shared server with no file; both say which they are and where.
func TestDescribe(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		d := s.Describe()
		if d.Kind != s.Dialect.Name() || d.Location != s.Location || d.Location == "" {
			t.Fatalf("%+v: kind or location wrong (dialect %s, location %q)", d, s.Dialect.Name(), s.Location)
		}
		if embedded := s.Embedded(); d.Shared == embedded || (d.File != "") != embedded || (embedded && d.File != s.Location) {
			t.Fatalf("%+v: embedded %v", d, embedded)
		}
	})
}
