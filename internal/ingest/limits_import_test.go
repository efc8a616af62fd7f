package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// rejectLines lists an import's stored rejects as "line column: reason".
func rejectLines(t *testing.T, s *store.Store, id int64) string {
	t.Helper()
	var got []string
	err := ingest.Rejects(context.Background(), s, id, func(rj ingest.Reject) error {
		got = append(got, fmt.Sprintf("%d %s: %s", rj.Line, rj.Column, rj.Reason))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, "\n")
}

// TestImportRejectsNonUTF8Rows imports CSV and NDJSON files with a byte
// that is not UTF-8 in several places: each such row is rejected with its
// line and column, and the good rows load, on both stores.
func TestImportRejectsNonUTF8Rows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, body string
		want             string
	}{
		{name: "csv", file: "c.csv", body: "customer_id,email,tier\n" +
			"1,a@example.com,gold\n" +
			"2,b\xe9@example.com,\n" + // a Latin-1 é in a string
			"3,c@example.com,g\xffld\n" + // in an enum
			"\xff4,d@example.com,\n" + // in the key
			"5,e@example.com,none\n",
			want: "3 email: invalid UTF-8 (byte 0xE9 at position 2)\n4 tier: invalid UTF-8 (byte 0xFF at position 2)\n5 customer_id: invalid UTF-8 (byte 0xFF at position 1)"},
		{name: "ndjson", file: "c.ndjson", body: `{"customer_id":1,"email":"a@example.com"}` + "\n" +
			`{"customer_id":2,"email":"b` + "\xe9" + `@example.com"}` + "\n" +
			`{"customer_id":3,"email":"c@example.com","prefs":{"k":"` + "\xc3\x28" + `"}}` + "\n" +
			`{"customer_id":4,"email":"d@example.com",` + "\xff" + `}` + "\n" +
			`{"customer_id":5,"email":"e@example.com"}` + "\n",
			want: "2 email: invalid UTF-8 (byte 0xE9 at position 2)\n3 prefs: invalid UTF-8 (byte 0xC3 at position 7)\n4 : invalid UTF-8 (byte 0xFF at position 42) in the line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				m := setup(t, s)
				sum, err := load(t, s, m, "customers", tt.file, tt.body, ingest.Options{})
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				if sum.Inserted != 2 || sum.Rejected != 3 {
					t.Fatalf("summary = %+v", sum)
				}
				if got := rejectLines(t, s, sum.ImportID); got != tt.want {
					t.Errorf("rejects =\n%s\nwant\n%s", got, tt.want)
				}
				if got := dump(t, s, `SELECT customer_id FROM customers ORDER BY 1`); got != "1\n5" {
					t.Errorf("loaded keys = %q", got)
				}
			})
		})
	}
}
