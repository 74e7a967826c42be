#!/usr/bin/env bash
# One command from a fresh clone: set up, start PostgreSQL, lint, type-check, check the
# import contracts, run every test tier (architecture, unit, property, vectors, integration
# with PostgreSQL and the Tansu broker, end-to-end). Slow tiers are marked but run. Extra
# arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/start-postgres.sh
echo "== ruff" >&2
.venv/bin/ruff check .
echo "== mypy --strict" >&2
.venv/bin/mypy
# The layers (pyproject.toml [tool.importlinter], docs/architecture.md), before the long
# tiers so a broken rule shows in seconds; tests/architecture runs them again with pytest.
echo "== import contracts" >&2
.venv/bin/lint-imports --no-cache
echo "== pytest" >&2
exec .venv/bin/pytest -p no:cacheprovider "$@"
