# bouncewatch: `make demo` and `make test` do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

#: a folder of real bounces `make bench` also measures, when there is one
CORPUS ?= $(firstword $(wildcard ../shared/corpus-dev/maildir ../../shared/corpus-dev/maildir))

.PHONY: demo test lint format bench clean system-deps compiled test-compiled clean-compiled \
	compiler-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

# the demo installs what it runs (bouncewatch and its dependencies); the tests add their tools
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP) $(RUN_STAMP)

# Debian packages the test suite and the demo use: a private Dovecot (IMAP tests, demo),
# Chromium (the HTML report is checked in a real browser), systemd-analyze (unit checks).
system-deps:
	@missing=""; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The optional compiled build (README, "A compiled build"): the parser and the classifier
# compiled by mypyc, installed (never in place) into a virtualenv of its own.  Its mypy is
# pinned: the compiled code is what this version makes of the source.
CVENV := .venv-compiled
CBIN := $(CVENV)/bin
COMPILED_STAMP := $(CVENV)/.installed
MYPYC_PIN := mypy==2.4.1
PACKAGE_SOURCES := $(shell find bouncewatch -name '*.py' -o -name '*.sql' -o -name '*.json' -o -name '*.html')

# a C compiler and the Python headers, for the compiled build only
compiler-deps:
	@missing=""; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	[ -f "$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] \
	  || missing="$$missing python3-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(CBIN)/python:
	$(PYTHON) -m venv $(CVENV) || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(CVENV); }
	$(CBIN)/pip install -q --upgrade pip

# the dependencies first (pure install), so that mypy sees their types; then the compiled
# package over it, built from a copy of the tree by the pinned mypy (no build isolation)
$(COMPILED_STAMP): pyproject.toml setup.py $(PACKAGE_SOURCES) | $(CBIN)/python compiler-deps
	$(CBIN)/pip install -q 'setuptools>=68' wheel '$(MYPYC_PIN)'
	$(CBIN)/pip install -q --no-build-isolation '.[test]'
	rm -rf build
	BOUNCEWATCH_COMPILE=1 $(CBIN)/pip install -q --no-build-isolation --no-deps --force-reinstall .
	rm -rf build
	cd /tmp && $(abspath $(CBIN))/python -c 'import bouncewatch; assert bouncewatch.COMPILED, bouncewatch.__file__'
	touch $(COMPILED_STAMP)

compiled: $(COMPILED_STAMP)

# the whole suite against the compiled build: the installed package, never the source tree
# (no current directory on sys.path, and the tests check which package they import)
test-compiled: $(COMPILED_STAMP) system-deps
	PYTHONSAFEPATH=1 BOUNCEWATCH_EXPECT_COMPILED=1 PATH="$(abspath $(CBIN)):$$PATH" \
	  $(CBIN)/python -m pytest -p no:cacheprovider

clean-compiled:
	rm -rf $(CVENV) build
	find bouncewatch \( -name '*.so' -o -name '*.pyd' \) -delete

demo: $(RUN_STAMP)
	bash tools/demo.sh

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Speed figures, each beside a baseline measured in the same run (see README, Benchmarks).
bench: $(STAMP) system-deps
	$(BIN)/python benchmarks/parse.py
	if [ -n "$(CORPUS)" ]; then $(BIN)/python benchmarks/parse.py --corpus $(CORPUS); fi
	if $(MAKE) compiled; then \
	  $(CBIN)/python benchmarks/parse.py; \
	  if [ -n "$(CORPUS)" ]; then $(CBIN)/python benchmarks/parse.py --corpus $(CORPUS); fi; \
	else echo "compiled build: not measured (it could not be built)"; fi
	$(BIN)/python benchmarks/cli.py
	$(BIN)/python benchmarks/ingest.py --count 100000
	$(BIN)/python benchmarks/imap.py --count 10000
	$(BIN)/python benchmarks/report.py --events 1000000

clean:
	rm -rf $(VENV) $(CVENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
