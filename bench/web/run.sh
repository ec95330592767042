#!/usr/bin/env bash
# Load bench of two pages with wrk, on SQLite then PostgreSQL (see bench/README.md,
# « Banc des pages web ») :
#   - the record page            GET  /personnes/{id}
#   - adding a transmission      POST /personnes/{id}/transmissions (answer 303)
#   - for reference, the style sheet GET /static/carnet.css (no database at all)
# For each backend: demo organisation (seed 7) in a fresh temporary database, release
# server, sign-in as `ide` with curl, one person of the first establishment, then
# bounded wrk runs (warm-up, then -t2 -c16 -d20s --latency per page). Writes a
# Markdown report to bench/results/<date>-web.md. Reports figures and whether the
# targets hold; never fails because of a timing (only when a page does not answer
# as it should).
#
# Environment (all optional):
#   CARNET_BIN       release binary (default /work/target-bench/release/carnet)
#   BENCH_BACKENDS   "sqlite postgres" (default); PostgreSQL is skipped when
#                    nothing answers on BENCH_PG_HOST:BENCH_PG_PORT
#   BENCH_PG_HOST    127.0.0.1      BENCH_PG_PORT 5432      BENCH_PG_USER postgres
#   WRK_THREADS 2  WRK_CONNECTIONS 16  WRK_DURATION 20s  WRK_WARMUP 5s  WRK_TIMEOUT 10s
#   BENCH_OUT        report path (default bench/results/<UTC date>-web.md)
#   BENCH_KEEP=1     keep the temporary folders (server logs, wrk outputs)
#   BENCH_BIN_COMMIT commit the binary was built from, when it is not HEAD (the
#                    tree changes under a running build on a shared checkout)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${CARNET_BIN:-/work/target-bench/release/carnet}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
PG_PORT=${BENCH_PG_PORT:-5432}
PG_USER=${BENCH_PG_USER:-postgres}
THREADS=${WRK_THREADS:-2}
CONNS=${WRK_CONNECTIONS:-16}
DURATION=${WRK_DURATION:-20s}
WARMUP=${WRK_WARMUP:-5s}
# A slower answer is counted as a timeout and left out of the percentiles:
# well above the latencies seen, so that the tail is measured, not dropped.
TIMEOUT=${WRK_TIMEOUT:-10s}
SEED=7
ACCOUNT=ide
PASSWORD=demo-carnet-2026
OUT=${BENCH_OUT:-$repo/bench/results/$(date -u +%F)-web.md}
# Targets of the issue, for the record page GET at 16 clients.
TARGET_P99_MS=50
TARGET_RPS=500

say() { printf '[bench/web %s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() { say "ERREUR : $*"; exit 1; }

[[ -x $BIN ]] || die "binaire introuvable : $BIN (CARGO_TARGET_DIR=/work/target-bench cargo build --release -p carnet --locked)"
command -v wrk >/dev/null || die "wrk introuvable"
command -v curl >/dev/null || die "curl introuvable"

# --- state of the run, cleaned up on exit -------------------------------------
server_pid=""
pg_db=""
work_dirs=()
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -n $pg_db ]]; then
        psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -q -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
    fi
    if [[ ${BENCH_KEEP:-0} != 1 ]]; then
        for d in "${work_dirs[@]}"; do rm -rf -- "$d"; done
    else
        for d in "${work_dirs[@]}"; do say "gardé : $d"; done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# R[backend.key] = value : every figure of the report.
declare -A R

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# First line of stdin, reading it all (`head -1` would end the writer with
# SIGPIPE, which `pipefail` turns into a failure).
first() { awk 'NR == 1'; }

free_port() {
    local p
    for p in $(seq 18480 18580); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "aucun port libre entre 18480 et 18580"
}

urlencode() { # byte by byte, whatever the locale
    local LC_ALL=C
    local s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
            [a-zA-Z0-9.~_-]) out+=$c ;;
            ' ') out+='+' ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

# Percentiles of the server's own `served … elapsed_ms=N` log lines (whole ms,
# time spent inside the server, from the request's arrival in the router to the
# response) for one path, between two line numbers of its log.
server_elapsed() { # log from to path -> "p50 p99 max n"
    sed -n "$(($2 + 1)),$3p" "$1" |
        LC_ALL=C awk -v path="$4" '
            { gsub(/\033\[[0-9;]*m/, "") }
            index($0, " served ") && (index($0, "path=" path " ") || index($0, "path=" path "}")) &&
                match($0, /elapsed_ms=[0-9]+/) { print substr($0, RSTART + 11, RLENGTH - 11) }' |
        LC_ALL=C sort -n |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "- - - 0"; exit }
            i50 = int(NR * 0.50 + 0.999999); if (i50 < 1) i50 = 1
            i99 = int(NR * 0.99 + 0.999999); if (i99 < 1) i99 = 1
            print v[i50], v[i99], v[NR], NR }'
}

