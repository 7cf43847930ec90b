# Alert Contacts: `make run` starts the console with demo data, `make test` runs every test.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# The two processes of `make run`, started and stopped together by config/devserver.py. The task
# worker sends every activation message and alert.
WEB_CMD = $(PY) manage.py runserver 127.0.0.1:$(PORT)
WORKER_CMD = $(PY) manage.py run_worker
# The first interpreter that is Python 3.12 or newer (Django 6.1's minimum). In this repository
# pyenv picks 3.13.0 for `python3` through .python-version.
PYTHON ?= $(shell for p in python3 python3.13 python3.12; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && echo $$p && break; done)

.PHONY: run test test-fast install prepare messages lint fmt check check-django bench clean which-python oidc-provider

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is required (found: $$(python3 --version 2>&1))." >&2; exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# axe-core for the browser tests, pinned by package-lock.json (npm ci installs exactly that).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "warning: npm not found: the browser tests cannot inject axe-core and fail." >&2; \
	fi

install: $(VENV)/.installed node_modules/.installed

# The interpreter `make install` uses (empty when none is 3.12 or newer); .ci/run asks for it.
which-python:
	@echo "$(PYTHON)"

# compilemessages walks every folder under the current one looking for locale/ folders: run it
# inside locale/ so it never walks .venv (thousands of folders, Django's own catalogues), var or
# node_modules. MESSAGES_VERBOSITY=1 lists each catalogue it looked at.
MESSAGES_VERBOSITY ?= 0
messages: install
	cd locale && $(CURDIR)/$(PY) $(CURDIR)/manage.py compilemessages -v$(MESSAGES_VERBOSITY)

prepare: install messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo_data

run: export OUTBOUND_ALLOWED_NETWORKS ?= 127.0.0.0/8,::1/128
run: prepare
	@echo ""
	@echo "  Alert Contacts is running at http://127.0.0.1:$(PORT)/"
	@echo "  Sign in with password '$${DEMO_PASSWORD:-demo}' as one of:"
	@echo "    owner, dw-admin, tenant-admin, security-admin, alert-admin, contacts-viewer,"
	@echo "    developer, outsider, cn-owner; support (Django admin at /admin/)"
	@echo "  Ctrl-C stops the web server and the task worker."
	@echo ""
	@$(PY) -m config.devserver "web server=$(WEB_CMD)" "task worker=$(WORKER_CMD)"

# The OpenID Provider the sign-in tests run (tests/oidc_provider: oidc-provider on Node 20.12 or
# newer), installed from its lockfile before the tests, so nothing is downloaded while they run.
# Without Node those tests are skipped (under CI=true they fail); .ci/run installs Node.
OIDC_PROVIDER := tests/oidc_provider
$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --loglevel=error; \
	else \
		echo "warning: Node.js and npm not found: the tests with the OpenID Provider are skipped." >&2; \
	fi

oidc-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

test: install messages oidc-provider
	$(PY) -m pytest $(PYTEST_ARGS)

# Every test but the browser tests (marker `browser`: they start Chromium), for a quick round.
test-fast: install messages oidc-provider
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# Rewrites the code in the house style (ruff format) and applies ruff's safe fixes.
fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# What CI checks before the tests (also the pre-commit hooks): lint, format, types, migrations in
# step with the models, and Django's deployment checks under production settings.
CHECK_ENV = DEBUG=0 SECRET_KEY=check-deploy-only-this-is-not-a-real-key-0123456789abcdef ALLOWED_HOSTS=alerts.example.com \
	DEFAULT_FROM_EMAIL="Alert Contacts <alerts@example.com>"
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@$(MAKE) -s check-django

check-django: install
	$(PY) manage.py makemigrations --check --dry-run
	env -u DJANGO_ALLOW_ASYNC_UNSAFE $(CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var test-artifacts node_modules $(OIDC_PROVIDER)/node_modules

bench: install messages
	$(PY) manage.py bench
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		db=alert_contacts_bench_$$$$; \
		psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $$db" postgres && \
		DATABASE_URL=postgres://postgres@127.0.0.1:5432/$$db $(PY) manage.py bench; \
		psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)" postgres; \
	fi
