// Package demo provides a retail demonstration data set for Fanfare: a data
// model (customers, products, stores, purchases, loyalty subscriptions and
// devices) and a fast, deterministic generator that writes one CSV file per
// entity with realistic skew (countries, product popularity, seasonality,
// long-tailed purchase counts, consent rates).
//
// The same Options always produce byte-identical files, so demo data, tests
// and benchmarks can be reproduced anywhere.
package demo
