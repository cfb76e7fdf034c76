# Every target works from a fresh clone: `venv` is created on demand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv test lint fmt typecheck unit demo bench clean

venv: $(STAMP)

# The lab's KDC (krb5kdc, kadmin.local) and the MIT headers that gssapi compiles against, from
# Debian, and faketime (a Kerberos client whose clock is off, tests/lab/kerberos); installed by
# the first `make` when missing (through sudo unless root).
KRB5_PACKAGES := krb5-kdc krb5-admin-server krb5-user libkrb5-dev faketime
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Re-install only when the project's declared dependencies change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("orchestrator needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@PATH="$$PATH:/usr/sbin:/sbin"; command -v krb5kdc >/dev/null && command -v krb5-config >/dev/null && command -v faketime >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "the lab needs MIT Kerberos: install the packages $(KRB5_PACKAGES) (Debian names; krb5kdc, kadmin.local and krb5-config), then run make again" >&2; exit 1; }; \
	  echo "installing $(KRB5_PACKAGES) (the lab's KDC)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(KRB5_PACKAGES) >/dev/null; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	@touch $@

# Shipped playbooks pass yamllint's default rules, warnings included: YAML 1.1 tools read them as we do.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict --config-data default playbooks/

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv
	$(BIN)/mypy

# Test files are spread over up to 4 workers, a file to a worker (its fixtures run once).
unit: venv
	$(BIN)/pytest --numprocesses=auto --maxprocesses=4 --dist=loadfile

test: lint typecheck unit

# The lab in the article's broken state, a recovery playbook run against it, the result.
demo: venv
	$(BIN)/orchestrator demo

# Engine against plain pypsrp on the lab, 10 to 1,000 hosts (bench/README.md); not part of
# `make test`. Writes bench/results/results.md, results.json and scaling.png.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lab,bench]'
	@touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
