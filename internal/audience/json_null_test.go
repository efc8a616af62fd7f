package audience

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestJSONTakesNullConditions counts is_null and is_not_null on a json
// attribute, as docs/audiences.md documents (validation took them, and the
// compiler then refused them: "json attributes take no conditions"); every
// other operator stays refused on json.
func TestJSONTakesNullConditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		model := "entities:\n  people:\n    key: id\n    attributes:\n      id: integer\n      prefs: json\n"
		if _, err := schema.Apply(ctx, s, []byte(model), schema.ApplyOptions{}); err != nil {
			t.Fatalf("apply model: %v", err)
		}
		svcExec(t, s, `INSERT INTO people (id, prefs) VALUES (1, '{"news": true}'), (2, NULL), (3, '[]')`)
		svc := &Service{Store: s}
		for where, want := range map[string]int64{
			`{"attr": "prefs", "op": "is_null"}`:     1,
			`{"attr": "prefs", "op": "is_not_null"}`: 2,
		} {
			n, err := ParseJSON([]byte(where))
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.Count(ctx, &Query{Dimension: "people", Where: n})
			if err != nil || got != want {
				t.Errorf("%s: Count = %d, %v; want %d", where, got, err, want)
			}
		}
		n, _ := ParseJSON([]byte(`{"attr": "prefs", "op": "=", "value": "x"}`))
		if _, err := svc.Count(ctx, &Query{Dimension: "people", Where: n}); err == nil {
			t.Error("= on a json attribute was accepted")
		}
	})
}
