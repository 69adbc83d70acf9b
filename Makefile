# FieldReg: make install | run | test | bench | mutate | lint | wheel | portable
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 0.0.0.0
PORT ?= 8000
HTTPS_PORT ?= 8443

.PHONY: install run test bench mutate lint format clean messages wheel portable

install: $(STAMP)

# A checkout gets the runtime pins (requirements.txt) and the test/lint/packaging tools.
$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PY) >/dev/null 2>&1 || { echo "python3.11 not found; set PY=python3"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: install
	$(BIN)/python -m fieldreg serve --host $(HOST) --port $(PORT) --https-port $(HTTPS_PORT)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python -m bench

# Mutation testing of the modules where a silent mistake hurts people (slow; not part of test).
mutate: install
	$(BIN)/python -m bench.mutate

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# Re-extract page strings, merge them into the Arabic catalog, compile it (commit .po and .mo).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o fieldreg/translations/messages.pot .
	$(BIN)/pybabel update -i fieldreg/translations/messages.pot -d fieldreg/translations -l ar --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d fieldreg/translations

# The wheel (dist/fieldreg-*.whl) that pip, the Dockerfile and the one-click folder install.
wheel: install
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps -w dist .

# The one-click folder for this system (dist/FieldReg-<system>/); see docs/install.md.
portable: wheel
	$(BIN)/python installer/build.py --out dist

clean:
	rm -rf $(VENV) build dist
