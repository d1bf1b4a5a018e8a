# The front door: `make run` starts the demo platform, `make test` runs every test.
# Both set themselves up on a fresh machine (a virtual env in .venv, the package installed).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
VD_DATA_DIR ?= .vd-data

.PHONY: setup run serve test lint unit scenario fault soak schemas bench bench-full clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(BIN)/vdispatch demo --port $(PORT) --data-dir $(VD_DATA_DIR)

serve: setup
	$(BIN)/vdispatch serve --port $(PORT) --data-dir $(VD_DATA_DIR)

test: setup
	scripts/test

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests/unit -q

scenario: setup
	$(BIN)/pytest tests/scenario -q

fault: setup
	$(BIN)/pytest tests/fault -q

# The deterministic simulation of the host at length (VD_SIM_SEED=... replays a failure).
soak: setup
	VD_SIM_STEPS=$${VD_SIM_STEPS:-200000} $(BIN)/pytest tests/simulation -q -s -k survives

bench: setup
	scripts/bench

bench-full: setup
	scripts/bench --full

schemas: setup
	$(BIN)/vdispatch schemas export --out json-schemas

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts
