#!/usr/bin/env bash
# Install everything (Debian: PostgreSQL, Chromium, CJK fonts; Python: requirements-dev.txt)
# and run the whole test suite: unit, services on SQLite and PostgreSQL, pages, browser journey.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in postgresql chromium fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# A throwaway PostgreSQL cluster on loopback, owned by the postgres user, removed on exit.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DIR=$(mktemp -d /tmp/crhq-pg.XXXXXX)
PG_PORT=${CRHQ_TEST_PG_PORT:-54329}
chown postgres "$PG_DIR"
su postgres -s /bin/sh -c "cd / && $PG_BIN/initdb -D $PG_DIR/data -A trust -U postgres -E UTF8 >/dev/null"
su postgres -s /bin/sh -c "cd / && $PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -w -o \"-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
cleanup() { su postgres -s /bin/sh -c "cd / && $PG_BIN/pg_ctl -D $PG_DIR/data -m fast stop >/dev/null" || true; rm -rf "$PG_DIR"; }
trap cleanup EXIT
export CRHQ_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"

.venv/bin/ruff check lib pages app.py tests migrations
.venv/bin/python -m pytest "$@"
# The same KPI tests once more with every read going through the analytic mirror (lib.analytics),
# which the full run above only uses where tests ask for it (the fixtures are too small for "auto").
if [ $# -eq 0 ]; then
  CRHQ_ANALYTICS=on .venv/bin/python -m pytest -q tests/service/test_kpis.py tests/service/test_survey_views.py \
    tests/service/test_overview_report_explore.py
fi
