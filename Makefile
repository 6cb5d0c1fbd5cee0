# Everyday tasks. `make` = lint + test. Heavy system set-up (fonts, Qt libraries, LibreOffice)
# is scripts/test.sh's job, which CI runs; these recipes assume `pip install -e ".[test]"`.
PY ?= python3
export QT_QPA_PLATFORM ?= offscreen

.PHONY: default test lint format types layers bench bench-full ci

default: lint test

test:            ## the whole test suite (pytest ARGS="tests/localdb -x" for one area)
	$(PY) -m pytest -q $(ARGS)

lint:            ## ruff lint + format check, and the layer contract
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -c "from importlinter.cli import lint_imports_command as c; c()"

format:          ## apply ruff's formatting and safe fixes
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

types:           ## mypy on the core packages (configured in pyproject.toml)
	$(PY) -m mypy

layers:          ## only the import-linter layer contract
	$(PY) -c "from importlinter.cli import lint_imports_command as c; c()"

bench:           ## quick benchmarks (seconds); `make bench-full` for the real figures
	$(PY) -m bench --quick

bench-full:
	$(PY) -m bench

ci:              ## what CI runs, system packages included
	bash scripts/test.sh
