# Single entry point. `make run` starts everything and shows records as they arrive;
# `make test` runs every test against a real local Kafka broker.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

CORPUS ?= ../shared/corpora/html-dev

.PHONY: help venv run test unit lint kafka-start kafka-stop kafka-status bench bench-e2e faults clean

help:
	@echo "make run    - broker + topics + worker + sample data + live view (Ctrl-C stops all)"
	@echo "make test   - install, start Kafka if needed, lint, run all tests, stop what it started"
	@echo "make unit   - unit tests only (no broker)"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - benchmarks of each stage against its baseline (CORPUS=html corpus dir)"
	@echo "make bench-e2e - end-to-end benchmark on the real broker, with the reference pipeline"
	@echo "make faults - fault-injection, hostile-input and kill -9 tests on the real broker"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

run: venv
	bash scripts/run.sh

test: venv
	bash scripts/test.sh

unit: venv
	$(BIN)/python -m pytest -q tests/unit

lint: venv
	$(BIN)/ruff check stream tests bench scripts
	$(BIN)/mypy stream

kafka-start:
	bash deploy/kafka/kafka.sh start

kafka-stop:
	bash deploy/kafka/kafka.sh stop

kafka-status:
	bash deploy/kafka/kafka.sh status

bench: venv
	$(BIN)/python bench/clean_html.py $(CORPUS)
	$(BIN)/python bench/clean_text.py
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/dedup.py

bench-e2e: venv
	bash deploy/kafka/kafka.sh status >/dev/null 2>&1 || bash deploy/kafka/kafka.sh start
	$(BIN)/python bench/e2e.py --quick

faults: venv
	bash deploy/kafka/kafka.sh status >/dev/null 2>&1 || bash deploy/kafka/kafka.sh start
	$(BIN)/python -m pytest -q -p no:cacheprovider -s tests/integration/test_faults.py \
		tests/integration/test_hostile.py tests/integration/test_recovery.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build *.egg-info
