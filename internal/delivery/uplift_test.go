package delivery

import (
	"math"
	"testing"
)

// TestNewcombe checks the interval against the worked examples of
// Newcombe (1998), "Interval estimation for the difference between
// independent proportions: comparison of eleven methods", Statistics in
// Medicine 17, Table II, method 10.
func TestNewcombe(t *testing.T) {
	for _, tc := range []struct {
		x1, n1, x2, n2 int64
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{5, 56, 0, 29, -0.0381, 0.1926},
	} {
		d, lo, hi := Newcombe(tc.x1, tc.n1, tc.x2, tc.n2)
		if math.Abs(d-(float64(tc.x1)/float64(tc.n1)-float64(tc.x2)/float64(tc.n2))) > 1e-12 ||
			math.Abs(lo-tc.lo) > 0.00005 || math.Abs(hi-tc.hi) > 0.00005 {
			t.Errorf("%d/%d − %d/%d: %.4f [%.4f, %.4f], want [%.4f, %.4f]", tc.x1, tc.n1, tc.x2, tc.n2, d, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestNewcombeProperties: swapping the groups negates the interval, it
// stays within [−1, 1], and for large groups it meets the Wald interval.
func TestNewcombeProperties(t *testing.T) {
	d, lo, hi := Newcombe(30, 1000, 20, 1000)
	d2, lo2, hi2 := Newcombe(20, 1000, 30, 1000)
	if math.Abs(d+d2) > 1e-12 || math.Abs(lo+hi2) > 1e-12 || math.Abs(hi+lo2) > 1e-12 {
		t.Errorf("swapped: [%f, %f] and [%f, %f]", lo, hi, lo2, hi2)
	}
	if _, lo, hi := Newcombe(10, 10, 0, 10); lo < -1 || hi > 1 {
		t.Errorf("all against none: [%f, %f]", lo, hi)
	}
	p1, p2, n := 0.12, 0.10, 1e6
	wald := z95 * math.Sqrt(p1*(1-p1)/n+p2*(1-p2)/n)
	if _, lo, hi := Newcombe(120000, 1000000, 100000, 1000000); math.Abs((hi-lo)/2-wald) > 1e-5 {
		t.Errorf("a million each: half-width %f, Wald's %f", (hi-lo)/2, wald)
	}
}
