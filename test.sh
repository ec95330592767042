#!/usr/bin/env bash
# The test command of the README: every test of the workspace on SQLite and, when
# PostgreSQL answers on 127.0.0.1:5432, on PostgreSQL too; then the browser suite.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${CARNET_TEST_POSTGRES_URL:-}" ]; then
  if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then
    export CARNET_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    echo "######################################################################" >&2
    echo "# ATTENTION : PostgreSQL absent, les tests PostgreSQL sont SAUTÉS.    #" >&2
    echo "# Démarrez-le ou définissez CARNET_TEST_POSTGRES_URL pour les lancer. #" >&2
    echo "######################################################################" >&2
  fi
fi
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --doc --locked
else
  cargo test --workspace --locked
fi

# Browser suite (tests/browser/run.sh): the pages in Chromium, on the binary
# that this cargo build gives (skipped with a banner without Chromium, but not in CI).
# The same targets as the test build above: nothing is rebuilt, and the
# binary is the one the tests ran against.
cargo build --workspace --all-targets --locked
CARNET_BIN="${CARGO_TARGET_DIR:-target}/debug/carnet" tests/browser/run.sh
