# Each target bootstraps .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test testAll lint bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check hologram_sdk Hologram
	$(VENV)/bin/mypy hologram_sdk

# The reference: `make test` runs everything except tests/Network (root needed);
# `make testAll` runs those too. Here the network tests run in both when the
# machine can (CI runs as root with ppp installed); testAll insists on root.
test: lint
	$(PY) -m pytest -q

testAll: lint
	@test "$$(id -u)" = 0 || { echo "make testAll needs root (sudo make testAll)"; exit 1; }
	HOLOGRAM_REQUIRE_ROOT_TESTS=1 $(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m hologram_sdk.demo

bench: $(STAMP)
	$(PY) bench/run.py

fuzz: $(STAMP)
	HOLOGRAM_FUZZ_FACTOR=10 $(PY) -m pytest -q -m fuzz --timeout=1200

clean:
	rm -rf $(VENV) .bench-venv build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
