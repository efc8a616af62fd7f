package audience

import (
	"reflect"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

func TestEvalThreeValuedLogic(t *testing.T) {
	m, err := datamodel.Parse([]byte("entities:\n  people:\n    key: id\n    attributes: {id: integer, n: integer}\n"))
	if err != nil {
		t.Fatal(err)
	}
	data := Dataset{"people": {{"id": int64(1), "n": int64(5)}, {"id": int64(2), "n": int64(6)}, {"id": int64(3), "n": nil}}}
	tests := []struct {
		name string
		n    *Node
		want [][]any
	}{
		{"!= is not true for null", &Node{Attr: "n", Op: OpNe, Value: 5.0}, keys(2)},
		{"not over null stays unknown", &Node{Not: &Node{Attr: "n", Op: OpEq, Value: 5.0}}, keys(2)},
		{"not_in is not true for null", &Node{Attr: "n", Op: OpNotIn, Value: []any{5.0}}, keys(2)},
		{"unknown or true", &Node{Or: []*Node{{Attr: "n", Op: OpEq, Value: 5.0}, {Attr: "id", Op: OpEq, Value: 3.0}}}, keys(1, 3)},
		{"is_null is never unknown", &Node{Not: &Node{Attr: "n", Op: OpIsNull}}, keys(1, 2)},
		{"everything", &Node{}, keys(1, 2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(m, data, &Query{Dimension: "people", Where: tt.n}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvalAnniversaryLeapDay(t *testing.T) {
	m, err := datamodel.Parse([]byte("entities:\n  people:\n    key: id\n    attributes: {id: integer, born: date}\n"))
	if err != nil {
		t.Fatal(err)
	}
	born := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	data := Dataset{"people": {{"id": int64(1), "born": born("2000-02-29")}, {"id": int64(2), "born": born("1990-03-01")}, {"id": int64(3), "born": nil}}}
	tests := []struct {
		now  string
		days float64
		want [][]any
	}{
		{"2025-02-28T10:00:00Z", 0, keys(1)},    // not a leap year: the 28th
		{"2024-02-28T10:00:00Z", 0, keys()},     // a leap year: the 29th is its own day
		{"2024-02-28T10:00:00Z", 1, keys(1)},    //
		{"2025-02-27T10:00:00Z", 2, keys(1, 2)}, // 28 Feb and 1 Mar
	}
	for _, tt := range tests {
		now, _ := time.Parse(time.RFC3339, tt.now)
		q := &Query{Dimension: "people", Now: now, Where: &Node{Attr: "born", Op: OpAnniversaryWithin, Value: tt.days}}
		got, err := Evaluate(m, data, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%s within %v: got %v, want %v", tt.now, tt.days, got, tt.want)
		}
		days := anniversaryDays(todayIn(now, time.UTC), int(tt.days))
		t.Logf("%s +%v: %v", tt.now, tt.days, days)
	}
}
