#!/usr/bin/env bash
# The README's test command (via `make test`): lint, then every test layer against a real
# local Kafka broker. Starts the broker if none is running and stops only what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=.venv/bin
export KAFKA_PORT="${KAFKA_PORT:-9092}"
export STREAM_BROKERS="${STREAM_BROKERS:-127.0.0.1:${KAFKA_PORT}}"

# promtool and headless Chromium for the ops tests (Debian packages; needs root).
if [[ $EUID == 0 ]]; then
  bash scripts/install_ops_tools.sh
else
  echo "note: not root; run 'sudo bash scripts/install_ops_tools.sh' once for the ops tests" >&2
fi

started_kafka=0
stop_kafka() {
  if [[ $started_kafka == 1 ]]; then bash deploy/kafka/kafka.sh stop || true; fi
}
trap stop_kafka EXIT

if ! bash deploy/kafka/kafka.sh status >/dev/null 2>&1; then
  bash deploy/kafka/kafka.sh start
  started_kafka=1
fi

echo "== lint"
$BIN/ruff check stream tests bench scripts
$BIN/mypy stream
echo "== tests"
# Multi-worker rebalance fault tests (marker "faults") are known to stall intermittently
# on faust's rebalance handling; they run with `make faults`, not in the default suite.
$BIN/python -m pytest -q -p no:cacheprovider -m "not faults" "$@"
