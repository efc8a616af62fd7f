package schema

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// setup returns a store with testdata/v1.yaml applied.
func setup(t *testing.T, s *store.Store) (context.Context, string) {
	t.Helper()
	ctx := context.Background()
	v1 := readDoc(t)
	res, err := Apply(ctx, s, []byte(v1), ApplyOptions{})
	if err != nil {
		t.Fatalf("apply v1: %v", err)
	}
	if res.Version == 0 || res.Unchanged || len(res.Changes) != 2 {
		t.Fatalf("apply v1 = %+v", res)
	}
	return ctx, v1
}

// columns lists "name type nullable" for each column of a table, in order.
func columns(t *testing.T, s *store.Store, table string) []string {
	t.Helper()
	rows, err := storetest.DB(s).Query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ, null string
		if err := rows.Scan(&name, &typ, &null); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ToLower(name+" "+typ+" "+null))
	}
	return out
}

func exec(t *testing.T, s *store.Store, q string) {
	t.Helper()
	if _, err := storetest.DB(s).Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func currentVersion(t *testing.T, s *store.Store) int64 {
	t.Helper()
	_, v, err := Current(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestApplyFreshCreatesTables(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, _, err := Current(ctx, s); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Current on empty store = %v, want ErrNotFound", err)
		}
		setup(t, s)
		text, dec := "varchar", "decimal(12,2)"
		if s.Dialect.Name() == "postgres" {
			text, dec = "text", "numeric"
		}
		want := []string{"customer_id bigint no", "email " + text + " yes", "code " + text + " yes", "balance " + dec + " yes"}
		if got := columns(t, s, "customers"); !slices.Equal(got, want) {
			t.Errorf("customers columns = %q, want %q", got, want)
		}
		if got := columns(t, s, "purchases"); len(got) != 3 {
			t.Errorf("purchases columns = %q", got)
		}
		var pks, idx int
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM information_schema.table_constraints
			WHERE table_schema = current_schema() AND constraint_type = 'PRIMARY KEY' AND table_name IN ('customers', 'purchases')`).Scan(&pks); err != nil {
			t.Fatal(err)
		}
		if s.Dialect.Name() == "postgres" {
			if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'purchases' AND indexname LIKE 'ff_ix_%'`).Scan(&idx); err != nil {
				t.Fatal(err)
			}
		}
		wantPK, wantIdx := 0, 0
		if s.Dialect.PrimaryKeys() {
			wantPK = 2
		}
		if s.Dialect.IndexLinks() {
			wantIdx = 1
		}
		if pks != wantPK || idx != wantIdx {
			t.Errorf("primary keys = %d (want %d), link indexes = %d (want %d)", pks, wantPK, idx, wantIdx)
		}
		// The same document again changes nothing and records no version.
		res, err := Apply(ctx, s, []byte(readDoc(t)), ApplyOptions{})
		if err != nil || !res.Unchanged || res.Version != currentVersion(t, s) {
			t.Fatalf("re-apply = %+v, %v", res, err)
		}
		h, err := History(ctx, s)
		if err != nil || len(h) != 1 {
			t.Fatalf("History = %+v, %v", h, err)
		}
	})
}

func TestApplyAdditive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, v1 := setup(t, s)
		v2 := strings.Replace(v1, "      balance: decimal(12,2)\n", "      balance: decimal(12,2)\n      phone: string\n", 1) +
			"  stores:\n    key: store_id\n    attributes: {store_id: string, city: string}\n"
		v2 = strings.Replace(v2, "      email: email\n", "      email: email\n      sms: phone\n", 1)
		res, err := Apply(ctx, s, []byte(v2), ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, c := range res.Changes {
			kinds[c.Kind] = true
			if c.Destructive {
				t.Errorf("additive change marked destructive: %+v", c)
			}
		}
		if !kinds[AddAttribute] || !kinds[CreateEntity] || !kinds[ChangeTargeting] {
			t.Errorf("changes = %+v", res.Changes)
		}
		if got := columns(t, s, "customers"); len(got) != 5 || !strings.HasPrefix(got[4], "phone ") {
			t.Errorf("customers columns = %q", got)
		}
		if got := columns(t, s, "stores"); len(got) != 2 {
			t.Errorf("stores columns = %q", got)
		}
		if res.Version != currentVersion(t, s) {
			t.Errorf("result version %d, current %d", res.Version, currentVersion(t, s))
		}
	})
}

