# The two commands of the README: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv lint contracts pytest bench bundle clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cryodesk gui

lint: $(STAMP)
	$(VENV)/bin/ruff check cryodesk tests build

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

# Two passes: most tests over TEST_WORKERS processes (pytest-xdist; each test file stays on one worker,
# so its module fixtures are built once), then the timing-sensitive ones (marked `serial`) alone, so
# that a neighbouring test cannot make them miss their bounds.
TEST_WORKERS ?= 2
pytest: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not serial" tests; \
	parallel=$$?; QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m serial tests; serial=$$?; \
	echo "pytest: parallel pass exit $$parallel, serial pass exit $$serial"; \
	test $$parallel -eq 0 && test $$serial -eq 0

test: $(STAMP)
	$(MAKE) --no-print-directory lint contracts pytest

# The installers (build/README.md): a clean build venv in build/out/venv with only the runtime dependencies,
# PyInstaller, the .tar.gz, the .deb and SHA256SUMS; then the frozen self-test from a temporary folder with a
# clean HOME, the start-up and first-start figures and the package upgrade test. Needs no .venv.
bundle:
	$(PYTHON) build/build.py
	$(PYTHON) build/check_bundle.py

bench: $(STAMP)
	@for b in tests/bench/bench_*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build/out
