# Needlepoint — every target sets up what it needs first (Python venv via uv, locked).
SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
export UV_PROJECT_ENVIRONMENT := $(VENV)

DEMO_ENV := DJANGO_SETTINGS_MODULE=needlepoint.web.settings.demo
ADMIN := $(BIN)/django-admin

.PHONY: setup run test test-sqlite test-later test-postgres test-browser vignettes bench lint clean

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

# The demo clinic on an embedded SQLite database (var/), served by gunicorn on 127.0.0.1:8000,
# with the django-tasks-db worker beside it sending reminders (as files in var/outbox); Ctrl-C
# stops both (scripts/run-demo.sh).
run: setup
	$(DEMO_ENV) $(ADMIN) migrate --noinput -v0
	$(DEMO_ENV) $(ADMIN) collectstatic --noinput -v0
	$(DEMO_ENV) $(ADMIN) seed_demo --if-empty
	$(DEMO_ENV) BIN=$(BIN) ./scripts/run-demo.sh

vignettes: setup
	$(BIN)/python $(SHARED)/tools/check_vignettes.py $(SHARED)/vignettes --cmd "$(BIN)/needlepoint"

# Lint, formatting and strict types first, then the vignettes, the suite on SQLite, again with
# the clock 400 days ahead, again on PostgreSQL (installed and started if needed), then the
# end-to-end browser tests in Debian's Chromium.
test: setup lint vignettes test-sqlite test-later test-postgres test-browser

test-sqlite: setup
	$(BIN)/pytest -m "not browser" -p no:cacheprovider

# The SQLite suite with the machine's clock moved 400 days ahead (Debian's libfaketime): a test
# that passes only on the day it was written fails here.
test-later: setup
	@command -v faketime >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime)
	faketime "$$(date -u -d '+400 days' '+%Y-%m-%d %H:%M:%S')" $(BIN)/pytest -m "not browser" \
		-p no:cacheprovider -q

test-postgres: setup
	DATABASE_URL=$$(./scripts/ensure-postgres.sh) $(BIN)/pytest -m "not browser" -p no:cacheprovider \
		--create-db

test-browser: setup
	./scripts/ensure-chromium.sh
	./scripts/ensure-axe.sh >/dev/null
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m browser -p no:cacheprovider

# The benchmarks' own tools (locust and what it brings) are installed here only, never by run or test.
bench: setup
	$(UV) sync --frozen --group bench --quiet
	$(BIN)/python bench/bench_clinical.py
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/bench_scheduling.py
	$(BIN)/python bench/bench_photo.py

# Lint, formatting and strict types over all of src (django-stubs reads the Django apps).
lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
