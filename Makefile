# Needlepoint — every target sets up what it needs first (Python venv via uv, locked).
SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run test vignettes bench lint clean

setup: $(VENV)/.synced

# A fresh Debian machine may lack the venv module; install it from Debian's packages.
$(UV):
	@python3 -c 'import ensurepip, venv' 2>/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv)
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

run: setup
	@echo "== Screening of the sample patient (examples/sample-intake.json)"
	$(BIN)/needlepoint screen examples/sample-intake.json
	@echo "== Proposed course for the sample patient"
	$(BIN)/needlepoint plan examples/sample-intake.json --start $$(date +%F)

vignettes: setup
	$(BIN)/python $(SHARED)/tools/check_vignettes.py $(SHARED)/vignettes --cmd "$(BIN)/needlepoint"

test: setup vignettes
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/bench_clinical.py

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src/needlepoint/clinical

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
