#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for
# development and CI. No Docker: the broker jars come from Maven Central through
# deploy/kafka/pom.xml and run on the local JDK (17+).
#
# Usage: deploy/kafka/kafka.sh start|stop|restart|status|logs [-f]|help
#
#   start    fetch the jars once, format KRaft storage once, start the broker in
#            the background and wait until it answers Kafka requests (ApiVersions)
#            on $KAFKA_HOST:$KAFKA_PORT. Already running: says so, exit 0.
#            Not ready in $KAFKA_START_TIMEOUT s: prints the log tail, stops the
#            broker, exit 1.
#   stop     SIGTERM, wait up to $KAFKA_STOP_TIMEOUT s, then SIGKILL. Idempotent.
#   restart  stop, then start.
#   status   prints running/stopped; exit 0 if running, 3 if not.
#   logs     tail the broker log; `logs -f` follows it.
#
# Environment:
#   KAFKA_PORT             client (PLAINTEXT) port                     [9092]
#   KAFKA_CONTROLLER_PORT  KRaft controller port                       [9093]
#   KAFKA_HOST             address the listeners bind to and advertise [127.0.0.1]
#   KAFKA_STATE_DIR        data, pid file, kafka.log, generated server.properties
#                                                  [$REPO/.cache/kafka/run-$KAFKA_PORT]
#   KAFKA_HEAP_OPTS        JVM heap options                  [-Xms256m -Xmx1g]
#   KAFKA_EXTRA_CONFIG     optional properties file appended to the generated
#                          server.properties. Later keys win in Java properties, so
#                          it can override anything, e.g. add a SASL_SSL listener by
#                          restating listeners / advertised.listeners /
#                          listener.security.protocol.map. Keep the PLAINTEXT
#                          listener on $KAFKA_PORT: start's readiness check uses it.
#   KAFKA_OPTS             extra JVM options (e.g. -Djava.security.auth.login.config=...) []
#   KAFKA_FORMAT_ARGS      extra arguments for the one-time storage format (split on
#                          whitespace, no globbing), e.g. SCRAM users:
#                          --add-scram SCRAM-SHA-256=[name=alice,password=alice-secret] []
#   KAFKA_START_TIMEOUT    seconds to wait for readiness                 [60]
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL  [30]
#   JAVA_HOME              if set, $JAVA_HOME/bin/java is used
#
# Files: jars in $REPO/.cache/kafka/libs (fetched once; refetched when pom.xml
# changes), state in $KAFKA_STATE_DIR. Remove the state dir to wipe all topics.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/log4j2.properties"
CACHE_DIR="$REPO/.cache/kafka"
LIBS_DIR="$CACHE_DIR/libs"
STAMP_FILE="$LIBS_DIR/.stamp"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$CACHE_DIR/run-$KAFKA_PORT}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_EXTRA_CONFIG="${KAFKA_EXTRA_CONFIG:-}"
KAFKA_OPTS="${KAFKA_OPTS:-}"
KAFKA_FORMAT_ARGS="${KAFKA_FORMAT_ARGS:-}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

DATA_DIR="$KAFKA_STATE_DIR/data"
PID_FILE="$KAFKA_STATE_DIR/kafka.pid"
LOG_FILE="$KAFKA_STATE_DIR/kafka.log"
CONFIG_FILE="$KAFKA_STATE_DIR/server.properties"

# Where to connect for the readiness check (a wildcard bind is reachable on loopback).
case "$KAFKA_HOST" in
  0.0.0.0 | :: | '') CHECK_HOST=127.0.0.1 ;;
  *) CHECK_HOST="$KAFKA_HOST" ;;
esac

log() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
  # The comment header above is the help text.
  sed -n '2,/^set -euo pipefail$/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

validate_env() {
  local v
  for v in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a number, got '${!v}'"
  done
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (both $KAFKA_PORT)"
}

# ---------------------------------------------------------------- java / jars

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found: install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME"
  fi
}

check_java_version() {
  local java="$1" line major
  line="$("$java" -version 2>&1 | head -n1)"
  major="$(sed -E 's/.*version "([0-9]+)(\.[0-9]+)*.*/\1/' <<<"$line")"
  if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 17)); then
    die "Kafka 4 needs Java 17+, but $java is: $line"
  fi
}