# One bounded wrk run. Figures go to R[$backend.$name.*].
#   wrk_run backend name url [extra wrk args…]
wrk_run() {
    local backend=$1 name=$2 url=$3
    shift 3
    local dir=${work_dir:?}
    local before after out=$dir/wrk-$name.txt
    R[$backend.$name.load]=$(loadavg)
    before=$(wc -l <"$dir/server.log")
    say "$backend · $name : wrk -t$THREADS -c$CONNS -d$DURATION --timeout $TIMEOUT --latency (charge ${R[$backend.$name.load]})"
    timeout 300 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "$TIMEOUT" --latency "$@" "$url" >"$out" 2>&1 ||
        die "wrk a échoué ($name) : $(tail -5 "$out")"
    after=$(wc -l <"$dir/server.log")
    local line kv
    line=$(sed -n 's/^CARNET_WRK //p' "$out")
    [[ -n $line ]] || die "pas de résultat wrk ($name) : $(tail -5 "$out")"
    for kv in $line; do R[$backend.$name.${kv%%=*}]=${kv#*=}; done
    local srv
    srv=$(server_elapsed "$dir/server.log" "$before" "$after" "$(sed 's|^http://[^/]*||' <<<"$url")")
    read -r "R[$backend.$name.srv_p50]" "R[$backend.$name.srv_p99]" "R[$backend.$name.srv_max]" "R[$backend.$name.srv_n]" <<<"$srv"
    R[$backend.$name.raw]=$out
    say "$backend · $name : ${R[$backend.$name.rps]} req/s, p50 ${R[$backend.$name.p50_us]} µs, p99 ${R[$backend.$name.p99_us]} µs, erreurs HTTP ${R[$backend.$name.err_status]}"
}

warm_up() { # url [extra wrk args…]
    local url=$1
    shift
    say "chauffe $WARMUP : $url"
    timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --timeout "$TIMEOUT" "$@" "$url" >"$work_dir/warmup.txt" 2>&1 ||
        die "la chauffe a échoué : $(tail -5 "$work_dir/warmup.txt")"
}

bench_backend() { # backend url
    local backend=$1 url=$2
    work_dir=$(mktemp -d /tmp/carnet-bench-web.XXXXXX)
    work_dirs+=("$work_dir")
    local db_url=$url
    [[ $backend == sqlite ]] && db_url="sqlite://$work_dir/carnet.db"
    R[$backend.db]=$(sed 's|//[^@/]*@|//…@|' <<<"$db_url")

    # 1. Demo organisation in a fresh database. The working directory is the
    #    temporary folder: the demo PKI goes there for PostgreSQL too.
    say "$backend : organisme de démonstration (graine $SEED)…"
    local t0=$SECONDS
    (cd "$work_dir" && "$BIN" demo --db "$db_url" --seed "$SEED" --no-serve) >"$work_dir/demo.log" 2>&1 ||
        die "carnet demo a échoué : $(tail -5 "$work_dir/demo.log")"
    R[$backend.demo_s]=$((SECONDS - t0))

    # 2. Release server; its stderr (one `served … elapsed_ms` line per request)
    #    goes to a file.
    local port base
    port=$(free_port)
    base=http://127.0.0.1:$port
    (cd "$work_dir" && NO_COLOR=1 exec "$BIN" serve --db "$db_url" --addr "127.0.0.1:$port") \
        >"$work_dir/server.out" 2>"$work_dir/server.log" &
    server_pid=$!
    local i
    for ((i = 0; i < 120; i++)); do
        curl -fsS -o /dev/null "$base/static/carnet.css" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || die "le serveur s'est arrêté : $(tail -5 "$work_dir/server.log")"
        sleep 0.5
    done
    curl -fsS -o /dev/null "$base/static/carnet.css" || die "le serveur ne répond pas sur $base"

    # 3. Sign in, pick a person, read the CSRF token of the record page.
    local status cookie person csrf
    status=$(curl -sS -o /dev/null -D "$work_dir/signin.headers" -w '%{http_code}' \
        --data "identifiant=$ACCOUNT&mot_de_passe=$PASSWORD" "$base/connexion")
    [[ $status == 303 ]] || die "connexion : HTTP $status au lieu de 303"
    cookie=$(tr -d '\r' <"$work_dir/signin.headers" |
        sed -n 's/^[Ss]et-[Cc]ookie: *\(carnet_session=[^;]*\).*/\1/p' | first)
    [[ -n $cookie ]] || die "connexion : pas de cookie carnet_session"
    curl -fsS -H "Cookie: $cookie" -o "$work_dir/persons.html" "$base/personnes" ||
        die "GET /personnes a échoué"
    person=$(grep -o 'href="/personnes/[0-9][0-9]*"' "$work_dir/persons.html" | first | tr -dc '0-9')
    [[ -n $person ]] || die "aucune personne visible par $ACCOUNT dans /personnes"
    R[$backend.person]=$person
    status=$(curl -sS -H "Cookie: $cookie" -o "$work_dir/record.html" -w '%{http_code}' "$base/personnes/$person")
    [[ $status == 200 ]] || die "GET /personnes/$person : HTTP $status"
    R[$backend.record_bytes]=$(wc -c <"$work_dir/record.html")
    csrf=$(grep -o 'name="_csrf" value="[^"]*"' "$work_dir/record.html" | first | sed 's/.*value="//; s/"$//')
    [[ -n $csrf ]] || die "pas de jeton CSRF dans la page du dossier"
    local body
    body="_csrf=$(urlencode "$csrf")&texte=$(urlencode "Transmission du banc de charge (wrk) : la personne a bien dormi.")"
    # One POST by hand: the form must be accepted (303) before it is measured.
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -H 'Sec-Fetch-Site: same-origin' \
        --data "$body" "$base/personnes/$person/transmissions")
    [[ $status == 303 ]] || die "POST /personnes/$person/transmissions : HTTP $status au lieu de 303"
    say "$backend : personne $person, page de ${R[$backend.record_bytes]} octets ; formulaire accepté (303)"

    # 4. Bounded wrk runs: record page, then add-transmission, then the style sheet.
    local get=(-H "Cookie: $cookie" -s "$here/report.lua")
    warm_up "$base/personnes/$person" "${get[@]}"
    wrk_run "$backend" get "$base/personnes/$person" "${get[@]}"
    export CARNET_COOKIE=$cookie CARNET_BODY=$body CARNET_REPORT=$here/report.lua
    warm_up "$base/personnes/$person/transmissions" -s "$here/post.lua"
    wrk_run "$backend" post "$base/personnes/$person/transmissions" -s "$here/post.lua"
    wrk_run "$backend" css "$base/static/carnet.css" -s "$here/report.lua"

    # The page the GET run measured grew during the POST run (transmissions are
    # shown, at most 100): note its size now.
    R[$backend.record_bytes_after]=$(curl -fsS -H "Cookie: $cookie" "$base/personnes/$person" | wc -c)

    # 5. Stop the server (SIGTERM: clean stop).
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    R[$backend.served_lines]=$(grep -c ' served ' "$work_dir/server.log" || true)
    R[$backend.done]=1
}

