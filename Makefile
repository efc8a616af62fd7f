# Fanfare — run `make help` for the targets.
GO        ?= go
FUZZTIME  ?= 4s
CUSTOMERS ?= 1000000
RECIPIENTS ?= 20000

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run Fanfare with the retail demo on the embedded store (http://127.0.0.1:8080)
	$(GO) run ./cmd/fanfare serve --demo

.PHONY: build
build: ## Build bin/fanfare
	$(GO) build -o bin/fanfare ./cmd/fanfare

# Tests on private stores run in parallel (storetest.Each): -parallel 4 keeps
# a 2-core machine busy while tests wait on PostgreSQL and the disk (engine
# 35 s → 30 s against the default of GOMAXPROCS), and caps how many DuckDB
# stores a package opens at once on a larger one.
.PHONY: test
test: ## Run the whole test suite: every package on both stores, then each fuzz target briefly
	$(GO) test -count=1 -parallel 4 ./...
	$(MAKE) --no-print-directory fuzz

# The fuzz targets are found in the test sources: `go test -list` would link
# a test binary per package (seconds each with DuckDB) only to list them.
.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 4s)
	@set -e; \
	pkgs=$$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); \
	for pkg in $$pkgs; do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$dir"/*_test.go); do \
	    echo "fuzz $$pkg $$f"; \
	    log=$$(mktemp); \
	    if ! $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg > $$log 2>&1; then \
	      cat $$log; \
	      if grep -q 'Failing input written' $$log; then exit 1; fi; \
	      echo "fuzz $$f: the fuzzing engine failed without a failing input (an overloaded machine); trying once more"; \
	      $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	    fi; \
	    rm -f $$log; \
	  done; \
	done

.PHONY: bench
bench: ## Benchmarks on the 1M-customer demo data, both stores (CUSTOMERS=… to resize; RECIPIENTS=… for the send benchmarks, default 20000)
	FANFARE_BENCH_CUSTOMERS=$(CUSTOMERS) FANFARE_BENCH_RECIPIENTS=$(RECIPIENTS) $(GO) test -run='^$$' -bench=. -benchtime=1x -timeout=180m ./bench/

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
