# One command runner for people and CI. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
export PEOPLESYNC_TEST_POSTGRES_URL ?= $(TEST_POSTGRES_URL)

.DEFAULT_GOAL := help
.PHONY: help install system-deps run test lint typecheck check bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "peoplesync needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv (if missing) and install peoplesync with its dev tools

system-deps: ## Install Chromium from the system package manager (for the browser tests)
	@if [ -x /usr/bin/chromium ]; then echo "chromium: present"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium missing: install it with your package manager (browser tests will skip)"; fi

PORT ?= 8000

run: $(STAMP) ## Run the demo: the web app, a worker and a sandbox HRIS (PORT=8000), until Ctrl-C
	$(BIN)/peoplesync demo --port $(PORT)

test: $(STAMP) ## Run the whole test suite
	$(BIN)/pytest

lint: $(STAMP) ## ruff check + ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy --strict
	$(BIN)/mypy

check: lint typecheck test ## Everything CI runs

bench: $(STAMP) ## Print the performance figures
	$(BIN)/python -m bench

clean: ## Remove the virtualenv, caches and demo files
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo test-artifacts