# --- runs ----------------------------------------------------------------------
started=$(date -u '+%F %T')
load_start=$(loadavg)
for backend in $BACKENDS; do
    case $backend in
        sqlite) bench_backend sqlite "" ;;
        postgres)
            if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 2>/dev/null; then
                say "PostgreSQL ne répond pas sur $PG_HOST:$PG_PORT : ignoré"
                R[postgres.skipped]="ne répond pas sur $PG_HOST:$PG_PORT"
                continue
            fi
            pg_db=carnet_bench_web_$$
            psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -q -c "CREATE DATABASE $pg_db" >/dev/null ||
                die "CREATE DATABASE $pg_db a échoué"
            R[postgres.sync]=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -tAc 'SHOW synchronous_commit' 2>/dev/null || echo '?')
            R[postgres.version]=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -tAc 'SHOW server_version' 2>/dev/null || echo '?')
            bench_backend postgres "postgres://$PG_USER@$PG_HOST:$PG_PORT/$pg_db"
            psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -q -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null || true
            pg_db=""
            ;;
        *) die "moteur inconnu : $backend (sqlite, postgres)" ;;
    esac
done
finished=$(date -u '+%F %T')
load_end=$(loadavg)

# --- report --------------------------------------------------------------------
cols=(sqlite postgres)
ms() { awk -v u="$1" 'BEGIN { if (u == "" || u == "-") print "—"; else if (u >= 100000) printf "%.0f", u / 1000; else if (u >= 10000) printf "%.1f", u / 1000; else printf "%.2f", u / 1000 }'; }
num() { awk -v n="$1" 'BEGIN { if (n == "") print "—"; else { s = sprintf("%.0f", n); r = ""; while (length(s) > 3) { r = " " substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r } }'; }
cell() { # backend expression-kind page
    local b=$1 kind=$2 p=${3:-}
    if [[ -z ${R[$b.done]:-} ]]; then
        echo "non mesuré"
        return
    fi
    case $kind in
        rps) num "${R[$b.$p.rps]}" ;;
        lat) echo "$(ms "${R[$b.$p.p50_us]}") / $(ms "${R[$b.$p.p90_us]}") / $(ms "${R[$b.$p.p99_us]}")" ;;
        max) ms "${R[$b.$p.max_us]}" ;;
        n) num "${R[$b.$p.requests]}" ;;
        err) echo "${R[$b.$p.err_status]} / $((${R[$b.$p.err_connect]} + ${R[$b.$p.err_read]} + ${R[$b.$p.err_write]} + ${R[$b.$p.err_timeout]}))" ;;
        srv) echo "${R[$b.$p.srv_p50]} / ${R[$b.$p.srv_p99]} / ${R[$b.$p.srv_max]}" ;;
        load) echo "${R[$b.$p.load]}" ;;
    esac
}
row() { # label kind page
    local line="| $1 |" b
    for b in "${cols[@]}"; do line+=" $(cell "$b" "$2" "${3:-}") |"; done
    echo "$line"
}
verdict() { # backend -> p99 verdict, rps verdict
    local b=$1
    if [[ -z ${R[$b.done]:-} ]]; then
        echo "non mesuré|non mesuré"
        return
    fi
    local p99=${R[$b.get.p99_us]} rps=${R[$b.get.rps]} a c
    a=$(awk -v v="$p99" -v t="$TARGET_P99_MS" 'BEGIN { print (v <= t * 1000) ? "**tenue · met**" : "**manquée · missed**" }')
    c=$(awk -v v="$rps" -v t="$TARGET_RPS" 'BEGIN { print (v >= t) ? "**tenue · met**" : "**manquée · missed**" }')
    echo "$a|$c"
}
commit=${BENCH_BIN_COMMIT:-$(git -C "$repo" rev-parse --short HEAD)}
dirty=""
# Uncommitted changes to what the binary is built from (tests excluded).
changes=$(git -C "$repo" status --porcelain -- crates Cargo.toml Cargo.lock | { grep -v '/tests/' || true; })
if [[ -n $changes && -z ${BENCH_BIN_COMMIT:-} ]]; then
    dirty=" (crates/ avait des modifications non validées au moment de l'exécution : le binaire peut ne pas correspondre exactement à ce commit · crates/ had uncommitted changes at run time, the binary may differ from this commit)"
