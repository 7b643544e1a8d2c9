# Two commands for a newcomer: `make demo` (the app on an embedded database with demo data)
# and `make test` (lint, types, import layers, the whole suite on PostgreSQL 15/local and 18/embedded).
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
STAMP    = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test lint install clean-venv bench manifest

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# pyscard (smart cards) compiles against libpcsclite; without it the kiosk still runs
	# with keyboard-wedge readers and the PC/SC tests are skipped (CI installs it).
	@$(BIN)/pip install -q -e '.[dev,smartcard]' > $(VENV)/pyscard-build.log 2>&1 \
	  || { echo "note: optional smart-card support (pyscard) did not build (it needs libpcsclite-dev and swig); WorkCell runs with keyboard-wedge readers and skips the PC/SC tests. Details: $(VENV)/pyscard-build.log"; \
	       $(BIN)/pip install -q -e '.[dev]'; }
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/workcell demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The failover test (marked serial) runs alone after the parallel suite and its Pilot tests:
# it starts three PostgreSQL servers of its own and times a failover, which two busy
# workers would distort (tests/reliability/test_failover.py, docs/operations.md).
test: lint
	$(BIN)/pytest -n 2 --dist loadgroup -m "not serial"
	$(BIN)/pytest -m serial -p no:randomly
	WORKCELL_TEST_DATABASE_URL=embedded $(BIN)/pytest -m pg18 -p no:randomly

# Each benchmark creates and drops its own scratch database; see docs/BENCHMARKS.md.
bench: $(STAMP)
	for b in audit_overhead signatures kiosk audit_browser bom_explosion hardware equipment records soak failover; do \
	    $(BIN)/python -m bench.$$b || exit 1; done

# After changing a SECURITY DEFINER function, trigger function or trigger: the release manifest
# that `workcell audit verify` fingerprints them against.
manifest: $(STAMP)
	$(BIN)/python -m tests.manifest
	$(BIN)/python -m tests.trace  # the validation report's trace matrix (requirement markers)

clean-venv:
	rm -rf $(VENV)
