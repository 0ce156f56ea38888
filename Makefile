# Jointly: `make run` serves the app on SQLite, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run moderator test test-postgres lint format serve serve-nginx install install-dev clean bench translations compile-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when the requirement files change.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed compile-translations
	@scripts/system-deps.sh
install-dev: $(VENV)/.installed-dev compile-translations
	@scripts/system-deps.sh --test
	@$(MAKE) --no-print-directory $(VNU_STAMP)

# The W3C Nu Html Checker for tests/test_markup.py: a pinned vnu.jar from npm, run with Java
# (both installed by system-deps.sh --test), kept in .cache/vnu, never installed globally.
VNU_VERSION := 26.9.27
VNU_STAMP := .cache/vnu/.installed-$(VNU_VERSION)
$(VNU_STAMP):
	rm -rf .cache/vnu
	npm install --silent --no-audit --no-fund --no-save --prefix .cache/vnu vnu-jar@$(VNU_VERSION)
	touch $@

# Compiled catalogues (.mo) are built here, never committed; each is rebuilt when its .po changes.
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
compile-translations: $(CATALOGUES:.po=.mo)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

# Extract every translatable string (see babel.cfg) and merge it into each catalogue; then
# translate the new entries and those marked fuzzy in translations/<language>/LC_MESSAGES/messages.po.
translations: | $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --project Jointly --sort-by-file -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete

run: install
	$(FLASK) db upgrade
	$(FLASK) statements import --if-empty
	$(FLASK) reasons seed
	PORT=$(PORT) MAIL_CONSOLE_LINKS=$${MAIL_CONSOLE_LINKS:-true} $(FLASK) run --host 127.0.0.1 --port $(PORT)

# A moderator account, before or while `make run` runs (installs and migrates first if needed):
#   make moderator EMAIL=you@example.org ADMIN=1   (prompts for a password; ADMIN=1 for the admin role)
moderator: install
	@test -n "$(EMAIL)" || { echo 'Usage: make moderator EMAIL=you@example.org [ADMIN=1]' >&2; exit 2; }
	$(FLASK) moderators create '$(EMAIL)' $(if $(ADMIN),--admin)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/pytest

# The same suite against PostgreSQL (CI runs this after `make test`).
test-postgres: install-dev
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Production: gunicorn against DATABASE_URL, workers from WEB_CONCURRENCY. A database that
# holds data is backed up into BACKUP_DIR before migrations change it.
serve: install
	@scripts/system-deps.sh --serve
	$(FLASK) backup --before-upgrade
	$(FLASK) db upgrade
	$(FLASK) statements import --if-empty
	$(FLASK) reasons seed
	RATELIMIT_STORAGE_URI=$${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0} \
	  $(BIN)/gunicorn --workers $${WEB_CONCURRENCY:-2} --bind 127.0.0.1:$(PORT) --error-logfile - 'app:create_app()'

# Production behind nginx (README "Deploying"): nginx on 127.0.0.1:$(PORT) from deploy/nginx.conf,
# gunicorn on a unix socket and the mail worker; nginx's files under NGINX_DIR (instance/nginx).
serve-nginx: install
	@scripts/system-deps.sh --nginx
	$(FLASK) backup --before-upgrade
	$(FLASK) db upgrade
	$(FLASK) statements import --if-empty
	PORT=$(PORT) BIN=$(BIN) scripts/serve-nginx.sh

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts .cache

# Load benchmark (issue: fast under a rush); writes docs/benchmarks.md.
bench: install-dev
	@scripts/system-deps.sh --bench
	$(BIN)/python -m bench
