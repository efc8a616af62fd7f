package audience

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// svcModel is the data model of the service tests: customers reach their
// country through a to-one link and have many purchases.
const svcModel = `entities:
  countries:
    key: code
    attributes:
      code: string
      region: string
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      email: string
      phone: string
      country: string
      balance: decimal(12,2)
      born: date
      signed_up: timestamp
      vip: boolean
    links:
      home: {entity: countries, columns: [country], reverse: residents}
    targeting:
      email: email
      sms: phone
  purchases:
    key: purchase_id
    attributes:
      purchase_id: integer
      customer_id: integer
      amount: decimal(12,2)
    links:
      customer: {entity: customers, reverse: purchases}
`

// svcCustomer is one row of the customers table.
type svcCustomer struct {
	id        int64
	email     string
	phone     any
	country   any
	balance   any
	born      any
	signedUp  any
	vip       any
	purchases []string // amounts
}

func svcDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var svcCustomers = []svcCustomer{
	{1, "a@x.fr", "+331", "FR", "10.50", svcDate("1990-01-02"), time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), true, []string{"5.00", "7.25"}},
	{2, "b@x.fr", nil, "FR", "20.00", nil, nil, false, []string{"1.00"}},
	{3, "c@x.be", "+322", "BE", nil, nil, nil, nil, nil},
	{4, "d@x.us", nil, "US", "-3.10", nil, nil, true, []string{"9.99"}},
	{5, "e@x.example", nil, nil, nil, nil, nil, nil, nil},
	{6, "f@x.fr", nil, "FR", "0.00", nil, nil, false, nil},
}

// svcSetup returns a service on a store holding svcModel and
// svcCustomers.
func svcSetup(t *testing.T, s *store.Store) (context.Context, *Service) {
	t.Helper()
	ctx := context.Background()
	if _, err := schema.Apply(ctx, s, []byte(svcModel), schema.ApplyOptions{}); err != nil {
		t.Fatalf("apply model: %v", err)
	}
	for _, c := range [][]any{{"FR", "Europe"}, {"BE", "Europe"}, {"US", "Americas"}} {
		svcExec(t, s, `INSERT INTO countries (code, region) VALUES ($1, $2)`, c...)
	}
	for _, c := range svcCustomers {
		svcInsertCustomer(t, s, c)
	}
	return ctx, &Service{Store: s}
}

// svcPurchaseID numbers purchases across the tests; atomic because the tests
// run in parallel.
var svcPurchaseID atomic.Int64

