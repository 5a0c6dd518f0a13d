# TradeBooth: `make run` and `make test` each install what they need, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Under libfaketime (`faketime '2026-12-08 23:40:00' make test`, the suite at another hour):
# its fix for timed waits on a monotonic condition variable breaks CPython's GIL hand-over
# (two busy threads run ten times slower), so it is off. Without libfaketime it means nothing.
export FAKETIME_FORCE_MONOTONIC_FIX := 0

.PHONY: run test test-slow lint typecheck venv sysdeps services bench clean

run: $(STAMP)
	$(PY) -m app

test: $(STAMP) sysdeps services
	$(PY) -m pytest

test-slow: $(STAMP) sysdeps services
	$(PY) -m pytest -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check app rtc rooms interpreters bench tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy rtc rooms interpreters

venv: $(STAMP)

$(STAMP): pyproject.toml scripts/requirements.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "TradeBooth needs Python >= 3.11"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
		|| scripts/apt-install python3-venv
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PYTHON) scripts/requirements.py > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $(STAMP)

# Debian packages the tests need: Chromium for the browser tests, CJK fonts for Korean pages, coturn for the TURN tests, faketime to start the service at other hours,
# janus for bench.relay --against janus (its service is never started).
sysdeps:
	@scripts/apt-install chromium fonts-noto-cjk fonts-noto-color-emoji coturn faketime janus

# PostgreSQL and Redis on loopback, started when they are installed but down.
services:
	@scripts/services

bench: $(STAMP)
	$(PY) -m bench.relay

clean:
	rm -rf $(VENV) var/*.db
