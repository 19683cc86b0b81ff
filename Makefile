# Two commands for a fresh clone with only Python >= 3.10 and make:
#   make lab    open the workbook in JupyterLab
#   make test   run every test (ruff, pytest, doctests, nbval, browser)
# While working, make test-fast runs the unit tests and doctests only.
PYTHON ?= python3
# NumPy's OpenBLAS picks its kernels by processor, and the float32 training of notebook 14 prints
# other digits under the AVX-512 kernels than under the AVX2 ones. On x86-64 every target uses
# OpenBLAS's AVX2 (Haswell) kernels, which any x86-64 processor since 2013 runs, so the committed
# outputs are those nbval finds on any such machine.
ifeq ($(shell uname -m),x86_64)
export OPENBLAS_CORETYPE ?= Haswell
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test test-fast fuzz lint bench notebooks html screenshots clean course hub-proxy site app \
	mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[workbook,dev,instructor]'
	touch $(STAMP)

# JupyterLab on the workbook, opening Start Here, with no news pop-up (tools/lab-settings) and
# the Markdown twins left out of the file browser (tools/lab.py, lab_arguments).
lab: $(STAMP)
	$(BIN)/python -m tools.lab

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
	$(BIN)/python -m pytest -q -n 2 -m "not slow and not fuzz" tests backprop_core tools --ignore=tests/ui

# 500 random activation texts from the allowed grammar, each accepted or refused within the budget.
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q -m fuzz tests

# Mutation testing of the engine (README, "Mutation testing"; not part of make test): mutmut
# changes the engine's code one small edit at a time and runs the fast lane's tests and doctests
# that reach each change; then tools/mutation_report prints the score per module and the
# survivors. Results stay in mutants/, so a second run only retests functions that changed.
#   make mutation                                one run over every engine module
#   make mutation MODULE=backprop_core.training  rerun one module (and its submodules)
MODULE ?=
mutation: $(STAMP)
	$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[mutation]'
	nice -n 15 $(BIN)/mutmut run $(if $(MODULE),'$(MODULE).*')
	$(BIN)/python -m tools.mutation_report $(if $(MODULE),--module $(MODULE))

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

NOTEBOOKS := $(sort $(wildcard workbook/[0-9][0-9]*-*.ipynb))

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

# An nbgrader course from the workbook's exercises in build/course: source/ with the reference
# solutions, release/ without them (tools/course.py; grading and the gradebook: README.md).
course: $(STAMP)
	$(BIN)/python -m tools.course build/course

# JupyterHub's configurable-http-proxy from npm, into build/node (deploy/jupyterhub/README.md).
hub-proxy: build/node/node_modules/.bin/configurable-http-proxy
build/node/node_modules/.bin/configurable-http-proxy:
	npm install --prefix build/node --no-audit --no-fund configurable-http-proxy@5.3.0

# The HTML export is the offline site: plain nbconvert pages would load MathJax, require.js and
# the widget manager from CDNs and show raw LaTeX and empty explorers offline.
html: site

# The workbook as linked pages in build/site that need no network: index from notebook 00's map,
# MathJax, require.js and the widget manager from npm into build/node, copied beside the pages.
site: $(STAMP)
	$(BIN)/python -m tools.site build/site

# One notebook's explorer alone on a page, served by Voila on 127.0.0.1 with a token:
#   make app NB=05-ReLU-Gradient
NB ?= 05-ReLU-Gradient
app: $(STAMP)
	$(BIN)/python -m tools.app $(NB)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
