# Safecase: `make run` starts everything; `make test` runs every check.
# Without DATABASE_URL / REDIS_URL both use the embedded PostgreSQL (pgserver) and the
# Celery filesystem broker under var/.
SHELL := /bin/bash
# The interpreter .venv is made from: the distribution's python3.11 where it has one that
# can make a venv (Debian's is built with profile-guided and link-time optimisation, as
# the image's python:3.11-slim is; a default pyenv build is not: on Debian's, pages took
# 5-17% less CPU at the median and 12-25% less at p95, docs/performance.md, a
# twenty-second session), else the first python3.11, else python3. `make install
# PYTHON=...` chooses another; an existing .venv keeps the interpreter it was made from
# (`make clean` first).
PYTHON ?= $(shell for p in /usr/bin/python3.11 "$$(command -v python3.11)" "$$(command -v python3)"; do \
	[ -x "$$p" ] && "$$p" -c 'import ensurepip, venv' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := static_build/assets/.built
EMBEDDED := $(BIN)/python -m config.embedded --
export SAFECASE_DEMO_PASSWORD ?= safecase-demo-2026
export SAFECASE_PORT ?= 8000
# Two workers (the machine has two cores); a file's tests stay on one worker.
# The 25 slowest tests are listed at the end, to keep the suite well under 15 minutes.
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=25

.PHONY: run test install assets lint pytest lock diagrams clean

install: $(INSTALLED)

$(INSTALLED): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

assets: $(ASSETS)

$(ASSETS): package.json package-lock.json $(shell find frontend -type f 2>/dev/null)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	@touch $@

run: install assets
	@$(EMBEDDED) $(BIN)/python scripts/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install assets lint
	@$(EMBEDDED) bash -c '$(BIN)/python manage.py makemigrations --check --dry-run && $(BIN)/pytest $(PYTEST_ARGS)'

# Scale benchmark (issue 10, docs/performance.md): seeds BENCH_CASES cases into the
# database safecase_bench_<N> (kept, and reused by the next run), serves it under
# gunicorn and loads it with locust. BENCH_CASES=500000 make bench for the full size.
BENCH_CASES ?= 100000
.PHONY: bench
bench: install assets
	@$(EMBEDDED) $(BIN)/python bench/run.py --cases $(BENCH_CASES)

# Re-resolve the pinned versions after changing dependencies in pyproject.toml: the full
# lock (with the dev extra, for make install) and its runtime subset (the Docker image).
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock
	$(BIN)/python scripts/runtime_lock.py

# Redraw docs/workflows/<case_type>.dot and .svg from the declared transitions.
diagrams: install
	@$(EMBEDDED) $(BIN)/python manage.py draw_workflows --output docs/workflows

clean:
	rm -rf static_build node_modules $(VENV)
