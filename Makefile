# Each target bootstraps .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test testAll lint bench fuzz clean system-deps

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The network tests run the real chat and pppd (Debian's ppp package). As root
# with apt-get, install it when missing; otherwise say what those tests need.
system-deps:
	@if ! command -v pppd >/dev/null 2>&1 && ! test -x /usr/sbin/pppd; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing ppp (pppd and chat) for the network tests"; \
	    (apt-get install -y -qq ppp >/dev/null 2>&1 || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ppp)); \
	  else \
	    echo "note: pppd/chat missing: the network tests need 'sudo apt-get install ppp'"; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check hologram_sdk Hologram
	$(VENV)/bin/mypy hologram_sdk

# The reference: `make test` runs everything but the tests that need root
# (pppd), `make testAll` runs those too. As root (CI is), `make test` runs them
# all as well: there a missing pppd or chat is a failure, never a skip.
test: lint system-deps
	@if [ "$$(id -u)" = 0 ]; then \
	  $(PY) -m pytest -q; \
	else \
	  echo "not root: leaving out the tests marked 'root' (sudo make testAll runs them)"; \
	  $(PY) -m pytest -q -m "not root"; \
	fi

testAll: lint system-deps
	@test "$$(id -u)" = 0 || { echo "make testAll needs root (sudo make testAll)"; exit 1; }
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m hologram_sdk.demo

bench: $(STAMP)
	$(PY) bench/run.py

fuzz: $(STAMP)
	HOLOGRAM_FUZZ_FACTOR=10 $(PY) -m pytest -q -m fuzz --timeout=1200

clean:
	rm -rf $(VENV) .bench-venv build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
