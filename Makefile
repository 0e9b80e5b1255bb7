# Two commands for a fresh machine with Python 3.11, pip and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint install migrate demo worker beat bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock changes.
$(STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo

# Emailed links (and the default Site, set by migrate) use the address the server listens on.
run: export DJANGO_BASE_URL ?= http://127.0.0.1:$(PORT)
# runserver under the dev settings also runs Celery beat's schedule (scheduled publishing, the
# outbox sweep) in-process when there is no broker: see config/devserver.
run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

worker: install
	$(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info

bench: install
	$(BIN)/python bench/run.py

# Production installs only requirements/production.lock (hashed: pip install --require-hashes -r ...).
# After changing pyproject.toml's dependencies, pin them in requirements.lock (development: the same
# versions plus the test tools), then run this to re-lock production with those versions.
LOCK_TOOLS := .venv-lock
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet pip-tools==7.6.2
	$(LOCK_TOOLS)/bin/pip-compile pyproject.toml --quiet --generate-hashes --strip-extras --no-emit-index-url \
	  --no-emit-find-links --constraint requirements.lock --output-file requirements/production.lock

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var media .pytest_cache
