#!/usr/bin/env bash
# System packages the integration and browser tests need (Debian): Node.js runs the reference
# StatsD daemon, Chromium drives the UI tests, promtool (Debian package prometheus) checks the
# alert rules, Postgres and Redis serve `make stack`,
# Java runs local Spark. Idempotent; skipped when everything is present.
set -euo pipefail
need=()
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# `make stack` and tests/system: Postgres 15 and Redis (run on loopback ports, not as services).
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# SparkSource tests: a local Spark needs a Java 17 runtime.
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
