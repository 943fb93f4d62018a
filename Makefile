# Akhbar — the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint format openapi lock browser clean

# The environment: locked, hash-checked dependencies, then the project itself (editable,
# so that `migrations/` and `openapi/` beside it are found).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements-dev.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.runtime-installed

## run: install, migrate the SQLite database under var/, load the demo content, serve on 127.0.0.1:8000
run: $(VENV)/.runtime-installed
	$(BIN)/akhbar migrate
	$(BIN)/akhbar demo
	$(BIN)/akhbar serve --host $(HOST) --port $(PORT)

## test: install the development environment and run the whole test suite
test: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

## browser: install Debian's Chromium for the docs pages' browser test (needs root; CI runs it)
browser:
	command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## lint: formatting, lint rules, types and the import contracts (pyproject.toml)
lint: $(VENV)/.dev-installed
	$(BIN)/ruff format --check app migrations tests bench
	$(BIN)/ruff check app migrations tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(BIN)/ruff format app migrations tests bench
	$(BIN)/ruff check --fix app migrations tests bench

## openapi: regenerate openapi/openapi.json from the app
openapi: $(VENV)/.dev-installed
	$(BIN)/akhbar openapi

## lock: re-resolve requirements.lock and requirements-dev.lock from pyproject.toml
lock: $(VENV)/.dev-installed
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --all-build-deps -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --all-build-deps --extra dev -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
