# Two commands for a fresh clone with only Python >= 3.10 and make:
#   make lab    open the workbook in JupyterLab
#   make test   run every test (ruff, pytest, doctests, nbval, browser)
# While working, make test-fast runs the unit tests and doctests only.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab refuses to start as root unless told to.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test test-fast fuzz lint bench notebooks html screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[workbook,dev]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=workbook $(ROOT_FLAG)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Two workers, one per core; each notebook's cells and each test file stay on one worker. The
# browser tests run afterwards on their own: JupyterLab and Chromium want the machine to themselves.
test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/ui
	$(BIN)/python -m pytest tests/ui

# The fast lane while working: unit tests and doctests, no notebooks, no browser (about 70 s).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow and not fuzz" tests backprop_core --ignore=tests/ui

# 500 random activation texts from the allowed grammar, each accepted or refused within the budget.
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q -m fuzz tests

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_engine
	$(BIN)/python -m benchmarks.bench_models
	$(BIN)/python -m benchmarks.bench_training
	$(BIN)/python -m benchmarks.bench_norm
	$(BIN)/python -m benchmarks.bench_layers
	$(BIN)/python -m benchmarks.bench_symbolic
	$(BIN)/python -m benchmarks.bench_activations
	$(BIN)/python -m benchmarks.bench_workbook
	$(BIN)/python -m benchmarks.bench_ui
	$(BIN)/python -m benchmarks.bench_hostile

NOTEBOOKS := $(sort $(wildcard workbook/[0-9][0-9]-*.ipynb))

# Re-execute every notebook top to bottom in a fresh kernel, storing outputs and widget state,
# then bring each Markdown twin up to date (jupytext pairs them).
notebooks: $(STAMP)
	$(BIN)/jupytext --sync $(NOTEBOOKS)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=True $(NOTEBOOKS)
	$(BIN)/jupytext --sync $(NOTEBOOKS)

# Screenshots of two explorers after a slider move (screenshots/, copies in docs/).
screenshots: $(STAMP)
	$(BIN)/python -m tools.screenshots

# Export the committed notebooks to HTML, widget state embedded, into build/html.
html: $(STAMP)
	$(BIN)/jupyter nbconvert --to html --output-dir build/html $(NOTEBOOKS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
