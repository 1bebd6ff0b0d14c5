# Gongmo: `make run` serves the demo, `make test` runs the suite. Both set everything up first
# on a machine with only Python 3.11 and Node.js/npm.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Settings are production unless DEBUG=1 (config/settings.py): the demo targets ask for debug
# explicitly; `make serve` does not, so it needs SECRET_KEY and the rest (docs/operations.md).
DEV := DEBUG=1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test stateful setup prepare messages static lint bench tour clean

run: prepare
	$(DEV) $(MANAGE) migrate --noinput
	$(DEV) $(MANAGE) seed_demo
	@echo ""
	@echo "Gongmo is at http://$(HOST):$(PORT)/  (staff administration: http://$(HOST):$(PORT)/admin/)"
	$(DEV) $(MANAGE) runserver $(HOST):$(PORT)

# Production-style: gunicorn + a Celery worker + beat, against DATABASE_URL and CELERY_BROKER_URL
# from the environment (see README). Stops all three on Ctrl-C.
serve: prepare
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	@test -n "$$CELERY_BROKER_URL" || (echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1)
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --loglevel=info --concurrency=2 & \
	$(BIN)/celery -A config beat --loglevel=info --schedule var/celerybeat-schedule & \
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile - & \
	wait

# The tests ask for debug themselves (config/test_settings.py, named in pyproject.toml).
# They run on every core (pytest-xdist; a test file stays on one worker, so a module's seeded
# demo is seeded once); TEST_WORKERS=0 runs them in this process, one after another.
TEST_WORKERS ?= auto
test: prepare
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The model-based lifecycle test (tests/stateful), longer than in `make test` and shrinking a
# failing sequence to a minimal one. STATEFUL_EXAMPLES and STATEFUL_STEPS set the size.
STATEFUL_EXAMPLES ?= 500
STATEFUL_STEPS ?= 50
stateful: prepare
	GONGMO_STATEFUL_EXAMPLES=$(STATEFUL_EXAMPLES) GONGMO_STATEFUL_STEPS=$(STATEFUL_STEPS) GONGMO_STATEFUL_SHRINK=1 \
		$(BIN)/pytest tests/stateful -p no:cacheprovider $(PYTEST_ARGS)

# Every bench runs even when an earlier one misses a budget (each prints its met / NOT MET
# table); the target fails at the end if any did.
BENCHES := run workbook burst submit duplicates recorded_memory
bench: prepare
	@failed=""; for bench in $(BENCHES); do \
		$(DEV) $(BIN)/python tests/bench/$$bench.py || failed="$$failed $$bench"; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: budgets not met or errors in:$$failed" >&2; exit 1; fi

# The browser journeys (Chromium at /usr/bin/chromium, or CHROMIUM_PATH) write screenshots to
# var/screenshots/<lang>/; the README's tour is copied from them to docs/tour/.
tour: prepare
	GONGMO_BROWSER_TESTS=1 $(BIN)/pytest tests/browser
	$(DEV) $(BIN)/python tests/browser/tour.py

lint: setup
	$(BIN)/ruff check .

setup: $(VENV)/.installed node_modules/.installed

prepare: setup messages static

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Compiles locale/*/LC_MESSAGES/django.po with Babel: no GNU gettext needed.
messages: setup
	$(BIN)/pybabel compile --domain django --directory locale --statistics

static: setup
	$(DEV) $(MANAGE) collectstatic --noinput --verbosity 0

clean:
	rm -rf $(VENV) node_modules staticfiles var
