// Package bench holds Fanfare's benchmarks over the demo data (make bench).
// FANFARE_BENCH_CUSTOMERS sets the scale (default 1 000 000 customers,
// about 10 million purchases); generated files are cached in bench/data/.
package bench
