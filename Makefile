# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@ $(VENV)/.run-installed

## run: install and run the main job over input/ into archive/
# Exit 1 means "finished, some links could not be archived" (each is listed): the job ran.
run: $(VENV)/.run-installed
	$(BIN)/archiver run input/ --archive archive/ || [ $$? -eq 1 ]

## chromium: the headless browser the HTML report tests open pages in (Debian package), when missing
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium) \
		|| echo "chromium could not be installed: the HTML report's browser tests will be skipped"

## test: install with test extras and run the whole suite
test: $(VENV)/.test-installed chromium
	$(BIN)/python -m pytest -q

## bench: run every benchmark under bench/
bench: $(VENV)/.test-installed
	for b in bench/*_bench.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
