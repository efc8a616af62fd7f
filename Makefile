# Fanfare — run `make help` for the targets.
GO        ?= go
NPM       ?= npm
FUZZTIME  ?= 4s
CUSTOMERS ?= 1000000
RECIPIENTS ?= 20000
MESSAGES ?= 1000000

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run Fanfare with the retail demo on the embedded store; the console is at http://127.0.0.1:8080/
	@echo "The console: http://127.0.0.1:8080/ (sign in with the API token in fanfare-data/api-token)"
	$(GO) run ./cmd/fanfare serve --demo

.PHONY: build
build: ## Build bin/fanfare
	$(GO) build -o bin/fanfare ./cmd/fanfare

# Tests on private stores run in parallel (storetest.Each): -parallel 4 keeps
# a 2-core machine busy while tests wait on PostgreSQL and the disk (engine
# 35 s → 30 s against the default of GOMAXPROCS), and caps how many DuckDB
# stores a package opens at once on a larger one.
.PHONY: test
test: ui-check ## Run the whole test suite: the console's checks, every package on both stores, each fuzz target briefly, then the browser tests
	$(GO) test -count=1 -parallel 4 ./...
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory e2e

# The fuzz targets are found in the test sources: `go test -list` would link
# a test binary per package (seconds each with DuckDB) only to list them.
# Each package's fuzzing binary is built once and run for each of its
# targets, in the package's directory as `go test` runs it (its
# testdata/fuzz corpus) and with `go test`'s cache of inputs: `go test
# -fuzz` per target linked and vetted the package again each time (the
# packages' run vets them): `make fuzz` 118 s → 102 s on a 2-core machine.
.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 4s)
	@set -e; \
	bin=$$(mktemp -d); trap 'rm -rf "$$bin"' EXIT; \
	cache=$$($(GO) env GOCACHE)/fuzz; \
	$(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ./... > "$$bin/pkgs"; \
	while read -r pkg dir; do \
	  targets=$$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$dir"/*_test.go); \
	  [ -n "$$targets" ] || continue; \
	  $(GO) test -c -vet=off -fuzz=. -o "$$bin/fuzz.test" $$pkg; \
	  for f in $$targets; do \
	    echo "fuzz $$pkg $$f"; \
	    log=$$(mktemp); \
	    run() { (cd "$$dir" && "$$bin/fuzz.test" -test.run='^$$' -test.fuzz="^$$f$$" -test.fuzztime=$(FUZZTIME) -test.fuzzcachedir="$$cache/$$pkg" < /dev/null); }; \
	    if ! run > $$log 2>&1; then \
	      cat $$log; \
	      if grep -q 'Failing input written' $$log; then exit 1; fi; \
	      echo "fuzz $$f: the fuzzing engine failed without a failing input (an overloaded machine); trying once more"; \
	      run || exit 1; \
	    fi; \
	    rm -f $$log; \
	  done; \
	done < "$$bin/pkgs"

.PHONY: bench bench-ui
bench: ## Benchmarks on the 1M-customer demo data, both stores (CUSTOMERS=… to resize; RECIPIENTS=… for the send and tracking benchmarks, default 20000; MESSAGES=… for the report, default 1000000; BENCH=regexp to pick)
	@command -v wrk >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && apt-get install -y wrk >/dev/null; } || \
		echo "wrk is not installed: BenchmarkTrackingServe will skip (Debian/Ubuntu: sudo apt-get install -y wrk; macOS: brew install wrk)"
	FANFARE_BENCH_CUSTOMERS=$(CUSTOMERS) FANFARE_BENCH_RECIPIENTS=$(RECIPIENTS) FANFARE_BENCH_MESSAGES=$(MESSAGES) $(GO) test -run='^$$' -bench='$(or $(BENCH),.)' -benchtime=1x -timeout=180m ./bench/

bench-ui: web/node_modules/.package-lock.json ## The console's live count in Chromium over 50 edits, and its first load, on the demo data (embedded; CUSTOMERS=…)
	sh web/bench/run.sh $(CUSTOMERS)

# The web console (web/, docs/console.md) is built into
# internal/console/dist and committed, so that `go build` needs no Node.
# npm ci runs again only when the lockfile is newer than node_modules.
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(NPM) ci

.PHONY: ui
ui: web/node_modules/.package-lock.json ## Rebuild the web console (API types, then the build into internal/console/dist)
	cd web && $(NPM) run gen && $(NPM) run build

# ui-check rebuilds the console from the lockfile as CI does, lints it
# (no literal text in components), checks the catalogs, and fails when the
# committed build or API types differ from what the sources give (stale:
# run `make ui` and commit). The build is reproducible, so a clean tree
# stays clean.
.PHONY: ui-check
ui-check: ## Check the web console: npm ci, API types, lint, catalogs, build, and no difference from what is committed
	cd web && $(NPM) ci && $(NPM) run gen && $(NPM) run lint && $(NPM) run catalogs && $(NPM) run build
	@git diff --exit-code --stat -- internal/console/dist web/src/api || { \
	  git diff -- web/src/api | head -40; \
	  echo "The committed console build or API types are stale: run \`make ui\` and commit internal/console/dist and web/src/api."; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- internal/console/dist web/src/api); \
	if [ -n "$$untracked" ]; then echo "Not committed: $$untracked (run \`make ui\` and commit them)"; exit 1; fi

# The browser tests (web/e2e, docs/console.md): Playwright drives Debian's
# Chromium against `fanfare serve --demo` on both stores (PostgreSQL at
# FANFARE_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test,
# where each run makes and drops its own database). web/scripts/chromium.sh
# finds Chromium or, as root, installs Debian's; without one they fail when
# CI is set and are skipped loudly otherwise. Nothing downloads a browser.
.PHONY: e2e
e2e: web/node_modules/.package-lock.json ## Browser tests of the console (Playwright, Chromium) on both stores
	@chromium=$$(sh web/scripts/chromium.sh); rc=$$?; \
	if [ $$rc -eq 3 ]; then exit 0; elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	cd web && FANFARE_E2E_CHROMIUM=$$chromium $(NPM) run e2e

.PHONY: screenshots
screenshots: web/node_modules/.package-lock.json ## Take the console's pictures in docs/img/console-*.png (the browser tests' servers, the embedded store)
	@chromium=$$(sh web/scripts/chromium.sh); rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "screenshots need Chromium" >&2; exit 1; fi; \
	cd web && npx tsc -p e2e && FANFARE_SCREENSHOTS=1 FANFARE_E2E_CHROMIUM=$$chromium npx playwright test e2e/screenshots.spec.ts --project embedded

.PHONY: lint
# gofmt reads the repository's Go files, not web/node_modules (some npm
# packages ship Go sources).
lint: ## gofmt and go vet
	@files=$$(git ls-files -co --exclude-standard '*.go'); \
	test -z "$$(gofmt -l $$files)" || { gofmt -l $$files; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
