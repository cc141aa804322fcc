# GigCX: `make run` starts the whole site, `make test` runs the whole test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# Every package version the project was tested with (make lock rewrites it); installs use it
# as pip constraints, and make audit checks exactly these versions.
LOCK := requirements.lock
# The project's own packages (lint, types and the security scan look at these).
APPS := gigcx marketplace payments privacy quality routing integrations voice

.DEFAULT_GOAL := help
.PHONY: help install lock run setup test test-fast lint audit format check-deploy schema messages check-translations bench bench-surge bench-broker bench-perf soak chaos train-frustration vendor clean

help:
	@echo "make run     set everything up and start web, Celery worker and beat with demo data"
	@echo "make test    run the whole test suite"
	@echo "make lint    ruff lint and format check, djLint over the templates, mypy over the apps"
	@echo "make audit   bandit over the apps; pip-audit --strict of requirements.lock (says 'not run' when offline)"
	@echo "make messages           refresh the translation catalogs (locale/) from the code; needs GNU gettext"
	@echo "make check-translations fail on a string without its German translation or a stale catalog"
	@echo "make lock    re-resolve the dependencies and pin them in requirements.lock"
	@echo "make bench   quality benchmarks on public data: routing, frustration, answer suggestion"
	@echo "make bench-surge    surge detection on replayed public questions: delay and false alarms a day"
	@echo "make bench-broker   embedded broker throughput and latency (old filesystem vs ours)"
	@echo "make bench-perf     fast at scale: every path as a ratio to its probe, must / aim (PostgreSQL, Redis)"
	@echo "make soak    the whole site under steady load for SOAK_MINUTES (default 10), a report a minute"
	@echo "make chaos   kill workers, web, Redis and beat under load; fail if anything was lost"

$(PY):
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" || { echo "Python 3.11 is required: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(LOCK) | $(PY)
	@echo "==> Installing GigCX and its packages into $(VENV) (1-2 minutes the first time)"
	$(PY) -m pip install --quiet --upgrade pip
	@# pip's own lines, one per package, so a first install is not minutes of silence; its
	@# exit status survives the filter.
	@{ $(PY) -m pip install --progress-bar off -e ".[dev]" -c $(LOCK) 2>&1; echo $$? > $(VENV)/.pip-status; } \
	  | grep --line-buffered -E "^(Collecting|ERROR)" | sed -u -e 's/^Collecting /  fetching /' -e 's/ (from .*//'
	@exit $$(cat $(VENV)/.pip-status)
	@echo "==> Installed"
	@touch $(STAMP)

install: $(STAMP)

# Resolve every dependency afresh from pyproject.toml, in a scratch environment, and pin the
# result in requirements.lock. Run it after changing a dependency, and commit both files.
lock: | $(PY)
	rm -rf var/lock-venv && mkdir -p var && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install --quiet --upgrade pip
	var/lock-venv/bin/python -m pip install --quiet --progress-bar off -e ".[dev,bench]"
	{ echo "# Pinned by 'make lock' from pyproject.toml (the dev extra included); do not edit."; \
	  var/lock-venv/bin/python -m pip freeze --exclude-editable; } > $(LOCK)
	rm -rf var/lock-venv
	@echo "==> $(LOCK): $$(grep -c '==' $(LOCK)) packages pinned"

# Local development: DEBUG on, embedded SQLite database and broker (var/gigcx.sqlite3,
# var/broker.sqlite3) unless DATABASE_URL / REDIS_URL are set in the environment.
setup: export DJANGO_DEBUG ?= true
setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_demo

run: export DJANGO_DEBUG ?= true
run: setup
	$(PY) manage.py runall

test: install
	$(PY) -m pytest

# Translations (locale/<lang>/LC_MESSAGES): collect every marked string of the code, the
# templates and static/js into the catalogs, keeping what is translated, then compile them.
# The .mo files are committed, so running the site needs no gettext; making them does
# (Debian: apt-get install gettext).
I18N_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=static/vendor --ignore=docs
messages: export DJANGO_DEBUG ?= true
messages: install
	$(PY) manage.py makemessages --locale de --no-location --no-wrap $(I18N_IGNORE)
	$(PY) manage.py makemessages --locale de --domain djangojs --no-location --no-wrap $(I18N_IGNORE)
	$(PY) manage.py compilemessages --locale de $(I18N_IGNORE)

check-translations: export DJANGO_DEBUG ?= true
check-translations: install
	$(PY) manage.py check_translations

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy $(APPS)

