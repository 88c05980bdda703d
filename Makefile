# Kilowatt: the two set-up commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_CUSTOMERS ?= 500
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test install install-test chromium lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test chromium

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "Could not install chromium: install it (apt-get install chromium) and run make test again"; exit 1; }; }

demo: install
	mkdir -p var
	$(BIN)/kilowatt migrate --noinput -v0
	$(BIN)/kilowatt demo-data --customers $(DEMO_CUSTOMERS) --if-empty
	$(BIN)/kilowatt demo-logins --port $(PORT)
	$(BIN)/kilowatt runserver 127.0.0.1:$(PORT) --insecure

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install-test lint
	$(BIN)/pytest -n 2 --dist loadgroup

messages: install-test
	cd src/kilowatt && ../../$(BIN)/kilowatt makemessages -l pl -l en --no-obsolete --add-location file
	cd src/kilowatt && ../../$(BIN)/kilowatt compilemessages

clean:
	rm -rf $(VENV) var/*.sqlite3
