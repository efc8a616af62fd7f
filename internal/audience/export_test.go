package audience

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestExport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		if _, err := svc.Save(ctx, "fr", "", svcQuery(t, `{"attr": "country", "op": "=", "value": "FR"}`)); err != nil {
			t.Fatal(err)
		}
		// Version 2 loses customer 2 and gains customer 7.
		svcInsertCustomer(t, s, svcCustomer{id: 7, email: "g@x.fr", phone: "+337", country: "FR", vip: true})
		svcExec(t, s, `UPDATE customers SET country = 'BE' WHERE customer_id = 2`)
		if _, err := svc.Refresh(ctx, "fr"); err != nil {
			t.Fatal(err)
		}
		wide := []string{"customer_id", "home.region", "balance", "born", "signed_up", "vip"}
		tests := []struct {
			name    string
			version int64
			attrs   []string
			format  string
			want    string
		}{
			{"csv, default attributes", 0, nil, FormatCSV,
				"customer_id,email,phone\n1,a@x.fr,+331\n6,f@x.fr,\n7,g@x.fr,+337\n"},
			{"csv, chosen attributes", 0, wide, FormatCSV,
				"customer_id,home.region,balance,born,signed_up,vip\n" +
					"1,Europe,10.50,1990-01-02,2024-01-01T10:00:00Z,true\n" +
					"6,Europe,0.00,,,false\n" +
					"7,Europe,,,,true\n"},
			{"csv, a linked attribute", 0, []string{"email", "home.region"}, FormatCSV,
				"email,home.region\na@x.fr,Europe\nf@x.fr,Europe\ng@x.fr,Europe\n"},
			{"ndjson, chosen attributes", 0, wide, FormatNDJSON,
				`{"customer_id":1,"home.region":"Europe","balance":"10.50","born":"1990-01-02","signed_up":"2024-01-01T10:00:00Z","vip":true}` + "\n" +
					`{"customer_id":6,"home.region":"Europe","balance":"0.00","born":null,"signed_up":null,"vip":false}` + "\n" +
					`{"customer_id":7,"home.region":"Europe","balance":null,"born":null,"signed_up":null,"vip":true}` + "\n"},
			{"ndjson, an earlier version with current values", 1, []string{"customer_id", "country"}, FormatNDJSON,
				`{"customer_id":1,"country":"FR"}` + "\n" +
					`{"customer_id":2,"country":"BE"}` + "\n" +
					`{"customer_id":6,"country":"FR"}` + "\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var b bytes.Buffer
				n, err := svc.Export(ctx, "fr", tt.version, tt.attrs, tt.format, &b)
				if err != nil {
					t.Fatal(err)
				}
				if b.String() != tt.want || n != 3 {
					t.Fatalf("Export wrote %d rows:\n%s\nwant 3:\n%s", n, b.String(), tt.want)
				}
			})
		}
	})
}

func TestExportQuotesCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		svcInsertCustomer(t, s, svcCustomer{id: 9, email: "\"odd\", name@x", country: "XX"})
		if _, err := svc.Save(ctx, "odd", "", svcQuery(t, `{"attr": "customer_id", "op": "=", "value": 9}`)); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := svc.Export(ctx, "odd", 0, []string{"email", "home.region"}, FormatCSV, &b); err != nil {
			t.Fatal(err)
		}
		if want := "email,home.region\n\"\"\"odd\"\", name@x\",\n"; b.String() != want {
			t.Fatalf("Export = %q, want %q", b.String(), want)
		}
	})
}

func TestExportRefusesBadRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		if _, err := svc.Save(ctx, "fr", "", svcQuery(t, `{"attr": "country", "op": "=", "value": "FR"}`)); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			aud     string
			version int64
			attrs   []string
			format  string
			want    error
		}{
			{"unknown format", "fr", 0, nil, "xml", ErrInvalidRequest},
			{"unknown attribute", "fr", 0, []string{"nope"}, FormatCSV, ErrInvalidRequest},
			{"to-many path", "fr", 0, []string{"purchases.amount"}, FormatCSV, ErrInvalidRequest},
			{"unknown audience", "nope", 0, nil, FormatCSV, store.ErrNotFound},
			{"unknown version", "fr", 7, nil, FormatCSV, store.ErrNotFound},
			{"negative version", "fr", -1, nil, FormatCSV, ErrInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var b bytes.Buffer
				if _, err := svc.Export(ctx, tt.aud, tt.version, tt.attrs, tt.format, &b); !errors.Is(err, tt.want) {
					t.Fatalf("Export = %v, want %v", err, tt.want)
				}
				if b.Len() != 0 {
					t.Fatalf("Export wrote %q before failing", b.String())
				}
			})
		}
	})
}

// cancellingWriter cancels its context on the first write, as a client
// that goes away.
type cancellingWriter struct {
	cancel context.CancelFunc
	writes int
}

func (w *cancellingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.cancel()
	return len(p), nil
}

func TestExportStopsWhenTheCallerGoesAway(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		const many = 20000
		svcExec(t, s, `INSERT INTO customers (customer_id, email, country)
			SELECT g, 'user' || CAST(g AS TEXT) || '@example.com', 'FR' FROM generate_series(100, 20099) AS t(g)`)
		if _, err := svc.Save(ctx, "fr", "", svcQuery(t, `{"attr": "country", "op": "=", "value": "FR"}`)); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := &cancellingWriter{cancel: cancel}
		n, err := svc.Export(cctx, "fr", 0, nil, FormatCSV, w)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Export = %d rows, %v; want context.Canceled", n, err)
		}
		if w.writes != 1 || n >= many {
			t.Fatalf("Export went on after the caller left: %d writes, %d rows", w.writes, n)
		}
	})
}
