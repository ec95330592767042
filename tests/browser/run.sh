#!/usr/bin/env bash
# Browser suite: Carnet's pages in headless Chromium (playwright-core) with
# axe-core, against a demo organisation served by the carnet binary.
#
# Builds nothing: the binary comes from $CARNET_BIN, by default
# ${CARGO_TARGET_DIR:-target}/debug/carnet relative to the repository root.
# Without Chromium (or Node.js) the suite is skipped with a banner, except
# under CI, where that is a failure. Screenshots go to
# ${CARNET_ARTIFACTS:-target/artifacts}/screenshots/*.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

skip() {
  {
    echo "######################################################################"
    echo "# ATTENTION : $1"
    echo "# La suite navigateur (tests/browser) est SAUTÉE."
    echo "# Installez chromium, nodejs et npm (apt-get) pour la lancer."
    echo "######################################################################"
  } >&2
  if [ -n "${CI:-}" ]; then
    echo "CI : la suite navigateur est obligatoire, échec." >&2
    exit 1
  fi
  exit 0
}

chromium_bin=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium_bin" ] || [ ! -x "$chromium_bin" ]; then
  skip "Chromium absent."
fi
command -v node >/dev/null || skip "Node.js absent."

if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  npm ci --prefix tests/browser --no-audit --no-fund
fi

bin=${CARNET_BIN:-${CARGO_TARGET_DIR:-target}/debug/carnet}
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if [ ! -x "$bin" ]; then
  echo "Binaire carnet introuvable : $bin (cargo build -p carnet --locked, ou CARNET_BIN=…)" >&2
  exit 1
fi

artifacts=${CARNET_ARTIFACTS:-target/artifacts}
case "$artifacts" in /*) ;; *) artifacts="$root/$artifacts" ;; esac
mkdir -p "$artifacts/screenshots"
rm -f "$artifacts/screenshots/"*.png

work=$(mktemp -d "${TMPDIR:-/tmp}/carnet-browser.XXXXXX")
server_pid=
platform_pid=
cleanup() {
  for pid in "$server_pid" "$platform_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ -f "$work/server.log" ]; then cp "$work/server.log" "$artifacts/browser-server.log"; fi
  if [ -f "$work/platform.log" ]; then cp "$work/platform.log" "$artifacts/browser-platform.log"; fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s)
echo "Suite navigateur : organisme de démonstration (graine 7) dans $work" >&2
"$bin" demo --db "sqlite://$work/d.db" --seed 7 --no-serve >"$work/demo.log" 2>&1 || {
  cat "$work/demo.log" >&2
  echo "carnet demo a échoué" >&2
  exit 1
}

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
port=$(free_port)
url="http://127.0.0.1:$port"
NO_COLOR=1 "$bin" serve --db "sqlite://$work/d.db" --addr "127.0.0.1:$port" 2>"$work/server.log" >&2 &
server_pid=$!
# The collection platform of the demo (carnet demo seeds it in a database of
# its own, beside the DUI's).
platform_port=$(free_port)
platform_url="http://127.0.0.1:$platform_port"
NO_COLOR=1 "$bin" platform serve --db "sqlite://$work/d-plateforme.db" --addr "127.0.0.1:$platform_port" --trust "$work/carnet-pki/ca.pem" 2>"$work/platform.log" >&2 &
platform_pid=$!

# Wait until a server answers its sign-in page (60 s at most, less if it dies).
wait_for() {
CARNET_URL=$1 SERVER_PID=$2 node -e '
  const deadline = Date.now() + 60000;
  (async () => {
    while (Date.now() < deadline) {
      try { process.kill(Number(process.env.SERVER_PID), 0); } catch { process.exit(1); }
      try { const r = await fetch(process.env.CARNET_URL + "/connexion"); if (r.status === 200) process.exit(0); } catch {}
      await new Promise((ok) => setTimeout(ok, 250));
    }
    process.exit(1);
  })();'
}
if ! wait_for "$url" "$server_pid"; then
  echo "Le serveur carnet ne répond pas sur $url :" >&2
  tail -n 50 "$work/server.log" >&2 || true
  exit 1
fi
if ! wait_for "$platform_url" "$platform_pid"; then
  echo "La plateforme de collecte ne répond pas sur $platform_url :" >&2
  tail -n 50 "$work/platform.log" >&2 || true
  exit 1
fi
echo "Serveur prêt sur $url ($(( $(date +%s) - started )) s avec la démo)" >&2

# One test file at a time: two cores, one server, one Chromium at once.
concurrency=()
if node --test-concurrency=1 --version >/dev/null 2>&1; then concurrency=(--test-concurrency=1); fi

status=0
CARNET_URL=$url CARNET_PLATFORM_URL=$platform_url CHROMIUM=$chromium_bin CARNET_SCREENSHOTS="$artifacts/screenshots" \
  node --test "${concurrency[@]}" tests/browser/*.test.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "Suite navigateur en échec ; journal du serveur (fin) :" >&2
  tail -n 40 "$work/server.log" >&2 || true
fi
echo "Suite navigateur : $(( $(date +%s) - started )) s ; captures dans $artifacts/screenshots" >&2
exit "$status"
