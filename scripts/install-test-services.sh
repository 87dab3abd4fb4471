#!/usr/bin/env bash
# Install the servers the test suite drives: Debian's chromium (browser tests) and
# PostgreSQL (the store's tests run against a real server the fixtures start).
# Idempotent: installs only what is missing. Needs root (or sudo) and Debian's apt.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)

if [ ${#need[@]} -eq 0 ]; then
  echo "test services: chromium and postgresql are installed"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "test services: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts a default cluster on install; the tests start their own, so stop it.
if [[ " ${need[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
  $sudo service postgresql stop >/dev/null 2>&1 || true
fi
echo "test services: done"
