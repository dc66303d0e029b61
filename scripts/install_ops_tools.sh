#!/usr/bin/env bash
# Operations test tools from Debian's packages, installed only when missing:
#   promtool + prometheus (package `prometheus`): alert-rule checks and the scrape test,
#   chromium (+ a font so text renders): the headless status-page test.
# Idempotent and quiet: a machine that has them already does nothing (no apt-get update).
# Needs root (CI and developer machines run as root) or passwordless sudo.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ]] || need+=(fonts-liberation)

if [[ ${#need[@]} -eq 0 ]]; then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "install_ops_tools: need root to install ${need[*]}" >&2
    exit 1
  fi
fi

echo "install_ops_tools: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup() {
  rm -f "$log"
  if [[ $own_policy == 1 ]]; then $SUDO rm -f "$policy"; fi
}
trap cleanup EXIT
# The `prometheus` package would start its own server on :9090; the tests start theirs
# on free ports. Debian's policy-rc.d (exit 101) stops package scripts from starting
# services: container images ship one; elsewhere one is put there for the install only.
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
fi
# --no-install-recommends keeps chromium small.
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends \
    "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_ops_tools: apt-get failed" >&2
  exit 1
fi
command -v promtool >/dev/null && command -v chromium >/dev/null
echo "install_ops_tools: done"
