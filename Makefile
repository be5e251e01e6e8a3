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

.PHONY: demo test lint format bench clean system-deps

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
	$(BIN)/python benchmarks/cli.py
	$(BIN)/python benchmarks/ingest.py --count 100000
	$(BIN)/python benchmarks/imap.py --count 10000
	$(BIN)/python benchmarks/report.py --events 1000000

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
