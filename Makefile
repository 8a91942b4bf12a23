# The two commands a new user needs: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
PYTHON_VERSION ?= 3.11
VENV := .venv
BIN := $(VENV)/bin
UV ?= $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.uv/bin/uv)
DEMO_HOME := $(CURDIR)/.demo
# Embedded defaults for the demo: SQLite metadata DB, local MLflow store, local report store.
DEMO_ENV := AIRFLOW_HOME=$(DEMO_HOME)/airflow \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/example_dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__MLMONITOR__REPORT_BASE_PATH=$(DEMO_HOME)/reports \
	AIRFLOW_CONN_MLFLOW_DEFAULT='{"conn_type": "mlflow", "host": "sqlite:///$(DEMO_HOME)/mlflow/mlflow.db", "extra": {"artifact_location": "$(DEMO_HOME)/mlflow/artifacts"}}' \
	GX_ANALYTICS_ENABLED=False MLFLOW_ENABLE_TELEMETRY=false DO_NOT_TRACK=1
# Example DAGs run by `make demo`, in order (dag ids).
# A file lists its ids as `DEMO_DAG_ID = "id"` or `DEMO_DAG_IDS = ("id1", "id2")`.
DEMO_DAGS ?= $(shell grep -h -E '^DEMO_DAG_IDS? = ' example_dags/*.py 2>/dev/null | grep -o '"[^"]*"' | tr -d '"')

.PHONY: install system-deps test test-quick test-system test-unit lint docs demo ui stack stack-down bench bench-drift bench-sql bench-spark clean ci

$(UV):
	python3 -m venv $(CURDIR)/.uv && $(CURDIR)/.uv/bin/pip install --quiet uv

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-extras --python $(PYTHON_VERSION)
	@touch $@

install: $(VENV)/.installed

# Node.js (the reference StatsD daemon) and Chromium (UI tests): installed with apt only when missing.
system-deps:
	@bash .ci/system-deps.sh

# The whole suite: every tier in one session, then the deployed topology (tests/system) in its own
# session, which starts its own `make stack` (about 10 minutes more).
test: install system-deps
	$(BIN)/pytest -m "not system"
	$(BIN)/pytest tests/system

# Every tier but tests/system (no stack): what to run while developing.
test-quick: install system-deps
	$(BIN)/pytest -m "not system"

test-system: install system-deps
	$(BIN)/pytest tests/system

test-unit: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check airflow_mlmonitor tests example_dags
	$(BIN)/mypy

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(CURDIR)/.site

bench: install
	$(BIN)/python tests/benchmarks/bench_import.py

# The whole drift task under dag.test() vs Evidently: 1M x 25, 10M x 25, 100M x 2 (minutes; ~4 GB of files in /tmp).
bench-drift: install
	$(BIN)/python tests/benchmarks/bench_drift_task.py $(BENCH_DRIFT_ARGS)

# Drift on SqlSource inputs in a fresh Postgres (1M and 5M rows x 5 columns): worker peak RSS and
# time against pandas.read_sql + the engine on the same rows (minutes; ~1 GB in /tmp).
bench-sql: install system-deps
	$(BIN)/python tests/benchmarks/bench_sql_drift.py $(BENCH_SQL_ARGS)

# Drift on Spark local[2] vs the file engine on 2 x 10M rows x 10 columns: parity, time, worker memory (needs Java).
bench-spark: install
	$(BIN)/python tests/benchmarks/bench_spark_drift.py $(BENCH_SPARK_ARGS)

# The demo prints one line per task outcome (from the `airflow dags test` log) plus the example's
# MLMONITOR summary lines, without the logger's `[unusual_prefix_...]` module suffix.
DEMO_SUMMARY = /Task instance state updated/ && match($$0, /new_state=[a-z_]+/) { state = substr($$0, RSTART + 10, RLENGTH - 10) } \
	/\[DAG TEST\] end task/ && match($$0, /task_id=[^ ]+/) { printf "  %-28s %s\n", substr($$0, RSTART + 8, RLENGTH - 8), state } \
	/MLMONITOR/ { line = $$0; sub(/^.*MLMONITOR /, "", line); sub(/ *\[unusual_prefix_[^]]*\].*$$/, "", line); print "    " line } \
	/DagRun Finished/ && match($$0, / state=[a-z_]+/) { print "  => dag run " substr($$0, RSTART + 7, RLENGTH - 7) }

demo:
	@mkdir -p $(DEMO_HOME)/mlflow/artifacts $(DEMO_HOME)/reports
	@$(MAKE) --no-print-directory install > $(DEMO_HOME)/install.log 2>&1 || { cat $(DEMO_HOME)/install.log; exit 1; }
	@$(DEMO_ENV) $(BIN)/airflow db migrate > $(DEMO_HOME)/db-migrate.log 2>&1 || { cat $(DEMO_HOME)/db-migrate.log; exit 1; }
	@if [ -z "$(strip $(DEMO_DAGS))" ]; then echo "No example DAGs yet."; fi
	@for dag_id in $(DEMO_DAGS); do \
		echo "=== airflow dags test $$dag_id"; \
		$(DEMO_ENV) $(BIN)/airflow dags test $$dag_id > $(DEMO_HOME)/$$dag_id.log 2>&1; rc=$$?; \
		awk '$(DEMO_SUMMARY)' $(DEMO_HOME)/$$dag_id.log; \
		if [ $$rc -ne 0 ] || ! grep -q 'state=success' $(DEMO_HOME)/$$dag_id.log; then \
			echo "FAILED: $$dag_id (log: $(DEMO_HOME)/$$dag_id.log)"; tail -40 $(DEMO_HOME)/$$dag_id.log; exit 1; fi; \
	done
	@echo "Demo done. Reports: $(DEMO_HOME)/reports  Logs: $(DEMO_HOME)"

# Optional third command: the `make demo` Airflow home in the UI (API server on a free port).
ui: install
	@$(DEMO_ENV) $(BIN)/python -m tests.system.ui

# A Celery deployment on loopback (Postgres, Redis, two workers, S3 report store, MLflow, StatsD);
# settings in .stack/env, logs and PIDs under .stack/. See docs/deploy.md.
stack: install system-deps
	@$(BIN)/python -m tests.system.stack up

stack-down:
	@$(BIN)/python -m tests.system.stack down

clean:
	rm -rf $(VENV) $(DEMO_HOME) .stack .site .pytest_cache .mypy_cache .ruff_cache