fi
bin_time=$(date -u -r "$BIN" '+%F %T')
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | first)

mkdir -p "$(dirname "$OUT")"
{
    echo "# Banc des pages web / web pages load bench — $(date -u +%F)"
    echo
    echo "Produit par \`bench/web/run.sh\`. Deux pages servies par le binaire de production, chargées par \`wrk\`"
    echo "(\`wrk -t$THREADS -c$CONNS -d$DURATION --timeout $TIMEOUT --latency\` : **$CONNS connexions simultanées · concurrent connections**,"
    echo "$DURATION par page après $WARMUP de chauffe · warm-up), session du compte \`$ACCOUNT\` (Infirmier), une personne du premier établissement."
    echo "\`wrk\` tourne sur la même machine que le serveur et la base : il leur prend du temps processeur."
    echo
    echo "- Machine : $(nproc) cœurs · cores ($cpu), $(uname -sr) ; machine partagée · shared (d'autres compilations peuvent tourner)."
    echo "- Charge moyenne · load average (1, 5, 15 min) : $load_start au début · at start, $load_end à la fin · at end ; avant chaque mesure : voir le tableau."
    echo "- Exécution · run : $started → $finished UTC ; binaire compilé depuis · binary built from \`$commit\`$dirty ; binaire · binary \`$BIN\` (compilé · built $bin_time UTC) ; $( (wrk -v 2>&1 || true) | first | cut -d' ' -f1-2)."
    echo "- Données · data : \`carnet demo --seed $SEED\` (≈ 20 établissements, ≈ 1 570 personnes, ≈ 90 k événements) dans une base neuve · fresh database."
    for b in "${cols[@]}"; do
        if [[ -n ${R[$b.done]:-} ]]; then
            extra=""
            [[ $b == postgres ]] && extra=", PostgreSQL ${R[postgres.version]}, \`synchronous_commit = ${R[postgres.sync]}\`"
            [[ $b == sqlite ]] && extra=", WAL, \`synchronous = NORMAL\` (réglages du store · store settings)"
            echo "- $b : \`${R[$b.db]}\`$extra ; démo construite en · demo built in ${R[$b.demo_s]} s ; personne · person ${R[$b.person]} ; page du dossier · record page ${R[$b.record_bytes]} octets · bytes avant · before, ${R[$b.record_bytes_after]} après la mesure du POST · after the POST run."
        else
            echo "- $b : non mesuré · not measured (${R[$b.skipped]:-non demandé · not requested})."
        fi
    done
    echo
    echo "## Cibles · targets (GET de la page du dossier, $CONNS clients)"
    echo
    echo "| Cible · target | SQLite | PostgreSQL | Tenue ? · met? SQLite | PostgreSQL |"
    echo "|---|---:|---:|---|---|"
    IFS='|' read -r s_p99 s_rps <<<"$(verdict sqlite)"
    IFS='|' read -r p_p99 p_rps <<<"$(verdict postgres)"
    echo "| p99 ≤ $TARGET_P99_MS ms (p99 mesuré · measured, ms) | $(ms "${R[sqlite.get.p99_us]:-}") | $(ms "${R[postgres.get.p99_us]:-}") | $s_p99 | $p_p99 |"
    echo "| ≥ $TARGET_RPS requêtes/s · requests/s | $(num "${R[sqlite.get.rps]:-}") | $(num "${R[postgres.get.rps]:-}") | $s_rps | $p_rps |"
    echo
    echo "## Mesures · measurements"
    echo
    echo "Latences en ms, percentiles de \`wrk --latency\` (même histogramme, lu par \`report.lua\`). « Serveur » : lignes"
    echo "\`served … elapsed_ms\` du journal du serveur (ms entières, temps passé dans le routeur, file d'attente du réseau non comprise)."
    echo
    echo "| Page | Mesure · measure | SQLite | PostgreSQL |"
    echo "|---|---|---:|---:|"
    for page in get post css; do
        case $page in
            get) label="**GET \`/personnes/{id}\`** (dossier · record page, 200)" ;;
            post) label="**POST \`/personnes/{id}/transmissions\`** (303)" ;;
            css) label="Référence · reference : GET \`/static/carnet.css\` (sans base · no database)" ;;
        esac
        row "$label | **requêtes/s · req/s**" rps "$page"
        row " | p50 / p90 / p99, ms" lat "$page"
        row " | max, ms" max "$page"
        row " | serveur · server \`elapsed_ms\` p50 / p99 / max" srv "$page"
        row " | requêtes · requests" n "$page"
        row " | erreurs · errors HTTP / socket" err "$page"
        row " | charge avant · load before" load "$page"
    done
    echo
    echo "Erreurs HTTP : réponses autres que 2xx/3xx · non-2xx/3xx answers ; socket : connexion, lecture, écriture, délai · connect, read, write, timeout."
    echo
    echo "Chaque GET écrit une entrée d'audit (transaction d'écriture) ; chaque POST relit le dossier (une entrée d'audit)"
    echo "puis crée l'événement (une autre) : ce sont des écritures mesurées, voulues par le produit."
    echo
    echo "<details><summary>Sorties de wrk · wrk outputs</summary>"
    echo
    for b in "${cols[@]}"; do
        [[ -n ${R[$b.done]:-} ]] || continue
        for page in get post css; do
            echo "$b · $page :"
            echo
            echo '```'
            grep -v '^CARNET_WRK' "${R[$b.$page.raw]}" | sed 's|http://127.0.0.1:[0-9]*|http://127.0.0.1:PORT|'
            echo '```'
            echo
        done
    done
    echo "</details>"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
say "résultats : $OUT"
for b in "${cols[@]}"; do
    [[ -n ${R[$b.done]:-} ]] || continue
    IFS='|' read -r a c <<<"$(verdict "$b")"
    say "$b : GET $(num "${R[$b.get.rps]}") req/s (≥ $TARGET_RPS : ${c//\*/}), p99 $(ms "${R[$b.get.p99_us]}") ms (≤ $TARGET_P99_MS : ${a//\*/}) ; POST $(num "${R[$b.post.rps]}") req/s, p99 $(ms "${R[$b.post.p99_us]}") ms"
done
