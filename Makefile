# RNN Playground: needs only Python 3.11 and make.
PYTHON ?= python3
PORT ?= 8501
PYTEST_ARGS ?=
# Test processes (pytest-xdist). Whole files go to a process (--dist loadfile), so a browser module's
# server starts once; loadgroup would not group anything on pytest 9.2 (pytest-xdist issue #1386).
# TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test clean
# A recipe that fails removes its target, so nothing half-made counts as done.
.DELETE_ON_ERROR:

run: $(VENV)/.installed-run
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

$(BIN)/python:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp is touched only after pip succeeds, so a failed install is retried next time.
$(VENV)/.installed-run: requirements.txt requirements-data.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -r requirements-data.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-data.txt requirements-dev.txt requirements-engine.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	$(BIN)/python -m pip install --no-deps -r requirements-data.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis bench/out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
