# KeyLab: `make report` runs the guided investigation against the built-in simulator;
# `make test` runs lint, types and the tests. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.keylab-installed

.PHONY: venv report test lint typecheck pytest bench browser node-sdks notebooks-clean clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/python -m kit report --scenario ticket --sandbox data/demo/ticket --out reports/investigation.html

# The interactive demo: the simulator and JupyterLab on notebook 00 with the ticket's parameters filled in.
lab: $(STAMP)
	$(BIN)/python -m kit.present.lab

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check kit tests bench notebooks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Optional system pieces for the browser and Node tests (they skip with a reason when absent).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@chromium --version

node-sdks: $(STAMP)
	$(BIN)/python -m kit.probe.clients.node_install --default-versions

notebooks-clean: $(STAMP)
	$(BIN)/nbstripout --extra-keys "metadata.widgets cell.metadata.execution" notebooks/*.ipynb

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache reports/*.html data/runs/*.jsonl
