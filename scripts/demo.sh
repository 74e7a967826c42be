#!/usr/bin/env bash
# One command from a fresh clone: set up, then run the demo on the embedded SQLite ledger.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/ledger demo "$@"
