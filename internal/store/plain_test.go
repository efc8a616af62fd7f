package store

import (
	"math/big"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

func TestPlainDecimals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value int64
		scale uint8
		want  string
	}{
		{"keeps trailing zeros", 13790, 2, "137.90"},
		{"whole", 500, 2, "5.00"},
		{"below one", 5, 3, "0.005"},
		{"negative below one", -5, 2, "-0.05"},
		{"negative", -176542, 2, "-1765.42"},
		{"zero", 0, 2, "0.00"},
		{"no scale", 42, 0, "42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Plain(duckdb.Decimal{Width: 18, Scale: tc.scale, Value: big.NewInt(tc.value)})
			if got != tc.want {
				t.Fatalf("Plain = %v, want %s", got, tc.want)
			}
		})
	}
	if got := Plain([]byte("x")); got != "x" {
		t.Fatalf("bytes: %v", got)
	}
}
