#!/usr/bin/env bash
# Install the app into .venv and start it on the embedded SQLite database (demo data on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# Demo mode shows its accounts on the login page: bound to this machine unless told otherwise.
exec .venv/bin/streamlit run app.py --server.address 127.0.0.1 "$@"
