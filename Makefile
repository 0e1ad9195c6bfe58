# KeyLab: `make report` runs the guided investigation against the built-in simulator;
# `make test` runs lint, types and the tests. Both create .venv on first use.
PYTHON ?= python3
# Python's own default for everything make starts: each module is compiled the first time it is imported
# and its .pyc kept (in .venv, kit/ and tests/). Some machines (this project's among them) export
# PYTHONDONTWRITEBYTECODE=1, and every process would then compile its imports from source again.
unexport PYTHONDONTWRITEBYTECODE
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.keylab-installed
UV_VERSION ?= 0.13.9
# Tests run in parallel, one worker per core; tests that share an expensive result (the executed report,
# a scenario group) carry an xdist_group mark and run in the same worker (tests/conftest.py).
PYTEST_WORKERS ?= auto
XDIST  := -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: venv report test test-fast lint typecheck pytest fmt bench browser tools node-sdks notebooks-clean clean

venv: $(STAMP)

# Set-up in seconds: a venv without pip (ensurepip alone costs seconds), uv bootstrapped into it from PyPI
# by python3's own pip, then one resolve-and-install pass through uv (parallel downloads). Bytecode is not
# compiled at install: that took 13 s of a fresh 20 s set-up for 900 MB of packages of which KeyLab imports a
# small part; the first run compiles what it imports, once (see unexport above). When uv cannot be had
# (no pip beside python3 and no ensurepip, no uv wheel for this platform, uv fails), plain pip installs the
# same thing. KEYLAB_INSTALLER=pip forces that fallback.
#
# EXCLUDE: packages left out although a dependency asks for them. rfc3987-syntax (pulled in by
# jupyter-events through jsonschema[format-nongpl]) compiles a grammar when jsonschema is imported: 1.7 s
# of CPU in every process that reads a notebook (papermill, nbconvert, each test worker). jsonschema skips
# the "iri" format check without it; KeyLab validates no IRI.
EXCLUDE := rfc3987-syntax
ENSUREPIP = { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip >/dev/null; }
UV_GET = { test -x $(BIN)/uv \
	|| $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" \
	|| { $(ENSUREPIP) && $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"; }; }
UV_INSTALL = { printf '%s\n' $(EXCLUDE) > $(VENV)/excluded.txt \
	&& $(BIN)/uv pip install --quiet --python $(BIN)/python --excludes $(VENV)/excluded.txt \
	   -e '.[dev]' && $(BIN)/uv pip uninstall --quiet --python $(BIN)/python $(EXCLUDE); }
PIP_INSTALL = { $(ENSUREPIP) && $(BIN)/python -m pip install --quiet --no-compile -e '.[dev]' \
	&& { $(BIN)/python -m pip uninstall --quiet --yes $(EXCLUDE) 2>/dev/null || true; }; }

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@if [ "$${KEYLAB_INSTALLER:-uv}" = uv ] && $(UV_GET) && $(UV_INSTALL); then :; else \
	  echo "installing with pip (uv not available)"; $(PIP_INSTALL); fi
	@$(PYC)
	@touch $(STAMP)

# KeyLab's own modules, compiled (only what changed since) before the commands that start many Python
# processes at once, so the test workers and their children do not each compile the same modules in parallel.
PYC = $(BIN)/python -m compileall -q -j 0 kit >/dev/null

report: $(STAMP)
	@$(PYC)
	$(BIN)/python -m kit report --scenario ticket --sandbox data/demo/ticket --out reports/investigation.html

# The interactive demo: the simulator and JupyterLab on notebook 00 with the ticket's parameters filled in.
lab: $(STAMP)
	$(BIN)/python -m kit.present.lab

test: lint typecheck pytest

# The inner loop: everything but the tests marked slow (notebooks, end-to-end runs, the scenario suite).
test-fast: lint
	@$(PYC)
	$(BIN)/python -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check kit tests bench notebooks
	$(BIN)/ruff format --check kit tests bench notebooks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	@$(PYC)
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# Format and fix with the pinned ruff (pyproject's dev extra).
fmt: $(STAMP)
	$(BIN)/ruff format kit tests bench notebooks
	$(BIN)/ruff check --fix kit tests bench notebooks

# Speed, measured side by side in one run and printed beside each goal (never asserted in tests).
# BENCH names modules to run (e.g. BENCH="doctor report"); BENCH=setup times a fresh clone's make report.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

# Optional system pieces for the browser and Node tests (they skip with a reason when absent).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@chromium --version

# The real env-file tools the runtime rows are checked against (Debian's direnv; npm dotenv comes with
# node-sdks). Their tests skip with a reason when absent.
tools:
	@command -v direnv >/dev/null || { apt-get update -qq && apt-get install -y -qq direnv >/dev/null; }
	@direnv version

node-sdks: $(STAMP)
	$(BIN)/python -m kit.probe.clients.node_install --default-versions --dotenv

notebooks-clean: $(STAMP)
	$(BIN)/nbstripout --extra-keys "metadata.widgets cell.metadata.execution" notebooks/*.ipynb

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache reports/*.html reports/*.ipynb data/runs/*.jsonl