func svcInsertCustomer(t *testing.T, s *store.Store, c svcCustomer) {
	t.Helper()
	svcExec(t, s, `INSERT INTO customers (customer_id, email, phone, country, balance, born, signed_up, vip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.id, c.email, c.phone, c.country, c.balance, c.born, c.signedUp, c.vip)
	for _, amount := range c.purchases {
		svcExec(t, s, `INSERT INTO purchases (purchase_id, customer_id, amount) VALUES ($1, $2, $3)`, svcPurchaseID.Add(1), c.id, amount)
	}
}

func svcExec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	if _, err := storetest.DB(s).Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// svcQuery reads a customers query whose tree is given in JSON.
func svcQuery(t *testing.T, where string) *Query {
	t.Helper()
	n, err := ParseJSON([]byte(where))
	if err != nil {
		t.Fatalf("parse %s: %v", where, err)
	}
	return &Query{Dimension: "customers", Where: n}
}

func TestServiceCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		tests := []struct {
			name  string
			where string
			want  int64
		}{
			{"everything", `{"and": []}`, 6},
			{"attribute", `{"attr": "country", "op": "=", "value": "FR"}`, 3},
			{"in list", `{"attr": "country", "op": "in", "value": ["FR", "BE"]}`, 4},
			{"through a to-one link", `{"attr": "home.region", "op": "=", "value": "Europe"}`, 4},
			{"related rows exist", `{"link": "purchases"}`, 3},
			{"count of related rows", `{"link": "purchases", "count": {"op": ">=", "value": 2}}`, 1},
			{"nothing", `{"attr": "country", "op": "=", "value": "DE"}`, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.Count(ctx, svcQuery(t, tt.where))
				if err != nil || got != tt.want {
					t.Fatalf("Count = %d, %v; want %d", got, err, tt.want)
				}
			})
		}
	})
}

func TestServiceCountRefusesInvalidQueries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		_, err := svc.Count(ctx, svcQuery(t, `{"attr": "shoe_size", "op": "=", "value": 42}`))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Count with an unknown attribute = %v, want a *ValidationError", err)
		}
		_, err = svc.Count(ctx, svcQuery(t, `{"audience": "nope"}`))
		if !errors.As(err, &ve) {
			t.Fatalf("Count with an unknown audience = %v, want a *ValidationError", err)
		}
	})
}

func TestServiceBreakdown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		tests := []struct {
			name   string
			where  string
			attr   string
			top    int
			want   []Bucket
			others int64
		}{
			{"top values and others", `{"and": []}`, "country", 2,
				[]Bucket{{"FR", 3}, {"BE", 1}}, 2},
			{"nulls are one bucket, last among equals", `{"and": []}`, "country", 10,
				[]Bucket{{"FR", 3}, {"BE", 1}, {"US", 1}, {nil, 1}}, 0},
			{"through a to-one link", `{"and": []}`, "home.region", 0,
				[]Bucket{{"Europe", 4}, {"Americas", 1}, {nil, 1}}, 0},
			{"decimals as strings", `{"attr": "country", "op": "=", "value": "FR"}`, "balance", 0,
				[]Bucket{{"0.00", 1}, {"10.50", 1}, {"20.00", 1}}, 0},
			{"ties by value", `{"and": []}`, "vip", 2,
				[]Bucket{{false, 2}, {true, 2}}, 2},
			{"no rows", `{"attr": "country", "op": "=", "value": "DE"}`, "country", 0,
				[]Bucket{}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, others, err := svc.Breakdown(ctx, svcQuery(t, tt.where), tt.attr, tt.top)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) || others != tt.others {
					t.Fatalf("Breakdown = %v, others %d; want %v, others %d", got, others, tt.want, tt.others)
				}
			})
		}
	})
}

func TestServiceSample(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		q := svcQuery(t, `{"or": [{"attr": "country", "op": "=", "value": "FR"}, {"attr": "vip", "op": "=", "value": true}]}`)
		cols, rows, err := svc.Sample(ctx, q, []string{"customer_id", "home.region", "balance", "born", "signed_up", "vip"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		wantCols := []string{"customer_id", "home.region", "balance", "born", "signed_up", "vip"}
		wantRows := [][]any{
			{int64(1), "Europe", "10.50", "1990-01-02", time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), true},
			{int64(2), "Europe", "20.00", nil, nil, false},
			{int64(4), "Americas", "-3.10", nil, nil, true},
		}
		if !reflect.DeepEqual(cols, wantCols) || !reflect.DeepEqual(rows, wantRows) {
			t.Fatalf("Sample = %v %v; want %v %v", cols, rows, wantCols, wantRows)
		}

		// By default every attribute of the dimension, in model order.
		cols, rows, err = svc.Sample(ctx, svcQuery(t, `{"attr": "customer_id", "op": "=", "value": 3}`), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantCols = []string{"customer_id", "email", "phone", "country", "balance", "born", "signed_up", "vip"}
		wantRows = [][]any{{int64(3), "c@x.be", "+322", "BE", nil, nil, nil, nil}}
		if !reflect.DeepEqual(cols, wantCols) || !reflect.DeepEqual(rows, wantRows) {
			t.Fatalf("Sample = %v %v; want %v %v", cols, rows, wantCols, wantRows)
		}
		if _, err := json.Marshal(rows); err != nil {
			t.Fatalf("sample rows do not marshal: %v", err)
		}
	})
}

func TestServiceRefusesBadArguments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		all := svcQuery(t, `{"and": []}`)
		tests := []struct {
			name string
			call func() error
		}{
			{"top too large", func() error { _, _, err := svc.Breakdown(ctx, all, "country", MaxTop+1); return err }},
			{"negative top", func() error { _, _, err := svc.Breakdown(ctx, all, "country", -1); return err }},
			{"breakdown by a link", func() error { _, _, err := svc.Breakdown(ctx, all, "home", 5); return err }},
			{"breakdown through a to-many link", func() error { _, _, err := svc.Breakdown(ctx, all, "purchases.amount", 5); return err }},
			{"sample too large", func() error { _, _, err := svc.Sample(ctx, all, nil, MaxSample+1); return err }},
			{"unknown sample attribute", func() error { _, _, err := svc.Sample(ctx, all, []string{"nope"}, 1); return err }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, ErrInvalidRequest) {
					t.Fatalf("error = %v, want ErrInvalidRequest", err)
				}
			})
		}
	})
}

func TestServiceRun(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		res, err := svc.Run(ctx, CountRequest{
			Query:      *svcQuery(t, `{"attr": "home.region", "op": "=", "value": "Europe"}`),
			Breakdown:  "country",
			Top:        1,
			Sample:     2,
			Attributes: []string{"email"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := &CountResult{
			Count:     4,
			Breakdown: &BreakdownResult{Attribute: "country", Buckets: []Bucket{{"FR", 3}}, Others: 1},
			Sample:    &SampleResult{Columns: []string{"email"}, Rows: [][]any{{"a@x.fr"}, {"b@x.fr"}}},
			Millis:    res.Millis,
		}
		if !reflect.DeepEqual(res, want) {
			t.Fatalf("Run = %+v; want %+v", res, want)
		}
		if res.Millis <= 0 {
			t.Errorf("Millis = %v, want the time taken", res.Millis)
		}

		res, err = svc.Run(ctx, CountRequest{Query: *svcQuery(t, `{"and": []}`)})
		if err != nil || res.Count != 6 || res.Breakdown != nil || res.Sample != nil {
			t.Fatalf("Run with a count only = %+v, %v", res, err)
		}
	})
}

func TestServiceStopsWithItsContext(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		q := svcQuery(t, `{"and": []}`)
		tests := []struct {
			name string
			svc  *Service
			ctx  func() (context.Context, context.CancelFunc)
			want error
		}{
			{"cancelled by the caller", svc, func() (context.Context, context.CancelFunc) {
				c, cancel := context.WithCancel(ctx)
				cancel()
				return c, cancel
			}, context.Canceled},
			{"caller's deadline passed", svc, func() (context.Context, context.CancelFunc) {
				return context.WithDeadline(ctx, time.Now().Add(-time.Second))
			}, context.DeadlineExceeded},
			{"service time limit", &Service{Store: s, Timeout: time.Nanosecond}, func() (context.Context, context.CancelFunc) {
				return context.WithCancel(ctx)
			}, context.DeadlineExceeded},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, cancel := tt.ctx()
				defer cancel()
				start := time.Now()
				_, err := tt.svc.Count(c, q)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Count = %v, want %v", err, tt.want)
				}
				if _, err := tt.svc.Save(c, "x", "", q); !errors.Is(err, tt.want) {
					t.Fatalf("Save = %v, want %v", err, tt.want)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("took %v to give up", d)
				}
			})
		}
	})
}
