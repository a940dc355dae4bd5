# Each target bootstraps .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# `make demo` installs the package and its runtime dependencies only; the
# targets that test or lint add the `test` and `lint` extras.
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
# Hypothesis budget (profiles in tests/support/hypothesis.py): dev is quick,
# ci is what .ci/run uses, fuzz is ten times ci (`make fuzz`).
HYPOTHESIS_PROFILE ?= dev
# `make test-matrix`: the oldest and the newest Python the project supports,
# each in its own .venv-X.Y made from pyenv's (or PATH's) pythonX.Y.
MATRIX ?= 3.9 3.13

.PHONY: demo demo-live test testAll test-matrix $(foreach v,$(MATRIX),test-py$(v)) lint bench fuzz clean system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $@ $(RUNTIME)

.venv-%/.installed: pyproject.toml
	@py=$$(.ci/find-python $*) || exit 1; \
	  test -x .venv-$*/bin/python || { echo "$$py -m venv .venv-$*"; $$py -m venv .venv-$*; }
	.venv-$*/bin/python -m pip install -q --upgrade pip
	.venv-$*/bin/python -m pip install -q -e '.[test]'
	touch $@

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
	$(VENV)/bin/ruff check hologram_sdk Hologram Exceptions UtilClasses
	$(VENV)/bin/mypy hologram_sdk

# The suite with interpreter $(1). The reference: `make test` runs everything
# but the tests that need root (pppd), `make testAll` runs those too. As root
# (CI is), `make test` runs them all as well: there a missing pppd or chat is a
# failure, never a skip.
define suite
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "$(1) -m pytest -q --hypothesis-profile=$(HYPOTHESIS_PROFILE)"; \
	  $(1) -m pytest -q --hypothesis-profile=$(HYPOTHESIS_PROFILE); \
	else \
	  echo "not root: leaving out the tests marked 'root' (sudo make testAll runs them)"; \
	  $(1) -m pytest -q --hypothesis-profile=$(HYPOTHESIS_PROFILE) -m "not root"; \
	fi
endef

test: lint system-deps
	$(call suite,$(PY))

testAll: lint system-deps
	@test "$$(id -u)" = 0 || { echo "make testAll needs root (sudo make testAll)"; exit 1; }
	$(PY) -m pytest -q --hypothesis-profile=$(HYPOTHESIS_PROFILE)

test-matrix: $(foreach v,$(MATRIX),test-py$(v))

# One interpreter of the matrix: `make test-py3.9`.
$(foreach v,$(MATRIX),test-py$(v)): test-py%: .venv-%/.installed system-deps
	$(call suite,.venv-$*/bin/python)

demo: $(RUNTIME)
	$(PY) -m hologram_sdk.demo

# The demo, then its local cloud and web dashboard keep running until Ctrl-C.
demo-live: $(RUNTIME)
	$(PY) -m hologram_sdk.demo --live

bench: $(STAMP)
	$(PY) bench/run.py

fuzz: $(STAMP)
	$(PY) -m pytest -q -m fuzz --hypothesis-profile=fuzz --timeout=1200

clean:
	rm -rf $(VENV) $(foreach v,$(MATRIX),.venv-$(v)) .bench-venv build *.egg-info \
	  .pytest_cache .mypy_cache .ruff_cache .hypothesis
