# The two commands of the README:
#   make demo   set everything up, build the bundled sample prototype and audit it into audits/demo/
#   make test   the test suite (what .ci/run calls)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := chromium poppler-utils git fonts-dejavu-core

.PHONY: setup system-deps bytecode demo test test-fast lint typecheck clean

setup: system-deps $(VENV)/.installed bytecode

# auditlib is installed editable (its sources are the package): compile them once, as a regular
# `pip install` does, so that no run compiles them again (about 0.4 s of every process start where
# PYTHONDONTWRITEBYTECODE is set); up-to-date files are skipped
bytecode: $(VENV)/.installed
	@$(BIN)/python -m compileall -q auditlib

# Debian/Ubuntu packages: chromium prints the PDF report, pdftoppm (poppler-utils) renders it in tests.
system-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && command -v git >/dev/null 2>&1; then \
	  echo "system packages present"; \
	else \
	  echo "installing $(SYSTEM_PACKAGES) with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: setup
	$(BIN)/auditlib demo --out audits/demo

# held to its own standard (issue 12): `auditlib scan .` on this repository, gated by tests/test_self_audit.py
# (no critical or high finding, scaled total at or above its floor); results outside the tree, in the venv
SELF_AUDIT := $(VENV)/self-audit/results.json

test: setup lint typecheck
	$(BIN)/auditlib scan . --offline --json $(SELF_AUDIT) -q
	AUDITLIB_SELF_AUDIT=$(SELF_AUDIT) $(BIN)/python -m pytest

# held to its own standard (issue 12): the lint gate runs before the tests
lint: setup
	$(BIN)/ruff check auditlib tests benchmarks

# held to its own standard (issue 12): mypy, strict on every module of auditlib/ ([tool.mypy] in
# pyproject.toml), runs before the tests
typecheck: setup
	$(BIN)/python -m mypy

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) audits build *.egg-info .pytest_cache
