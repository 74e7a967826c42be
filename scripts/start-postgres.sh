#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and the test database exists.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}; PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres: not installed; installing Debian's postgresql" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
if ! pg_isready -q; then
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  echo "postgres: starting cluster $version/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
fi
pg_isready -q || { echo "postgres: not answering on $PGHOST:$PGPORT" >&2; exit 1; }
if ! psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'ledger_test'" | grep -q 1; then
  createdb ledger_test
  echo "postgres: created database ledger_test" >&2
fi