pom_stamp() {
  # Changes whenever pom.xml (hence the Kafka version or any dependency) changes.
  local version
  version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
  printf 'kafka %s pom-sha256 %s\n' "$version" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

libs_ready() {
  [[ -f "$STAMP_FILE" ]] && [[ "$(cat "$STAMP_FILE")" == "$(pom_stamp)" ]] &&
    compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

ensure_libs() {
  libs_ready && return 0
  mkdir -p "$CACHE_DIR"
  # Serialise concurrent first fetches (e.g. two brokers started in parallel).
  exec 9>"$CACHE_DIR/.fetch.lock"
  flock 9
  if libs_ready; then exec 9>&-; return 0; fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found: Maven is needed once to fetch the Kafka jars (apt-get install maven)"
  local tmp="$CACHE_DIR/libs.tmp.$$" build="$CACHE_DIR/build.tmp.$$"
  rm -rf "$tmp" "$build"
  log "fetching Kafka jars from Maven Central into $LIBS_DIR ($(pom_stamp | cut -d' ' -f1-2))"
  if ! mvn -B -q -f "$POM" package -Dkafka.libs.dir="$tmp" -Dkafka.build.dir="$build" >"$CACHE_DIR/mvn.log" 2>&1; then
    tail -n 40 "$CACHE_DIR/mvn.log" >&2
    rm -rf "$tmp" "$build"
    die "mvn failed to fetch the Kafka jars (full output: $CACHE_DIR/mvn.log)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "mvn succeeded but no kafka_2.13 jar in $tmp"
  pom_stamp >"$tmp/.stamp"
  rm -rf "$LIBS_DIR" "$build"
  mv "$tmp" "$LIBS_DIR"
  exec 9>&-
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# ------------------------------------------------------------------- process

# Prints the broker's pid if it is running, else nothing; removes a stale pid file.
running_pid() {
  local pid cmd
  [[ -f "$PID_FILE" ]] || return 0
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    # Guard against pid reuse: it must be our kafka.Kafka on our server.properties.
    if [[ -r "/proc/$pid/cmdline" ]]; then
      cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    else
      cmd="$(ps -o args= -p "$pid" 2>/dev/null || true)"
    fi
    if [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$CONFIG_FILE"* ]]; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  log "removing stale pid file $PID_FILE (pid ${pid:-?} is not a running broker)" >&2
  rm -f "$PID_FILE"
}

port_open() { # host port
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# Sends a Kafka ApiVersions v0 request and checks the response header: proves the
# broker's request handling is up, not merely that the socket accepts.
kafka_answers() { # host port
  local hex
  # shellcheck disable=SC2016 # expanded by the inner shell
  hex="$(timeout 5 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      # size=14 | api_key=18 (ApiVersions) | version=0 | correlation_id=7 | client_id="ping"
      printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x07\x00\x04ping" >&3
      head -c 10 <&3 | od -An -v -tx1 | tr -d " \n"
    ' "$1" "$2" 2>/dev/null)" || return 1
  # bytes 4-7: correlation id 7; bytes 8-9: error code 0 (or 35 UNSUPPORTED_VERSION,
  # which is still a well-formed answer from a working broker).
  [[ "${hex:8:8}" == "00000007" && ("${hex:16:4}" == "0000" || "${hex:16:4}" == "0023") ]]
}

write_config() {
  mkdir -p "$DATA_DIR"
  {
    cat <<EOF
# Generated by deploy/kafka/kafka.sh on every start; edits are overwritten.
# Put overrides in a file named by KAFKA_EXTRA_CONFIG (appended below; later keys win).
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$CHECK_HOST:$KAFKA_PORT,CONTROLLER://$CHECK_HOST:$KAFKA_CONTROLLER_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL

log.dirs=$DATA_DIR
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true

offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# 25 MiB: the service must accept 20 MB message bodies.
message.max.bytes=26214400
replica.fetch.max.bytes=26214400
EOF
    if [[ -n "$KAFKA_EXTRA_CONFIG" ]]; then
      printf '\n# ---- appended from KAFKA_EXTRA_CONFIG=%s\n' "$KAFKA_EXTRA_CONFIG"
      cat "$KAFKA_EXTRA_CONFIG"
      printf '\n'
    fi
  } >"$CONFIG_FILE.tmp"
  mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"
}

java_common_opts() {
  # Word splitting of the *_OPTS variables is intended.
  # shellcheck disable=SC2206
  JAVA_OPTS=(
    $KAFKA_HEAP_OPTS
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$LOG4J_CONFIG"
    "-Dkafka.logs.dir=$KAFKA_STATE_DIR"
    $KAFKA_OPTS
  )
}

format_storage() {
  local java="$1" cluster_id format_args=()
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  # read -a splits on whitespace without pathname expansion ([name=...] is a glob).
  read -r -a format_args <<<"$KAFKA_FORMAT_ARGS"
  cluster_id="$("$java" -Xmx256m "-Dlog4j2.configurationFile=$LOG4J_CONFIG" -cp "$LIBS_DIR/*" \
    kafka.tools.StorageTool random-uuid 2>>"$LOG_FILE" | tail -n1)"
  [[ -n "$cluster_id" ]] || die "could not generate a cluster id (see $LOG_FILE)"
  log "formatting KRaft storage in $DATA_DIR (cluster id $cluster_id)"
  if ! "$java" -Xmx256m "-Dlog4j2.configurationFile=$LOG4J_CONFIG" -cp "$LIBS_DIR/*" \
    kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONFIG_FILE" \
    "${format_args[@]}" >>"$LOG_FILE" 2>&1; then
    tail -n 30 "$LOG_FILE" >&2
    die "formatting storage failed (log: $LOG_FILE)"
  fi
}

cmd_start() {
  local pid java start_ts elapsed
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    log "already running (pid $pid, $CHECK_HOST:$KAFKA_PORT, state $KAFKA_STATE_DIR)"
    return 0
  fi
  if [[ -n "$KAFKA_EXTRA_CONFIG" && ! -r "$KAFKA_EXTRA_CONFIG" ]]; then
    die "KAFKA_EXTRA_CONFIG=$KAFKA_EXTRA_CONFIG is not a readable file"
  fi
  java="$(java_bin)"
  check_java_version "$java"
  if port_open "$CHECK_HOST" "$KAFKA_PORT"; then
    die "port $CHECK_HOST:$KAFKA_PORT is already in use by another process (not the broker of $KAFKA_STATE_DIR)"
  fi
  if port_open "$CHECK_HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $CHECK_HOST:$KAFKA_CONTROLLER_PORT is already in use by another process"
  fi
  ensure_libs

  mkdir -p "$KAFKA_STATE_DIR"
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  : >"$LOG_FILE"
  write_config
  format_storage "$java"
  java_common_opts

  start_ts=$SECONDS
  # New session (setsid): not killed by the caller's Ctrl-C / job control, and no
  # inherited stdio, so callers capturing our output don't hang on the broker.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$java" "${JAVA_OPTS[@]}" -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 &
  local launcher=$!
  # Wait for the pid file written by the launcher (its pid becomes java's pid).
  for _ in $(seq 1 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
  pid="$(tr -dc '0-9' 2>/dev/null <"$PID_FILE" || true)"
  [[ -n "$pid" ]] || pid=$launcher
  log "started broker pid $pid on $CHECK_HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), waiting up to ${KAFKA_START_TIMEOUT}s"

  while :; do
    elapsed=$((SECONDS - start_ts))
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      printf -- '---- last lines of %s\n' "$LOG_FILE" >&2
      tail -n 40 "$LOG_FILE" >&2
      die "broker exited during startup"
    fi
    if kafka_answers "$CHECK_HOST" "$KAFKA_PORT"; then
      log "ready after ${elapsed}s: $CHECK_HOST:$KAFKA_PORT answers Kafka requests (log: $LOG_FILE)"
      return 0
    fi
    if ((elapsed >= KAFKA_START_TIMEOUT)); then
      printf -- '---- last lines of %s\n' "$LOG_FILE" >&2
      tail -n 40 "$LOG_FILE" >&2
      log "broker (pid $pid) not ready after ${KAFKA_START_TIMEOUT}s, stopping it" >&2
      cmd_stop >&2
      die "broker did not become ready within ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT; log: $LOG_FILE)"
    fi
    sleep 0.5
  done
}

cmd_stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running (state $KAFKA_STATE_DIR)"
    return 0
  fi
  log "stopping broker pid $pid (port $KAFKA_PORT)"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= KAFKA_STOP_TIMEOUT * 10)); then
      log "no clean exit after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  pid="$(running_pid 2>/dev/null)"
  if [[ -n "$pid" ]]; then
    echo "running (pid $pid, $CHECK_HOST:$KAFKA_PORT, controller $KAFKA_CONTROLLER_PORT, state $KAFKA_STATE_DIR)"
    return 0
  fi
  echo "stopped (state $KAFKA_STATE_DIR)"
  return 3
}

cmd_logs() {
  [[ -f "$LOG_FILE" ]] || die "no log file yet: $LOG_FILE"
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -F "$LOG_FILE"
  fi
  tail -n 100 "$LOG_FILE"
}

main() {
  local cmd="${1:-help}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    help | -h | --help) usage; return 0 ;;
  esac
  validate_env
  case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
