# Two commands for a fresh machine with Python 3.11 and make:
#   make run   install into .venv, migrate, load the demo data, serve http://127.0.0.1:8000
#   make test  run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SECRET := var/secret_key

.PHONY: run test install lint bench bench-centre bench-sweep bench-findings bench-import

# Every benchmark measures on SQLite, or with BENCH_DATABASE_URL=postgres://… on that server,
# in a database of its own that it drops afterwards.
BENCH_DB := $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# The demo's own secret key, made once and kept out of git (var/ is ignored).
$(SECRET):
	mkdir -p var
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $(SECRET)

run: install $(SECRET)
	SECRET_KEY="$$(cat $(SECRET))" $(BIN)/python manage.py migrate --noinput
	SECRET_KEY="$$(cat $(SECRET))" $(BIN)/python manage.py seed_demo
	SECRET_KEY="$$(cat $(SECRET))" $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Serves 10,000 accounts with gunicorn and measures the busy pages (docs/performance.md).
bench: install
	$(BIN)/python bench/bench_pages.py $(BENCH_DB)

# The same pages with the reviewers' command centre at 1,000 departments and 100,000 accounts.
bench-centre: install
	$(BIN)/python bench/bench_pages.py --departments 1000 --accounts 100000 $(BENCH_DB)

# Times the daily reminder sweep over 1,000 departments and 100,000 accounts (docs/performance.md).
bench-sweep: install
	$(BIN)/python bench/bench_sweep.py $(BENCH_DB)

# Imports and exports the registration form, 10,000 rows, against openpyxl lower bounds
# (docs/performance.md).
bench-import: install
	$(BIN)/python bench/bench_import.py $(BENCH_DB)

# Times the clean-up checks over 100,000 accounts and 2,000,000 roster members (docs/performance.md).
bench-findings: install
	$(BIN)/python bench/bench_findings.py $(BENCH_DB)
