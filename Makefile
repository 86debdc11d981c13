# The two commands a fresh machine needs: `make test` (and, with the API issue, `make run`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck suite venv clean histories run demo bench bench-quick messages keys tour-keys replay-check migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

suite: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck suite

# The whole stack on its embedded default (Temporal dev server, simulator, worker, API). Ctrl-C stops it.
run: $(STAMP)
	$(BIN)/python -m devstack

# The same, with demonstration cases whose clocks run in seconds.
demo: $(STAMP)
	$(BIN)/python -m devstack --demo

# The product against the bare engine, measured in one run (not part of `make test`): writes
# BENCHMARKS.md and exits 1 when a target is missed. `make bench-quick` finishes in a few minutes.
bench: $(STAMP)
	$(BIN)/python -m bench --profile

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick --out .data/BENCHMARKS-quick.md

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache *.egg-info

# Record the replay histories again, after an intended change to the workflow (say so in the commit).
histories: $(STAMP)
	rm -f tests/histories/*.json tests/histories/clues/*.json tests/histories/reports/*.json \
	  tests/histories/routines/*.json
	RECORD_HISTORIES=1 $(BIN)/pytest -q tests/workflows/test_lifecycle.py tests/workflows/test_detention.py \
	  tests/workflows/test_clue.py tests/workflows/test_report.py tests/workflows/test_routines.py

# Extract the dashboard's words into its catalogue again, after a template or a label changed: new
# ones arrive untranslated (tests/api/test_i18n.py names them) for api/ui/locale's .po.
messages: $(STAMP)
	mkdir -p .data
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-wrap -o .data/messages.pot .
	$(BIN)/pybabel update -i .data/messages.pot -d api/ui/locale -l zh_CN --no-wrap --no-fuzzy-matching

# API keys without activating the venv: make keys ARGS="create --agency EPB-DEMO --role officer --name 王执法"
keys: $(STAMP)
	$(BIN)/linkage-keys $(ARGS)

# The demo keys as the README's tour names them: eval "$$(make -s tour-keys)"
tour-keys: $(STAMP)
	@$(BIN)/python -m devstack --keys

# Replay the running workflows' histories (on the server the settings name) against this code.
replay-check: $(STAMP)
	$(BIN)/linkage replay-check

# Draft the read model's next migration from the models: make migration MSG="what changes"
migration: $(STAMP)
	$(BIN)/alembic -c store/alembic.ini revision --autogenerate -m "$(MSG)"