# Static security scan (bandit, medium severity and up; each accepted finding carries a
# "nosec" with its reason) and the dependency audit. pip-audit is run with --strict: where
# the vulnerability service cannot be reached it audits nothing, and this target says
# "NOT RUN" instead of reporting a green it did not earn (RELIABILITY.md finding 4).
audit: install
	$(BIN)/bandit -q -r $(APPS) -ll -x '*/migrations/*'
	@mkdir -p var
	@if $(BIN)/pip-audit --strict --progress-spinner off -r $(LOCK) --no-deps --disable-pip \
		>var/pip-audit.txt 2>&1; then \
		echo "pip-audit: no known vulnerabilities in the pinned dependencies ($(LOCK))"; \
	elif grep -qiE "could not be audited|connection|resolve|timed out" var/pip-audit.txt; then \
		echo "pip-audit: NOT RUN - the vulnerability service is unreachable from here, so nothing was audited (var/pip-audit.txt)"; \
	else cat var/pip-audit.txt; exit 1; fi

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: export DJANGO_DEBUG ?= true
schema: install
	@mkdir -p docs/openapi
	$(PY) manage.py spectacular --fail-on-warn --validate --file docs/openapi/openapi.yaml

# Quality benchmarks on public data in ../shared/datasets (GIGCX_DATASETS_DIR); they print
# figures, not pass/fail, and skip with a message when the data is missing.
bench: install
	$(PY) bench/routing_se.py
	$(PY) bench/routing_sites.py
	$(PY) bench/redaction.py
	$(PY) bench/frustration.py
	$(PY) bench/suggest.py

# Surge detection (bench/surge.py): real Stack Exchange and BANKING77 question streams with
# bursts of one problem mixed in; tunes on one part, reports on the others (a few minutes).
# SURGE_ARGS="--backend tfidf" measures the fall-back, "--quick" a smaller grid, "--busy"
# adds a 100-a-day product to tuning and reporting (several times longer).
SURGE_ARGS ?=
bench-surge: install
	$(PY) bench/surge.py $(SURGE_ARGS)

# Embedded brokers compared (kombu's filesystem transport and ours), each with a real worker:
# no-op tasks/s and publish -> run round trip. Prints figures.
bench-broker: install
	$(PY) bench/broker.py

# Fast at scale, in one run (bench/perf.py; DEVELOPERS.md): the probes first (pgbench, a bare
# DRF insert under the production web server, a Celery no-op through a real worker), then intake,
# questions routed/s, question -> offer at 10/s, earnings booked/s, one routing decision at
# 1k / 10k / 100k experts, a balance at 1k / 100k / 1M postings and the embedded default's
# burst; every figure as a ratio to its probe with must / aim and PASS / MISS. On PostgreSQL
# (DATABASE_URL names the server, default the local one; it fills its own <name>_bench_perf
# database) and Redis (REDIS_URL, or its own redis-server). Writes var/bench-perf.json and
# var/bench-perf.png. A short run: BENCH_PERF_ARGS="--sizes 1000,10000 --reps 50 --quick".
BENCH_PERF_ARGS ?=
$(VENV)/.installed-bench: $(STAMP)
	$(PY) -m pip install --quiet --progress-bar off -e ".[bench]" -c $(LOCK)
	@touch $@
bench-perf: install $(VENV)/.installed-bench
	$(PY) bench/perf.py $(BENCH_PERF_ARGS)

# The whole stack (runall, embedded default) in a temporary var folder under steady API load
# with simulated experts; a line a minute, a JSON report, lost questions at the end.
SOAK_MINUTES ?= 10
SOAK_RATE ?= 1
SOAK_REPORT ?= soak-report.json
soak: install
	$(PY) bench/soak.py --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE) --report $(SOAK_REPORT)
# Chaos run on PostgreSQL and Redis (bench/chaos.py; DEVELOPERS.md): its own database,
# redis-server, two web processes, two workers and beat, killed at random under load. Prints
# a table and fails when a question was lost or double-offered, on any HTTP 500 or a payout
# paid twice. CHAOS_MINUTES=2 is the CI-sized run; CHAOS_DATABASE_URL picks the server.
CHAOS_MINUTES ?= 10
chaos: install
	$(PY) bench/chaos.py --minutes $(CHAOS_MINUTES)

train-frustration: export DJANGO_DEBUG ?= true
train-frustration: install
	$(PY) manage.py train_frustration

# Third-party browser assets (static/vendor/README.md), fetched from the npm registry at the
# pinned versions. Their files are committed, so nothing else needs npm.
CHARTJS_VERSION := 4.5.1
vendor:
	rm -rf var/vendor && mkdir -p var/vendor static/vendor/chart.js
	cd var/vendor && npm pack --silent chart.js@$(CHARTJS_VERSION) && tar xzf chart.js-$(CHARTJS_VERSION).tgz
	grep -v sourceMappingURL var/vendor/package/dist/chart.umd.min.js > static/vendor/chart.js/chart.umd.min.js
	cp var/vendor/package/LICENSE.md static/vendor/chart.js/LICENSE.md

clean:
	rm -rf $(VENV) var .pytest_cache
