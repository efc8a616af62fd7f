package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestBulkLoadConformance loads every value kind the loader stages through
// each dialect's bulk path and reads it back unchanged.
func TestBulkLoadConformance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		d := s.Dialect
		cols := []struct {
			name string
			typ  datamodel.Type
		}{{"i", datamodel.TypeInteger}, {"s", datamodel.TypeString}, {"b", datamodel.TypeBoolean}, {"d", datamodel.TypeDate}, {"ts", datamodel.TypeTimestamp}}
		ddl := "CREATE TEMPORARY TABLE bulk ("
		var names []string
		for i, c := range cols {
			if i > 0 {
				ddl += ", "
			}
			ddl += store.Quote(c.name) + " " + d.ColumnType(&datamodel.Attribute{Type: c.typ})
			names = append(names, c.name)
		}
		conn, err := storetest.DB(s).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, ddl+")"); err != nil {
			t.Fatal(err)
		}
		ts := time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)
		rows := [][]any{
			{int64(-9223372036854775808), "é ü 😀 'quote' \"dq\"", true, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), ts},
			{int64(42), "", false, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
			{nil, nil, nil, nil, nil},
		}
		i := 0
		n, err := d.BulkLoad(ctx, conn, "bulk", names, func() ([]any, error) {
			if i == len(rows) {
				return nil, nil
			}
			i++
			return rows[i-1], nil
		})
		if err != nil || n != int64(len(rows)) {
			t.Fatalf("BulkLoad = %d, %v", n, err)
		}
		got, err := conn.QueryContext(ctx, `SELECT i, s, b, CAST(d AS VARCHAR), ts FROM bulk ORDER BY i NULLS LAST`)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Close()
		var lines []string
		for got.Next() {
			var (
				i  *int64
				s  *string
				b  *bool
				d  *string
				ts *time.Time
			)
			if err := got.Scan(&i, &s, &b, &d, &ts); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%s|%s|%s|%s|%s", show(i), show(s), show(b), show(d), showTime(ts)))
		}
		want := []string{
			"-9223372036854775808|é ü 😀 'quote' \"dq\"|true|0001-01-01|2024-02-29T23:59:59.123456Z",
			"42||false|9999-12-31|1970-01-01T00:00:00Z",
			"NULL|NULL|NULL|NULL|NULL",
		}
		if fmt.Sprint(lines) != fmt.Sprint(want) {
			t.Fatalf("read back\n%v\nwant\n%v", lines, want)
		}
	})
}

func show[T any](p *T) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

func showTime(p *time.Time) string {
	if p == nil {
		return "NULL"
	}
	return p.UTC().Format(time.RFC3339Nano)
}
