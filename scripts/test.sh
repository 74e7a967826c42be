#!/usr/bin/env bash
# One command from a fresh clone: set up, start PostgreSQL, lint, type-check, run every
# test tier (unit, property, vectors, integration with PostgreSQL and the Tansu broker,
# end-to-end). Slow tiers are marked but run. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/start-postgres.sh
echo "== ruff" >&2
.venv/bin/ruff check .
echo "== mypy --strict" >&2
.venv/bin/mypy
echo "== pytest" >&2
exec .venv/bin/pytest -p no:cacheprovider "$@"
