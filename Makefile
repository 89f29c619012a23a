# minzheng: the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# PostgreSQL for the second run of the suite (the server of this machine, trust auth).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/minzheng
# Debian packages the project needs: gettext (msgfmt compiles the Chinese translations),
# chromium (the browser tests drive it through Playwright), fonts-noto-cjk (Chinese glyphs in
# the browser) and fonts-wqy-zenhei (the TrueType CJK font embedded in PDF reports).
# nodejs (with npm) installs the browser libraries the app serves itself (package.json).
APT_PACKAGES := gettext chromium fonts-noto-cjk fonts-wqy-zenhei nodejs

.PHONY: help env demo demo-data test test-sqlite test-postgres messages messages-update lint apt

help:
	@echo "make demo  - set up, load the demo province and serve http://127.0.0.1:8000"
	@echo "make test  - set up and run the whole suite on SQLite and PostgreSQL"

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --all-extras --compile-bytecode --python $(PYTHON)
	@touch $@

MO_FILES := $(patsubst %.po,%.mo,$(wildcard src/minzheng/locale/*/LC_MESSAGES/*.po))
%.mo: %.po
	msgfmt --check -o $@ $<

messages: apt $(MO_FILES)

# Browser libraries (ECharts), locked by package-lock.json, served by the app (no CDN).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

env: apt $(BIN)/.synced messages node_modules/.installed

DEMO_SCALE ?= 0.005
# Where the demo's lake and screening results go (the load test builds its own elsewhere).
DEMO_DIR ?= var
demo: env demo-data
	$(BIN)/minzheng serve

# The demo province without the server: into the database of DATABASE_URL (SQLite in
# MINZHENG_VAR_DIR by default), the lake and screening results into DEMO_DIR.
demo-data: env
	$(BIN)/minzheng synth --scale $(DEMO_SCALE) --seed 1 --out $(DEMO_DIR)/lake
	$(BIN)/minzheng init --subcounty $(DEMO_DIR)/lake/regions/subcounty.csv
	$(BIN)/minzheng feed load-lake $(DEMO_DIR)/lake --user steward
	$(BIN)/minzheng eldercare load-records --lake $(DEMO_DIR)/lake --user steward
	$(BIN)/minzheng snapshot build --as-of 2020-12-31 --user steward
	$(BIN)/minzheng screen --date 2020-12-31 --out $(DEMO_DIR)/screen
	$(BIN)/minzheng cases demo --caseworker caseworker --approver approver
	$(BIN)/minzheng cases demo --caseworker caseworker_dq --approver approver
	$(BIN)/minzheng discover screen --date 2020-12-31 --out $(DEMO_DIR)/findings --with-cases
	$(BIN)/minzheng discover signals --date 2020-12-31 --out $(DEMO_DIR)/signals
	$(BIN)/minzheng discover tasks --as-of 2020-12-31 --findings $(DEMO_DIR)/findings --signals $(DEMO_DIR)/signals
	$(BIN)/minzheng discover monitor --date 2020-12-31 --findings $(DEMO_DIR)/findings --signals $(DEMO_DIR)/signals

test: env
	scripts/ensure-postgres "$(PG_TEST_URL)"
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "=== test suite on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest

# Lake tests (synthetic province, engine backends) touch no database: they run once.
test-postgres:
	@echo "=== test suite on PostgreSQL ==="
	DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -m "not lake"

# Benchmarks need the bench group (OpenFisca for the side-by-side comparison).
bench-env: env
	$(UV) sync --frozen --all-extras --group bench --python $(PYTHON)

lint: env
	$(BIN)/ruff check src tests

# Refresh the Chinese catalogue after changing user-facing text; then translate the new entries.
messages-update: env
	cd src/minzheng && ../../$(BIN)/python -m django makemessages -l zh_Hans --no-location --settings=minzheng.settings
	msgattrib --no-obsolete -o src/minzheng/locale/zh_Hans/LC_MESSAGES/django.po src/minzheng/locale/zh_Hans/LC_MESSAGES/django.po