func TestDestructiveRefusedThenAllowed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, v1 := setup(t, s)
		exec(t, s, `INSERT INTO customers (customer_id, email) VALUES (1, 'a@x'), (2, NULL), (3, 'c@x')`)
		exec(t, s, `INSERT INTO purchases (purchase_id, customer_id, amount) VALUES (10, 1, 5.5), (11, 3, 7)`)
		before := currentVersion(t, s)
		v3 := strings.Replace(v1[:strings.Index(v1, "  purchases:")], "      email: string\n", "", 1)
		v3 = strings.Replace(v3, "    targeting:\n      email: email\n", "", 1)

		// A dry run reports the losses and changes nothing.
		dry, err := Apply(ctx, s, []byte(v3), ApplyOptions{DryRun: true})
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if len(dry.Changes) == 0 || dry.Version != before {
			t.Fatalf("dry run = %+v", dry)
		}

		_, err = Apply(ctx, s, []byte(v3), ApplyOptions{})
		var de *DestructiveError
		if !errors.As(err, &de) {
			t.Fatalf("Apply = %v, want *DestructiveError", err)
		}
		msg := de.Error()
		for _, want := range []string{"drop entity purchases: 2 rows would be lost", "drop attribute customers.email: 2 non-null values would be lost"} {
			if !strings.Contains(msg, want) {
				t.Errorf("refusal lacks %q:\n%s", want, msg)
			}
		}
		if ok, _ := s.TableExists(ctx, storetest.DB(s), "purchases"); !ok || len(columns(t, s, "customers")) != 4 || currentVersion(t, s) != before {
			t.Fatalf("a refused apply changed the store")
		}

		res, err := Apply(ctx, s, []byte(v3), ApplyOptions{AllowDestructive: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Version <= before {
			t.Errorf("version %d after %d", res.Version, before)
		}
		if ok, _ := s.TableExists(ctx, storetest.DB(s), "purchases"); ok {
			t.Errorf("purchases still exists")
		}
		if got := columns(t, s, "customers"); len(got) != 3 {
			t.Errorf("customers columns = %q", got)
		}
	})
}

func TestTypeChangeConvertsData(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, v1 := setup(t, s)
		exec(t, s, `INSERT INTO customers (customer_id, code) VALUES (1, '40'), (2, '2'), (3, NULL)`)
		v2 := strings.Replace(v1, "      code: string\n", "      code: integer\n", 1)
		_, err := Apply(ctx, s, []byte(v2), ApplyOptions{})
		var de *DestructiveError
		if !errors.As(err, &de) || len(de.Changes) != 1 || de.Changes[0].Kind != ChangeType ||
			!strings.Contains(de.Changes[0].Loss, "2 non-null values") {
			t.Fatalf("Apply = %v", err)
		}
		if _, err := Apply(ctx, s, []byte(v2), ApplyOptions{AllowDestructive: true}); err != nil {
			t.Fatal(err)
		}
		var sum int64
		if err := storetest.DB(s).QueryRow(`SELECT sum(code) FROM customers`).Scan(&sum); err != nil || sum != 42 {
			t.Fatalf("sum(code) = %d, %v", sum, err)
		}
	})
}

func TestFailedApplyChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, v1 := setup(t, s)
		exec(t, s, `INSERT INTO customers (customer_id, code) VALUES (1, '40'), (2, 'abc')`)
		before := currentVersion(t, s)
		cols := columns(t, s, "customers")
		// The new attribute comes first in the plan, the failing conversion after it.
		v2 := strings.Replace(v1, "      code: string\n", "      code: integer\n      added: string\n", 1) +
			"  stores:\n    key: store_id\n    attributes: {store_id: string}\n"
		_, err := Apply(ctx, s, []byte(v2), ApplyOptions{AllowDestructive: true})
		if err == nil {
			t.Fatal("converting 'abc' to integer succeeded")
		}
		if got := columns(t, s, "customers"); !slices.Equal(got, cols) {
			t.Errorf("columns after failed apply = %q, want %q", got, cols)
		}
		if ok, _ := s.TableExists(ctx, storetest.DB(s), "stores"); ok {
			t.Errorf("table stores was created by a failed apply")
		}
		if v := currentVersion(t, s); v != before {
			t.Errorf("version = %d, want %d", v, before)
		}
	})
}

func TestChangeKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, v1 := setup(t, s)
		exec(t, s, `INSERT INTO purchases (purchase_id, customer_id) VALUES (1, 1), (2, 1)`)
		v2 := strings.Replace(v1, "    key: purchase_id\n", "    key: [purchase_id, customer_id]\n", 1)
		_, err := Apply(ctx, s, []byte(v2), ApplyOptions{})
		var de *DestructiveError
		if !errors.As(err, &de) || de.Changes[0].Kind != ChangeKey {
			t.Fatalf("Apply = %v", err)
		}
		if _, err := Apply(ctx, s, []byte(v2), ApplyOptions{AllowDestructive: true}); err != nil {
			t.Fatal(err)
		}
		if got := columns(t, s, "purchases"); !strings.HasSuffix(got[1], " no") {
			t.Errorf("new key column is nullable: %q", got)
		}
		if s.Dialect.PrimaryKeys() {
			var n int
			err := storetest.DB(s).QueryRow(`SELECT count(*) FROM information_schema.key_column_usage
				WHERE table_schema = current_schema() AND table_name = 'purchases' AND constraint_name = 'ff_pk_purchases'`).Scan(&n)
			if err != nil || n != 2 {
				t.Errorf("primary key columns = %d, %v", n, err)
			}
		}
	})
}

func TestHistoryAndVersions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, v1 := setup(t, s)
		v2 := v1 + "  stores:\n    key: store_id\n    attributes: {store_id: string}\n"
		r2, err := Apply(ctx, s, []byte(v2), ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := History(ctx, s)
		if err != nil || len(h) != 2 {
			t.Fatalf("History = %+v, %v", h, err)
		}
		if h[1].Version != r2.Version || h[0].Version >= h[1].Version || h[1].AppliedAt.IsZero() ||
			h[1].Summary != "create entity stores" || !strings.Contains(h[0].Summary, "create entity customers") {
			t.Errorf("History = %+v", h)
		}
		doc, m, err := Version(ctx, s, h[0].Version)
		if err != nil || doc != v1 || m.Entity("stores") != nil || m.Entity("customers") == nil {
			t.Errorf("Version(%d) = %q, %v", h[0].Version, doc, err)
		}
		cur, v, err := Current(ctx, s)
		if err != nil || v != r2.Version || cur.Entity("stores") == nil {
			t.Errorf("Current = %d, %v", v, err)
		}
		if _, _, err := Version(ctx, s, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Version(999) = %v", err)
		}
	})
}

func TestApplyInvalidDocument(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, err := Apply(context.Background(), s, []byte("entities:\n  a: {key: x, attributes: {x: strng}}\n"), ApplyOptions{})
		var ve *datamodel.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Line != 2 {
			t.Fatalf("Apply = %v, want *datamodel.ValidationError", err)
		}
	})
}

func TestApplyJSONRecordsFormat(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		doc := `{"entities": {"a": {"key": "x", "attributes": {"x": "string"}}}}`
		if _, err := Apply(ctx, s, []byte(doc), ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		var format string
		if err := storetest.DB(s).QueryRow(`SELECT format FROM ff_model_versions`).Scan(&format); err != nil || format != "json" {
			t.Fatalf("format = %q, %v", format, err)
		}
	})
}

func TestApplyRetailAndLinkChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		retail, err := os.ReadFile("../datamodel/testdata/retail.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(ctx, s, retail, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		// Drop the store link and its column: the link index goes first.
		v2 := strings.Replace(string(retail), "      store:    {entity: stores, reverse: purchases}\n", "", 1)
		v2 = strings.Replace(v2, "      store_id: string\n      quantity", "      quantity", 1)
		res, err := Apply(ctx, s, []byte(v2), ApplyOptions{AllowDestructive: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Changes) != 2 {
			t.Errorf("changes = %+v", res.Changes)
		}
		if got := columns(t, s, "purchases"); len(got) != 6 {
			t.Errorf("purchases columns = %q", got)
		}
	})
}
