# Everyday tasks. `make test` is the README's test command; CI runs it
# through .ci/run with every suite required.

.PHONY: test test-postgres test-race fuzz bench bench-scale demo

test:
	go test ./...

# Runs the PostgreSQL suites against a local server (trust auth).
test-postgres:
	THRESHOLD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
	THRESHOLD_TEST_REQUIRE_ALL=1 go test ./...

test-race:
	go test -race ./...

# Runs every fuzz target for FUZZTIME each (default 1m): every package
# with a Fuzz function.
FUZZTIME ?= 1m
FUZZPKGS = $(shell grep -l '^func Fuzz' internal/*/*_test.go | xargs -n1 dirname | sort -u | sed 's,^,./,')
fuzz:
	@for pkg in $(FUZZPKGS); do \
		for f in $$(go test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
			echo "== $$pkg $$f"; go test $$pkg -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
		done; \
	done

bench:
	go run ./bench/ingest

# Ingest and indicator recompute of synthetic files at growing sizes, on
# SQLite and (with THRESHOLD_TEST_POSTGRES_URL or SCALE_PG set)
# PostgreSQL, against sqlite3 .import and psql \copy. SIZES=1e7 for the
# large runs (see bench/scale/RESULTS.md for time and disk).
SIZES ?= 1e4,1e5
bench-scale:
	go run ./bench/scale -sizes $(SIZES) $(if $(SCALE_PG),-pg $(SCALE_PG))

demo:
	go run . demo
