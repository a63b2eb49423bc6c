# Bangfu: `make run` starts the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint fmt clean

$(STAMP): requirements.lock package.json package-lock.json
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

setup: $(STAMP)
	$(PY) manage.py compile_translations

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_divisions
	$(PY) manage.py seed_demo --if-empty
	BANGFU_DEMO=1 DJANGO_DEBUG=0 $(PY) manage.py run_platform --addr 127.0.0.1:8000

test: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist loadfile

lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

fmt:
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .

clean:
	rm -rf $(VENV) node_modules staticfiles
