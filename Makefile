# The two commands: `make run` (a console on a laptop) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SIM_PORT ?= 8765
SIM_TOKEN ?= sim-demo-token
PORT ?= 8000

.PHONY: run test lint setup system-deps clean bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

.env:
	@echo "Writing .env for a laptop (DEBUG on, a fresh SECRET_KEY, the simulator as the API, 5-second demo minutes)"
	@printf 'DEBUG=true\nSECRET_KEY=%s\nUPSWIFT_API_URL=http://127.0.0.1:$(SIM_PORT)/v1\nUPSWIFT_USER_TOKEN=$(SIM_TOKEN)\nROLLOUT_SOAK_MINUTE_SECONDS=5\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

setup: $(VENV)/.installed .env

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup --url http://127.0.0.1:$(PORT)/
	PORT=$(PORT) SIM_PORT=$(SIM_PORT) SIM_TOKEN=$(SIM_TOKEN) SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} \
		$(VENV)/bin/honcho -f Procfile.dev start

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

system-deps:
	bash scripts/install-system-deps.sh

# The suite runs against the PostgreSQL and Redis on this machine (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379

test: system-deps lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_REDIS_URL)/0} \
	CACHE_URL=$${CACHE_URL:-$(TEST_REDIS_URL)/1} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Every benchmark at a small size, in a few minutes (the PostgreSQL and Redis above); the
# full-size figures and their commands are in docs/benchmarks.md.
bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf var/ staticfiles/
