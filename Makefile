# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
# The distribution's CPython 3.11 where it has venv (Debian builds it with profile-guided and link-time
# optimisation; the scoring path runs about 10% faster on it than on pyenv's default build, README),
# else whatever python3 is first on PATH.
PY ?= $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app app
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/13
DEMO_DIR := instance/demo
DEMO_ENV := DATABASE_URL=sqlite:///$(CURDIR)/$(DEMO_DIR)/workbench.db INSTANCE_DIR=$(CURDIR)/$(DEMO_DIR)
PYTEST := $(BIN)/python -m pytest

.PHONY: install browser services demo demo-data serve scheduler test test-sqlite test-postgres test-integration lint bench clean i18n i18n-compile

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Message catalogues (app/<area>/translations): `make i18n` extracts new strings into them after code
# changes; the compiled .mo files are built, never committed.
i18n: install
	$(BIN)/python scripts/i18n.py extract

i18n-compile: install
	@$(BIN)/python scripts/i18n.py compile

# Debian's chromium for the browser tests, a CJK font so Chinese renders in its pages, screenshots
# and exported PDFs, and Pango for WeasyPrint (compliance's PDF reports); Playwright never downloads a browser here.
browser:
	@test -x /usr/bin/chromium && test -d /usr/share/fonts/opentype/noto && ldconfig -p | grep -q libpangoft2 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

# PostgreSQL and Redis must be up for the integration half of the suite; start them if they are down.
services:
	@scripts/ensure-services.sh

demo: install demo-data serve

demo-data: install i18n-compile
	mkdir -p $(DEMO_DIR)
	$(DEMO_ENV) $(FLASK) db upgrade
	$(DEMO_ENV) $(FLASK) simulate $(DEMO_DIR)/world --proofs 20000 --workers 2500 --campaigns 60
	-$(DEMO_ENV) $(FLASK) import $(DEMO_DIR)/world --no-score
	-$(DEMO_ENV) $(FLASK) ml train
	$(DEMO_ENV) $(FLASK) score
	-$(DEMO_ENV) $(FLASK) settle
	-$(DEMO_ENV) $(FLASK) brands refresh
	-$(DEMO_ENV) $(FLASK) demo-activity
	$(DEMO_ENV) $(FLASK) users demo-logins

serve: install i18n-compile
	@echo "Workbench on http://127.0.0.1:5000 (Ctrl-C stops it)"
	$(DEMO_ENV) $(FLASK) run --host 127.0.0.1 --port 5000

# The periodic work (reconciler, settlement, expired claims, retention, brand scorecards): on RQ when
# REDIS_URL is set (next to `flask worker`), else in this process against the demo database.
scheduler: install i18n-compile
	$(DEMO_ENV) $(FLASK) scheduler

test: install browser services lint test-sqlite test-postgres test-integration

test-sqlite: install i18n-compile
	$(PYTEST) -n 2 -m "not integration"

test-postgres: install services i18n-compile
	TEST_DATABASE_URL=$(PG_URL) $(PYTEST) -n 2 -m "not integration and not browser"

test-integration: install services i18n-compile
	TEST_DATABASE_URL=$(PG_URL) TEST_REDIS_URL=$(REDIS_TEST_URL) $(PYTEST) -m integration

# ruff, then the import contracts of .importlinter (the layering of app/, models/, review_rules/, ml/).
lint: install
	$(BIN)/ruff check app models review_rules ml scripts tests config.py
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/python scripts/bench/import_world.py

clean:
	rm -rf $(VENV) instance .pytest_cache
