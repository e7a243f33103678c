# The two commands: `./run [--port N] [--demo]` (or `make run` / `make demo`) and `make test`.
PYTHON ?= python3
VENV := .venv
PORT ?=

.PHONY: run demo test lint bench

$(VENV)/.dev-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

run:
	./run $(if $(PORT),--port $(PORT))

demo:
	./run --demo $(if $(PORT),--port $(PORT))

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check governance detectors web tests bench
	$(VENV)/bin/ruff format --check governance detectors web
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: $(VENV)/.dev-installed lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed
	$(VENV)/bin/python bench/ingest.py
	$(VENV)/bin/python bench/sql_lineage.py
