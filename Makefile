# Common tasks; CONTRIBUTING in the README's Development section shows the same commands.
PYTHON ?= python3

.PHONY: dev test test-fast lint typecheck format check-readme goldens build bench examples reference

dev:            ## install the project and its test tools (editable)
	$(PYTHON) -m pip install -e ".[test]"

test:           ## the whole suite, as CI runs it (the slow tests too)
	$(PYTHON) -m pytest -q -m ""

test-fast:      ## the dev run: the slow tests left out (pyproject's addopts)
	$(PYTHON) -m pytest -q

lint:           ## ruff
	ruff check src tests benchmarks fuzz tools examples

typecheck:      ## mypy as pyproject.toml configures it (tests/test_typing.py runs the same)
	$(PYTHON) -m mypy

format:
	ruff format src tests benchmarks fuzz tools examples

check-readme:   ## README help block, issue codes and commands match the code
	$(PYTHON) -m pytest -q tests/test_docs.py

goldens:        ## rewrite golden files and example reports after a deliberate change
	$(PYTHON) -m pytest -q --update-goldens tests/test_examples.py tests/report

build:          ## wheel and sdist into dist/
	$(PYTHON) -m build

bench:          ## speed and memory against the targets (generates data on first run)
	$(PYTHON) benchmarks/run.py

examples:       ## rebuild the example BOMs
	$(PYTHON) examples/make_examples.py

reference:      ## rebuild data/reference from ../shared/reference-facts
	$(PYTHON) tools/build_reference.py --check
