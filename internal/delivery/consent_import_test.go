package delivery_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestImportConsentLimits imports consent files with a line past a small
// limit and bytes that are not UTF-8 (in a string key and in a source):
// those rows are rejects with their line, the good rows are recorded. A
// gzip file inflating past the cap is refused. Both stores.
func TestImportConsentLimits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m, err := datamodel.Parse([]byte("entities:\n  members:\n    key: code\n    attributes:\n      code: string\n      email: string\n    targeting: {email: email}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.DB(s).Exec(`CREATE TABLE members (code VARCHAR PRIMARY KEY, email VARCHAR)`); err != nil {
			t.Fatal(err)
		}
		lim := ingest.Limits{MaxLine: 64 << 10, MaxInflated: 10 << 20}
		file := "code,channel,status,source\n" +
			"a,email,opt_out,\n" +
			"b\xe9,email,opt_out,\n" + // line 3: a Latin-1 key
			"c,email,opt_out," + strings.Repeat("x", 100<<10) + "\n" + // line 4: too long
			"d,email,opt_in,crm\xff\n" + // line 5: a Latin-1 source
			"e,email,opt_in\n" + // line 6: a field short
			"f,email,opt_in,crm\n"
		res, err := delivery.ImportConsent(ctx, s, m, "members", strings.NewReader(file), "", time.Now(), lim)
		if err != nil {
			t.Fatal(err)
		}
		want := []delivery.ConsentReject{
			{Line: 3, Column: "code", Value: "b\uFFFD", Reason: "invalid UTF-8 (byte 0xE9 at position 2)"},
			{Line: 4, Reason: "line longer than 64 KiB (the limit on a line); skipped"},
			{Line: 5, Column: "source", Value: "crm\uFFFD", Reason: "invalid UTF-8 (byte 0xFF at position 4)"},
			{Line: 6, Value: "e,email,opt_in", Reason: "has 3 fields, the header has 4"},
		}
		if res.Rows != 6 || res.Accepted != 2 || fmt.Sprint(res.Rejects) != fmt.Sprint(want) {
			t.Fatalf("import = %+v\nwant rejects %+v", res, want)
		}
		var n int
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_consent WHERE dimension = 'members'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d consent rows recorded (%v), want 2", n, err)
		}

		var bomb bytes.Buffer
		zw := gzip.NewWriter(&bomb)
		zw.Write([]byte("code,channel,status\n"))
		zw.Write(bytes.Repeat([]byte("a,email,opt_in\n"), 1<<20)) // 15 MiB
		zw.Close()
		_, err = delivery.ImportConsent(ctx, s, m, "members", &bomb, "", time.Now(), lim)
		if !errors.Is(err, delivery.ErrConsentFile) || !errors.Is(err, ingest.ErrInflateLimit) {
			t.Fatalf("err = %v, want a consent file inflating past the limit", err)
		}
	})
}

// TestImportConsentNULByte imports a consent file with a NUL byte in a key
// and in a source: those rows are rejects, as they are in an import and
// load_file, and the good row is recorded (PostgreSQL refused the whole
// file: no text column holds a NUL byte). Both stores.
func TestImportConsentNULByte(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m, err := datamodel.Parse([]byte("entities:\n  members:\n    key: code\n    attributes:\n      code: string\n      email: string\n    targeting: {email: email}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.DB(s).Exec(`CREATE TABLE members (code VARCHAR PRIMARY KEY, email VARCHAR)`); err != nil {
			t.Fatal(err)
		}
		file := "code,channel,status,source\na,email,opt_out,cr\x00m\nb\x00,email,opt_out,\nc,email,opt_in,\n"
		res, err := delivery.ImportConsent(context.Background(), s, m, "members", strings.NewReader(file), "", time.Now(), ingest.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := []delivery.ConsentReject{
			{Line: 2, Column: "source", Value: "crm", Reason: "contains a NUL byte"},
			{Line: 3, Column: "code", Value: "b", Reason: "contains a NUL byte"},
		}
		if res.Rows != 3 || res.Accepted != 1 || fmt.Sprint(res.Rejects) != fmt.Sprint(want) {
			t.Fatalf("import = %+v\nwant rejects %+v", res, want)
		}
	})
}
