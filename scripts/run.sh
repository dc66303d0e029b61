#!/usr/bin/env bash
# The README's "run the service" command (via `make run`): start Kafka, create the topics,
# start a worker, produce the sample articles, and show the output topics live.
# Ctrl-C stops the worker and, if this script started it, the broker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=.venv/bin
export KAFKA_PORT="${KAFKA_PORT:-9092}"
export STREAM_BROKERS="${STREAM_BROKERS:-127.0.0.1:${KAFKA_PORT}}"
export STREAM_WEB_PORT="${STREAM_WEB_PORT:-6066}"
export STREAM_LOG_FORMAT="${STREAM_LOG_FORMAT:-json}"
mkdir -p var

started_kafka=0
worker_pid=""
cleanup() {
  trap - INT TERM EXIT
  echo
  if [[ -n $worker_pid ]] && kill -0 "$worker_pid" 2>/dev/null; then
    echo "== stopping worker (pid $worker_pid)"
    kill -TERM "$worker_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$worker_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$worker_pid" 2>/dev/null || true
  fi
  if [[ $started_kafka == 1 ]]; then bash deploy/kafka/kafka.sh stop; fi
}
trap cleanup INT TERM EXIT

if ! bash deploy/kafka/kafka.sh status >/dev/null 2>&1; then
  bash deploy/kafka/kafka.sh start
  started_kafka=1
fi

echo "== creating topics"
$BIN/stream topics create

echo "== starting worker (log: var/worker.log)"
$BIN/stream worker >var/worker.log 2>&1 &
worker_pid=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:${STREAM_WEB_PORT}/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$worker_pid" 2>/dev/null; then echo "worker exited; see var/worker.log"; tail -20 var/worker.log; exit 1; fi
  sleep 0.5
done

echo "== producing samples/articles.jsonl"
$BIN/stream produce samples/articles.jsonl

cat <<INFO
== worker running
   metrics:  http://127.0.0.1:${STREAM_WEB_PORT}/metrics
   health:   http://127.0.0.1:${STREAM_WEB_PORT}/healthz
   produce more: .venv/bin/stream produce FILE.jsonl|DIR|-
== output records as they arrive (Ctrl-C stops everything this command started)
INFO
$BIN/stream tail --brief --from-beginning articles.enriched articles.duplicates \
  events.match_results events.quotes articles.dlq || true  # Ctrl-C ends the view
