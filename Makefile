# Two entry points for a fresh Debian machine: `make site` and `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

.PHONY: site test setup browser axe lint bench clean

# constraints.txt pins the versions that made the committed site/ (byte-identical rebuilds).
$(BIN)/mapper: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

setup: $(BIN)/mapper

## Install, then build every dataset under geodata/ into site/.
site: setup
	$(BIN)/mapper build

$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core

browser: $(CHROMIUM)
	@command -v node >/dev/null || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs)
	@command -v pdftoppm >/dev/null || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils)

# axe-core, for the accessibility tests (tests/test_a11y.py): the version pinned in
# .ci/node/package-lock.json, into .ci/node/node_modules (git-ignored, never in a page).
AXE := .ci/node/node_modules/axe-core/axe.min.js
$(AXE): .ci/node/package.json .ci/node/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
	npm ci --prefix .ci/node --no-audit --no-fund
	touch $@

axe: $(AXE)

## Install (Python packages, Debian's chromium, node for the browser code's unit tests,
## poppler to read printed PDFs, axe-core for the accessibility checks), lint, type-check,
## run every test.
test: setup browser axe
	$(BIN)/ruff check mapper tests
	$(BIN)/mypy
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info
