#!/usr/bin/env bash
# system-restore.sh [--files-gib G] [--files N] [--db-scale S] [--orders N] [--rounds R]
#                   [--out FILE] [--append FILE] [--work DIR] [--keep] [--no-build] [--no-diagnostics]
#
# The RTO of a full-system restore of the mini platform (fixtures/platform: app.py serving a
# page built from ROOT/uploads, ROOT/.env and the `orders` table of its database), silo against
# the seed's legacy path, in the same run (issue 18's target: silo ≤ 0.35 × the seed's time).
#
#   --files-gib G     bytes under ROOT/uploads, in GiB (default 1; 0.05 for a quick run)
#   --files N         files under ROOT/uploads (default 5000 per GiB, at least 200)
#   --db-scale S      pgbench -i scale of the database (default 18: ≈ 275 MB; with the orders,
#                     ≈ 300 MB by pg_database_size)
#   --orders N        rows of the app's `orders` table (default 200000)
#   --rounds R        rounds of both restores (default 4): odd rounds legacy then silo, even
#                     rounds silo then legacy, against cache order
#   --out FILE        the report (default Benchmarks/SYSTEM-RESTORE-latest.md, replaced)
#   --append FILE     also append the report, as a section, to FILE (e.g. Benchmarks/RESULTS.md)
#   --work DIR        scratch directory (default /tmp/silo-bench-sysrestore; wiped at the start,
#                     removed at the end unless --keep)
#   --keep            keep the scratch directory and the database (the app is stopped anyway)
#   --no-build        do not build silo; use SILO_BIN or .build/release/silo as it is
#   --no-diagnostics  skip the breakdown runs after the rounds (pg_restore alone, silo restore
#                     --postgres with its own timings and --jobs 2, silo restore --target, gzip -dc)
# Environment: SILO_BIN (a silo binary; the release build is made unless it is given),
# SILO_PASSWORD (a benchmark default when unset), SILO_TEST_PG_DIR, SILO_TEST_PG_PORT (as for
# scripts/postgres-test-server.sh). The database password goes through PGPASSWORD/DB_PASSWORD only.
#
# Setup: the throwaway server of scripts/postgres-test-server.sh (started if needed, stopped at
# the end only if this script started it); database silo_bench_sysrestore = `pgbench -i -s S` +
# `orders`; ROOT = WORK/platform with uploads/ (Benchmarks/lib/uploads.py: 60 % incompressible
# media, 40 % text documents, ~140 directories) and .env; the app started with start.sh and
# healthy. Backups of the same state: `silo init` + `silo run --config` (sources: uploads + .env,
# and the database), and the seed's `tar czf daily.tar.gz -C / ROOT` and `pg_dump DB | gzip`.
# Each restore follows a disaster (ROOT/uploads deleted, every table of the database dropped):
#   legacy: [gzip -t of both files: the seed's step 1, reported, not in the total] stop.sh;
#           DROP/CREATE DATABASE + `gunzip -c db.sql.gz | psql`; `tar xzf daily.tar.gz -C /`;
#           start.sh, then /health polled (at once, then after 0.1 s, the waits doubling up to a
#           second, as silo's health check does) until it says healthy
#   silo:   `silo restore --system --yes --json --config FILE` (its health check polls the same
#           way); the wall time of the process, and its summary's rto_seconds and timings
# After each: files (type, mode, size and SHA-256 of everything under uploads/ and .env) and the
# database (row counts and sums) compared with their state before the backups, /health healthy.
# Each disaster ends with `sync`, so no restore pays for writing out what came before it.
# Odd rounds run legacy then silo, even rounds silo then legacy. Exits non-zero with !!! banners if a
# step fails or a restore differs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The app is a daemon: start.sh's shell exits and leaves it to the nearest child subreaper, by
# default PID 1, and stop.sh waits until `kill -0` fails, which is only once the dead app has been
# reaped. This sandbox's PID 1 reaps about every 2 s (a plain init or systemd does it at once), which
# would add ~2 s to every stop of both paths. So the script runs under a subreaper of its own that
# reaps at once (a Python parent with PR_SET_CHILD_SUBREAPER).
if [[ -z ${SYSTEM_RESTORE_REAPER:-} ]]; then
    export SYSTEM_RESTORE_REAPER=1
    exec python3 -c '
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execvp("bash", ["bash"] + sys.argv[1:])
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, lambda n, f: os.kill(child, n))
code = 1
while True:
    try:
        pid, status = os.wait()
    except ChildProcessError:
        break
    if pid == child:
        code = os.waitstatus_to_exitcode(status)
        break
sys.exit(code if code >= 0 else 128 - code)
' "${BASH_SOURCE[0]}" "$@"
fi
ROOT_DIR=$(cd "$HERE/.." && pwd)
FILES_GIB=1
FILES=
DB_SCALE=18
ORDERS=200000
ROUNDS=4
OUT="$HERE/SYSTEM-RESTORE-latest.md"
APPEND=
WORK=/tmp/silo-bench-sysrestore
KEEP=0
BUILD=1
DIAGNOSTICS=1
PGBIN=/usr/lib/postgresql/15/bin
PG_SERVER_SCRIPT=$ROOT_DIR/scripts/postgres-test-server.sh
PG_DIR=${SILO_TEST_PG_DIR:-/tmp/silo-pg-test}
FIXTURES=$ROOT_DIR/fixtures/platform
DB=silo_bench_sysrestore
HEALTH_INTERVAL=1   # seconds between /health tries, for both paths
HEALTH_TRIES=60

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --files-gib) FILES_GIB=${2:?--files-gib needs a value}; shift 2 ;;
        --files) FILES=${2:?--files needs a value}; shift 2 ;;
        --db-scale) DB_SCALE=${2:?--db-scale needs a value}; shift 2 ;;
        --orders) ORDERS=${2:?--orders needs a value}; shift 2 ;;
        --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --append) APPEND=${2:?--append needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --no-diagnostics) DIAGNOSTICS=0; shift ;;
        -h | --help) usage ;;
        *) echo "system-restore.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
awk -v g="$FILES_GIB" 'BEGIN { exit !(g + 0 > 0) }' || { echo "system-restore.sh: --files-gib must be a positive number" >&2; exit 64; }
[[ -z $FILES ]] && FILES=$(awk -v g="$FILES_GIB" 'BEGIN { n = int(5000 * g + 0.5); print (n < 200 ? 200 : n) }')
[[ $FILES =~ ^[0-9]+$ && $FILES -ge 1 ]] || { echo "system-restore.sh: --files must be an integer >= 1" >&2; exit 64; }
[[ $DB_SCALE =~ ^[0-9]+$ && $DB_SCALE -ge 1 ]] || { echo "system-restore.sh: --db-scale must be an integer >= 1" >&2; exit 64; }
[[ $ORDERS =~ ^[0-9]+$ && $ORDERS -ge 1 ]] || { echo "system-restore.sh: --orders must be an integer >= 1" >&2; exit 64; }
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || { echo "system-restore.sh: --rounds must be an integer >= 1" >&2; exit 64; }
FILES_BYTES=$(awk -v g="$FILES_GIB" 'BEGIN { printf "%.0f", g * 1073741824 }')

log() { printf '[system-restore %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=system-restore.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"
die() { problem "$*"; exit 1; }

# --------------------------------------------------------------------------- prerequisites
[[ -x $PGBIN/pgbench && -x $PGBIN/pg_dump && -x $PGBIN/psql && -x $PG_SERVER_SCRIPT ]] ||
    { echo "system-restore.sh: needs PostgreSQL 15 ($PGBIN; apt-get install postgresql) and $PG_SERVER_SCRIPT" >&2; exit 1; }
missing_pkgs=()
command -v python3 >/dev/null || missing_pkgs+=(python3)
command -v curl >/dev/null || missing_pkgs+=(curl)
command -v gzip >/dev/null || missing_pkgs+=(gzip)
tar --version 2>/dev/null | grep -q 'GNU tar' || missing_pkgs+=(tar)
install_packages "${missing_pkgs[@]}"

cd "$ROOT_DIR"
if [[ -z ${SILO_BIN:-} ]]; then
    SILO_BIN=$ROOT_DIR/.build/release/silo
    if [[ $BUILD -eq 1 ]]; then
        log "swift build -c release --product silo"
        swift build -c release --product silo >"/tmp/system-restore-build.$$.log" 2>&1 ||
            { tail -n 30 "/tmp/system-restore-build.$$.log" >&2; echo "system-restore.sh: the release build failed" >&2; exit 1; }
        rm -f "/tmp/system-restore-build.$$.log"
    fi
fi
[[ -x $SILO_BIN ]] || { echo "system-restore.sh: $SILO_BIN missing (build it with: swift build -c release --product silo)" >&2; exit 1; }
"$SILO_BIN" restore --help 2>&1 | grep -q -- '--system' ||
    { echo "system-restore.sh: $SILO_BIN has no 'restore --system' (built from older source?)" >&2; exit 1; }

# --------------------------------------------------------------------------- scratch layout
claim_scratch "$WORK" .silo-bench-sysrestore
mkdir -p "$WORK"/{platform,run,legacy,logs,state,cache,scratch}
touch "$WORK/.silo-bench-sysrestore"
WORK=$(cd "$WORK" && pwd)
PLATFORM=$WORK/platform
RUNDIR=$WORK/run
CONFIG=$WORK/silo.yaml
RESULTS=$WORK/results.tsv   # round order path verify stop database files start other total rto check
DIAG=$WORK/diagnostics.tsv  # label seconds note
: >"$RESULTS"
: >"$DIAG"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

export TZ=UTC
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export SILO_CACHE_DIR=$WORK/cache/silo XDG_CACHE_HOME=$WORK/cache/xdg SILO_STATE_DIR=$WORK/state
export SILO_PG_BINDIR=$PGBIN   # silo runs the same pg_dump/pg_restore as the legacy path
unset SILO_REPOSITORY SILO_CONFIG
export PATH=$PGBIN:$PATH       # app.py runs `psql`

# --------------------------------------------------------------------------- server and helpers
start_pg_server
stop_server() { if [[ ${pg_was_running:-1} -eq 0 ]]; then "$PG_SERVER_SCRIPT" stop || true; pg_was_running=1; fi; }
cleanup() {
    "$FIXTURES/stop.sh" "$RUNDIR" 2>/dev/null || true
    if [[ $KEEP -eq 0 ]]; then drop_all_databases || true; fi
    stop_server
}
trap cleanup EXIT

sql() { PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
drop_db() { sql postgres "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null; }
# The database and every copy a restore keeps or leaves: _restore, _old_<id>, _failed_<id>, _diag*
drop_all_databases() {
    local d
    for d in $(sql postgres "SELECT datname FROM pg_database WHERE datname = '$DB' OR datname LIKE '${DB//_/\\_}\\_%'"); do
        drop_db "$d" || problem "could not drop database $d"
    done
}
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HEALTH_URL=http://127.0.0.1:$PORT/health
health() { curl -s -m 5 "$HEALTH_URL" 2>/dev/null || true; }
# wait_healthy: /health tried at once, then after 0.1 s, the waits doubling up to HEALTH_INTERVAL
# s, HEALTH_TRIES times at most (what silo's http check with the same interval and retries does)
wait_healthy() {
    local i pause=0.1
    for ((i = 0; i < HEALTH_TRIES; i++)); do
        if [[ $(health) == healthy* ]]; then return 0; fi
        sleep "$pause"
        pause=$(awk -v p="$pause" -v m="$HEALTH_INTERVAL" 'BEGIN { p *= 2; print (p < m) ? p : m }')
    done
    return 1
}
start_app() { "$FIXTURES/start.sh" "$PLATFORM" "$RUNDIR"; }
stop_app() { "$FIXTURES/stop.sh" "$RUNDIR"; }

# files_state: type, mode and size of everything under uploads/ and .env, then the SHA-256 of
# each file (kept copies and staging directories beside them are not included)
files_state() {
    (
        cd "$PLATFORM"
        find uploads .env -type d -printf '%y %m %p\n' -o -printf '%y %m %s %p\n' | LC_ALL=C sort
        find uploads .env -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    )
}
# db_state: row counts (and sums) of every table
db_state() {
    sql "$DB" "SELECT 'orders ' || (SELECT count(*) || ' ' || sum(amount) || ' ' || md5(string_agg(item, ',' ORDER BY id)) FROM orders)
        || ' | accounts ' || (SELECT count(*) || ' ' || sum(abalance) FROM pgbench_accounts)
        || ' | branches ' || (SELECT count(*) FROM pgbench_branches) || ' | tellers ' || (SELECT count(*) FROM pgbench_tellers)
        || ' | history ' || (SELECT count(*) FROM pgbench_history)"
}

# --------------------------------------------------------------------------- the platform
drop_all_databases
log "database $DB: pgbench -i -s $DB_SCALE + $ORDERS orders; server $SERVER_BASE; scratch $WORK"
sql postgres "CREATE DATABASE $DB" >/dev/null || die "CREATE DATABASE $DB failed"
setup_start=$(now)
"$PGBIN/pgbench" -i -q -s "$DB_SCALE" "$DB" >"$WORK/logs/pgbench-init.log" 2>&1 ||
    { tail -n 20 "$WORK/logs/pgbench-init.log" >&2; die "pgbench -i -s $DB_SCALE failed"; }
sql "$DB" "CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, item text NOT NULL, amount numeric(10,2) NOT NULL,
        created timestamptz NOT NULL);
    INSERT INTO orders SELECT g, 1 + (g * 7919) % 50000, 'item ' || md5(g::text), ((g * 37) % 100000) / 100.0,
        timestamptz '2026-01-01 00:00:00+00' + g * interval '13 seconds' FROM generate_series(1, $ORDERS) g;
    CREATE INDEX orders_customer ON orders (customer); ANALYZE" >/dev/null || die "creating the orders table failed"
DB_BYTES=$(sql "$DB" "SELECT pg_database_size(current_database())")
log "database: $((DB_BYTES / 1048576)) MiB in $(elapsed "$setup_start" "$(now)") s"

log "uploads: $FILES files, $FILES_GIB GiB"
gen_start=$(now)
read -r UP_FILES UP_BYTES UP_TEXT UP_DIRS < <(python3 "$HERE/lib/uploads.py" "$PLATFORM/uploads" "$FILES_BYTES" "$FILES") ||
    die "generating the uploads failed"
GEN_SECONDS=$(elapsed "$gen_start" "$(now)")
printf 'PORT=%s\nDB_NAME=%s\nGREETING=system-restore benchmark\nJWT_SECRET=%s\nSMTP_PASSWORD=%s\n' \
    "$PORT" "$DB" "$(head -c 24 /dev/urandom | base64)" "$(head -c 12 /dev/urandom | base64)" >"$PLATFORM/.env"
chmod 600 "$PLATFORM/.env"
log "uploads: $UP_FILES files, $((UP_BYTES / 1048576)) MiB ($((UP_TEXT / 1048576)) MiB text) in $UP_DIRS directories, $GEN_SECONDS s"

start_app
wait_healthy || die "the app never became healthy before the backups: $(health)"
log "app: $(health)"

# --------------------------------------------------------------------------- silo configuration
cat >"$CONFIG" <<YAML
repository:
  location: $WORK/repo
state:
  directory: $WORK/state
sources:
  files:
    paths: [$PLATFORM/uploads, $PLATFORM/.env]
  db:
    postgres:
      url: $SERVER_BASE/$DB
      password_env: DB_PASSWORD
services:
  database:
    priority: critical
    keep_running: true
    commands:
      start: "true"
      stop: "true"
      status: $PGBIN/pg_isready -q -h $PGHOST -p $PGPORT
    databases: [$DB]
    health:
      - tcp: $PGHOST:$PGPORT
  web:
    priority: medium
    timeout: 20s
    commands:
      start: $FIXTURES/start.sh '$PLATFORM' '$RUNDIR'
      stop: $FIXTURES/stop.sh '$RUNDIR'
      status: $FIXTURES/status.sh '$RUNDIR'
    paths: [$PLATFORM/uploads, $PLATFORM/.env]
    health:
      - http: $HEALTH_URL
        body: healthy
        timeout: 5s
        retries: $((HEALTH_TRIES - 1))
        interval: ${HEALTH_INTERVAL}s
YAML
chmod 600 "$CONFIG"
"$SILO_BIN" --config "$CONFIG" config validate >"$WORK/logs/config-validate.log" 2>&1 ||
    { cat "$WORK/logs/config-validate.log" >&2; die "silo config validate refused $CONFIG"; }

# --------------------------------------------------------------------------- backups
files_state >"$WORK/files.expected"
DB_EXPECTED=$(db_state)
log "expected: $(wc -l <"$WORK/files.expected") lines of file state; $DB_EXPECTED"

"$SILO_BIN" init -q -r "$WORK/repo" >"$WORK/logs/silo-init.log" 2>&1 || { cat "$WORK/logs/silo-init.log" >&2; die "silo init failed"; }
t=$(now)
"$SILO_BIN" run --config "$CONFIG" >"$WORK/logs/silo-run.log" 2>&1 || { tail -n 30 "$WORK/logs/silo-run.log" >&2; die "silo run failed"; }
SILO_BACKUP_SECONDS=$(elapsed "$t" "$(now)")
REPO_BYTES=$(du -sb "$WORK/repo" | cut -f1)
SILO_FILES_SNAPSHOT=$("$SILO_BIN" snapshots -r "$WORK/repo" --json 2>/dev/null | python3 -c '
import json, sys
found = "-"
for line in sys.stdin:
    obj = json.loads(line) if line.startswith("{") else {}
    if obj.get("message_type") == "snapshot" and "source:files" in obj.get("tags", []):
        found = obj["id"]
print(found)')
log "silo run: $SILO_BACKUP_SECONDS s, repository $((REPO_BYTES / 1048576)) MiB"

t=$(now)
tar czf "$WORK/legacy/daily.tar.gz" -C / "${PLATFORM#/}" 2>"$WORK/logs/tar-czf.log" || { cat "$WORK/logs/tar-czf.log" >&2; die "tar czf failed"; }
TAR_SECONDS=$(elapsed "$t" "$(now)")
t=$(now)
# shellcheck disable=SC2016
bash -o pipefail -c '"$1/pg_dump" "$2" | gzip >"$3"' dump "$PGBIN" "$DB" "$WORK/legacy/db.sql.gz" 2>"$WORK/logs/pg-dump.log" ||
    { cat "$WORK/logs/pg-dump.log" >&2; die "pg_dump | gzip failed"; }
DUMP_SECONDS=$(elapsed "$t" "$(now)")
TAR_BYTES=$(stat -c %s "$WORK/legacy/daily.tar.gz")
DUMP_GZ_BYTES=$(stat -c %s "$WORK/legacy/db.sql.gz")
log "legacy: tar czf $TAR_SECONDS s ($((TAR_BYTES / 1048576)) MiB), pg_dump | gzip $DUMP_SECONDS s ($((DUMP_GZ_BYTES / 1048576)) MiB)"

# --------------------------------------------------------------------------- disaster and checks
disaster() {
    rm -rf "$PLATFORM/uploads"
    sql "$DB" "DROP TABLE IF EXISTS orders, pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history CASCADE" >/dev/null ||
        die "dropping the tables failed"
    local answer
    answer=$(health)
    [[ $answer == healthy* ]] && die "the app still says healthy after the disaster: $answer"
    # What earlier steps left dirty in the page cache is written out now, not during the restore.
    sync
    log "disaster: uploads deleted, tables dropped; /health: ${answer%%$'\n'*}"
}

# check_restore LABEL: files, rows and health against the state before the backups; sets CHECK
check_restore() {
    local label=$1 files=ok rows=ok up=ok got
    files_state >"$WORK/files.got" 2>/dev/null || true
    if ! cmp -s "$WORK/files.expected" "$WORK/files.got"; then
        files="DIFFER"
        problem "$label: the restored files differ (diff $WORK/files.expected $WORK/files.got: $(diff "$WORK/files.expected" "$WORK/files.got" | wc -l) lines)"
        cp "$WORK/files.got" "$WORK/files.got.$(echo "$label" | tr -c 'a-z0-9' _)"
    fi
    got=$(db_state 2>&1 || true)
    if [[ $got != "$DB_EXPECTED" ]]; then rows="DIFFER"; problem "$label: the restored database differs: $got (expected $DB_EXPECTED)"; fi
    got=$(health)
    if [[ $got != healthy* ]]; then up="DOWN"; problem "$label: /health after the restore: $got"; fi
    CHECK="files $files, rows $rows, /health $up"
}

# record ROUND ORDER PATH VERIFY STOP DATABASE FILES START OTHER TOTAL RTO CHECK
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# --------------------------------------------------------------------------- the two restores
legacy_restore() {
    local round=$1 order=$2 t0 t1 t2 t3 t4 t5 v0 v1
    disaster
    log "round $round: legacy restore"
    # The seed's step 1 (verify the backup file), timed apart from the total.
    v0=$(now)
    gzip -t "$WORK/legacy/daily.tar.gz" && gzip -t "$WORK/legacy/db.sql.gz" || problem "gzip -t of the legacy backup failed"
    v1=$(now)
    t0=$(now)
    stop_app || problem "legacy: stop.sh failed"
    t1=$(now)
    drop_db "$DB" && sql postgres "CREATE DATABASE $DB" >/dev/null || problem "legacy: recreating the database failed"
    # shellcheck disable=SC2016
    bash -o pipefail -c 'gunzip -c "$1" | PGOPTIONS="-c client_min_messages=warning" "$2/psql" -X -q -v ON_ERROR_STOP=1 -d "$3" >/dev/null' \
        restore "$WORK/legacy/db.sql.gz" "$PGBIN" "$DB" 2>"$WORK/logs/legacy-psql-$round.log" ||
        { tail -n 20 "$WORK/logs/legacy-psql-$round.log" >&2; problem "legacy: gunzip | psql failed (round $round)"; }
    t2=$(now)
    tar xzf "$WORK/legacy/daily.tar.gz" -C / 2>"$WORK/logs/legacy-tar-$round.log" ||
        { tail -n 20 "$WORK/logs/legacy-tar-$round.log" >&2; problem "legacy: tar xzf failed (round $round)"; }
    t3=$(now)
    start_app || problem "legacy: start.sh failed"
    wait_healthy || problem "legacy: the app did not become healthy (round $round): $(health)"
    t4=$(now)
    t5=$t4
    check_restore "legacy restore, round $round"
    record "$round" "$order" legacy "$(elapsed "$v0" "$v1")" "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")" "$(elapsed "$t2" "$t3")" \
        "$(elapsed "$t3" "$t4")" 0.00 "$(elapsed "$t0" "$t5")" - "$CHECK"
    log "round $round: legacy total $(elapsed "$t0" "$t5") s (stop $(elapsed "$t0" "$t1"), database $(elapsed "$t1" "$t2"), files $(elapsed "$t2" "$t3"), start+health $(elapsed "$t3" "$t4")); $CHECK"
}

silo_restore() {
    local round=$1 order=$2 t0 t1 logf fields rc=0
    logf=$WORK/logs/silo-restore-$round.json
    disaster
    log "round $round: silo restore --system"
    t0=$(now)
    "$SILO_BIN" restore --system --yes --json --config "$CONFIG" >"$logf" 2>"$WORK/logs/silo-restore-$round.err" || rc=$?
    t1=$(now)
    [[ $rc -eq 0 ]] || { tail -n 20 "$WORK/logs/silo-restore-$round.err" >&2; problem "silo restore --system exited $rc (round $round; $logf)"; }
    fields=$(python3 - "$logf" <<'PY'
import json, sys
summary = {}
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("message_type") == "summary":
            summary = obj
t = summary.get("timings", {})
print(summary.get("phase", "none"), summary.get("rto_seconds", 0), *(f"{t.get(k, 0):.2f}" for k in ("verify", "stop", "databases", "files", "start")))
PY
    )
    local phase rto verify stop databases files start
    read -r phase rto verify stop databases files start <<<"$fields"
    [[ $phase == succeeded ]] || problem "silo restore --system ended in phase $phase (round $round)"
    local total other
    total=$(elapsed "$t0" "$t1")
    other=$(awk -v t="$total" -v r="$rto" 'BEGIN { printf "%.2f", t - r }')
    check_restore "silo restore, round $round"
    record "$round" "$order" silo "$verify" "$stop" "$databases" "$files" "$start" "$other" "$total" "$(printf '%.2f' "$rto")" "$CHECK"
    log "round $round: silo total $total s, rto $rto (verify $verify, stop $stop, databases $databases, files $files, start $start); $CHECK"
    # The kept copies (.env.silo-old-<id>, DB_old_<id>) go, untimed, so the next round starts alike.
    "$SILO_BIN" restore --system --cleanup 0 --config "$CONFIG" >"$WORK/logs/silo-cleanup-$round.log" 2>&1 ||
        problem "silo restore --system --cleanup 0 failed (round $round; $WORK/logs/silo-cleanup-$round.log)"
}

for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2 == 1)); then
        legacy_restore "$round" "legacy first"
        silo_restore "$round" "legacy first"
    else
        silo_restore "$round" "silo first"
        legacy_restore "$round" "silo first"
    fi
done

# --------------------------------------------------------------------------- diagnostics
# diag LABEL NOTE COMMAND…: the wall time of one command (its output in logs/diag-N.log)
diag_n=0
diag() {
    local label=$1 note=$2 t rc=0
    shift 2
    diag_n=$((diag_n + 1))
    t=$(now)
    "$@" >"$WORK/logs/diag-$diag_n.log" 2>&1 || rc=$?
    local s
    s=$(elapsed "$t" "$(now)")
    [[ $rc -eq 0 ]] || { note="FAILED (exit $rc; logs/diag-$diag_n.log)"; problem "diagnostic '$label' failed: $(tail -n 3 "$WORK/logs/diag-$diag_n.log")"; }
    printf '%s\t%s\t%s\n' "$label" "$s" "$note" >>"$DIAG"
    log "diagnostic: $label: $s s"
    DIAG_LOG=$WORK/logs/diag-$diag_n.log
}
# postgres_timings LOG: the summary timings of `silo restore --postgres --json`
postgres_timings() {
    python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("message_type") == "summary":
            t = obj.get("timings", {})
            print(", ".join(f"{k} {v:.2f}" for k, v in t.items()) + f"; {obj.get('rows_verified', '?')} rows verified")
PY
}
if [[ $DIAGNOSTICS -eq 1 ]]; then
    log "diagnostics: where the time of each step goes"
    stop_app
    diag "gzip -dc db.sql.gz > /dev/null" "decompression alone of the legacy dump" bash -c 'gzip -dc "$1" >/dev/null' x "$WORK/legacy/db.sql.gz"
    # shellcheck disable=SC2016
    diag "createdb + gunzip -c db.sql.gz | psql (legacy database step)" "as in the rounds, into a scratch database" \
        bash -o pipefail -c '"$1/createdb" "$2" && gunzip -c "$3" | "$1/psql" -X -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null' x "$PGBIN" "${DB}_diag_psql" "$WORK/legacy/db.sql.gz"
    "$PGBIN/pg_dump" -Fc -Z0 -f "$WORK/scratch/db.pgc" "$DB" || problem "pg_dump -Fc -Z0 failed"
    # shellcheck disable=SC2016
    diag "createdb -T template0 + pg_restore of a pg_dump -Fc -Z0 file" "what silo's pg_restore does, without silo" \
        bash -c '"$1/createdb" -T template0 "$2" && "$1/pg_restore" -d "$2" "$3"' x "$PGBIN" "${DB}_diag_pgrestore" "$WORK/scratch/db.pgc"
    # shellcheck disable=SC2016
    diag "createdb -T template0 + pg_restore -j 2 of the same file" "" \
        bash -c '"$1/createdb" -T template0 "$2" && "$1/pg_restore" -j 2 -d "$2" "$3"' x "$PGBIN" "${DB}_diag_pgrestore_j2" "$WORK/scratch/db.pgc"
    rm -f "$WORK/scratch/db.pgc"
    diag "silo restore latest --postgres --as (new database, verified)" "" \
        "$SILO_BIN" restore latest --postgres "$DB" --as "${DB}_diag_silo" --server "$SERVER_BASE/postgres" -r "$WORK/repo" --json
    sed -i "\$s|\t\$|\t$(postgres_timings "$DIAG_LOG")|" "$DIAG"
    diag "silo restore latest --postgres --as --jobs 2" "" \
        "$SILO_BIN" restore latest --postgres "$DB" --as "${DB}_diag_silo_j2" --jobs 2 --scratch-dir "$WORK/scratch" --server "$SERVER_BASE/postgres" -r "$WORK/repo" --json
    sed -i "\$s|\t\$|\t$(postgres_timings "$DIAG_LOG")|" "$DIAG"
    for d in "${DB}_diag_psql" "${DB}_diag_pgrestore" "${DB}_diag_pgrestore_j2" "${DB}_diag_silo" "${DB}_diag_silo_j2"; do drop_db "$d" || true; done
    diag "gzip -dc daily.tar.gz > /dev/null" "decompression alone of the legacy archive" bash -c 'gzip -dc "$1" >/dev/null' x "$WORK/legacy/daily.tar.gz"
    mkdir -p "$WORK/scratch/tar"
    diag "tar xzf daily.tar.gz into an empty directory" "the legacy files step without overwriting" tar xzf "$WORK/legacy/daily.tar.gz" -C "$WORK/scratch/tar"
    rm -rf "$WORK/scratch/tar"
    if [[ -n ${SILO_FILES_SNAPSHOT:-} && $SILO_FILES_SNAPSHOT != - ]]; then
        diag "silo restore SNAPSHOT --target (uploads + .env) into an empty directory" "the files step without staging and swap" \
            "$SILO_BIN" restore "$SILO_FILES_SNAPSHOT" --target "$WORK/scratch/silo" -r "$WORK/repo"
        rm -rf "$WORK/scratch/silo"
    fi
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --------------------------------------------------------------------------- report
silo_rev=$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT_DIR" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then silo_rev="$silo_rev + uncommitted changes"; fi
pg_version=$(sql postgres "SHOW server_version" 2>/dev/null || echo unknown)
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

step_rows() {
    awk -F'\t' '{ printf "| %s (%s) | %s | %s | %s | %s | %s | %s | %s | **%s** | %s | %s |\n", $1, $2, $3, \
        ($3 == "legacy" ? $4 " (gzip -t, not in total)" : $4), $5, $6, $7, $8, $9, $10, $11, $12 }' "$RESULTS"
}
ratio_rows() {
    awk -F'\t' '
        { total[$1, $3] = $10; rto[$1, $3] = $11; db[$1, $3] = $6; files[$1, $3] = $7; verify[$1, $3] = $4; ord[$1] = $2; if ($1 > n) n = $1 }
        function r(a, b) { return (b + 0 > 0) ? sprintf("%.2f", a / b) : "–" }
        END {
            for (i = 1; i <= n; i++) {
                x = r(total[i, "silo"], total[i, "legacy"])
                printf "| %d (%s) | %.2f | %.2f | %s | %s | **%s** %s | %s | %s | %s |\n", i, ord[i], total[i, "legacy"], total[i, "silo"], rto[i, "silo"], \
                    r(total[i, "silo"], total[i, "legacy"] + verify[i, "legacy"]), x, (x + 0 <= 0.35 ? "(met)" : "(missed)"), r(rto[i, "silo"], total[i, "legacy"]), \
                    r(db[i, "silo"], db[i, "legacy"]), r(files[i, "silo"], files[i, "legacy"])
                tl += total[i, "legacy"]; ts += total[i, "silo"]; tr += rto[i, "silo"]; tv += verify[i, "legacy"]
                dl += db[i, "legacy"]; ds += db[i, "silo"]; fl += files[i, "legacy"]; fs += files[i, "silo"]
            }
            if (n > 1) {
                x = r(ts, tl)
                printf "| all %d rounds (sums) | %.2f | %.2f | %.2f | %s | **%s** %s | %s | %s | %s |\n", n, tl, ts, tr, r(ts, tl + tv), x, \
                    (x + 0 <= 0.35 ? "(met)" : "(missed)"), r(tr, tl), r(ds, dl), r(fs, fl)
            }
        }' "$RESULTS"
}
diag_rows() { awk -F'\t' '{ gsub(/\|/, "\\|", $1); printf "| %s | %s | %s |\n", $1, $2, $3 }' "$DIAG"; }

report=$WORK/report.md
{
    echo "## Full-system restore of the mini platform (\`system-restore.sh\`, issue 18, $(date -u '+%Y-%m-%d'))"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average (1, 5, 15 min) $LOAD_START at the start, $LOAD_END at the end ($(nproc) CPUs; other sessions may share them)"
    echo "- Machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'); page cache warm (it cannot be dropped here: every path reads its backup from memory)"
    echo "- Versions: silo $("$SILO_BIN" --version 2>&1 | sed -n 1p) (\`$SILO_BIN\`, source $silo_rev); PostgreSQL $pg_version (scripts/postgres-test-server.sh: fsync off); $(tar --version | sed -n 1p); $(gzip --version | sed -n 1p)"
    echo "- Platform: ROOT/uploads $UP_FILES files, $(mib "$UP_BYTES") MiB ($(mib "$UP_TEXT") MiB of it text, the rest incompressible) in $UP_DIRS directories + ROOT/.env; database \`pgbench -i -s $DB_SCALE\` + $ORDERS \`orders\`, $(mib "$DB_BYTES") MiB (pg_database_size); fixtures/platform/app.py healthy"
    echo "- Backups of the same state: silo \`run\` $SILO_BACKUP_SECONDS s, repository $(mib "$REPO_BYTES") MiB; legacy \`tar czf daily.tar.gz -C / ROOT\` $TAR_SECONDS s, $(mib "$TAR_BYTES") MiB, and \`pg_dump DB | gzip\` $DUMP_SECONDS s, $(mib "$DUMP_GZ_BYTES") MiB"
    echo "- Disaster before each restore: ROOT/uploads deleted, every table of the database dropped (/health unhealthy)"
    echo "- Legacy: \`stop.sh\`; \`DROP DATABASE\` + \`CREATE DATABASE\` + \`gunzip -c db.sql.gz | psql\`; \`tar xzf daily.tar.gz -C /\`; \`start.sh\` and /health polled at once, then after 0.1 s doubling up to ${HEALTH_INTERVAL} s (as silo's check). Silo: \`silo restore --system --yes --json --config FILE\` (services: the database, keep_running; web with commands start.sh/stop.sh/status.sh and an http check on /health, body \`healthy\`, interval ${HEALTH_INTERVAL}s); the kept copies are removed (\`--cleanup 0\`, untimed) after each"
    echo "- Checked after every restore: type, mode, size and SHA-256 of every file and directory under uploads/ and .env, row counts and sums of every table (md5 of the orders' items), /health"
    echo
    echo "| round (order) | path | verify s | stop s | database s | files s | start + health s | other s | **total s** (wall) | silo's rto_seconds | check |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    step_rows
    echo
    echo "Silo's steps are its summary's \`timings\`; \"other\" is the rest of the process's wall time (start-up, opening the repository, the plan, the report). The legacy total is stop + database + files + start (its gzip -t is shown but not counted)."
    echo
    echo "| round (order) | legacy total s | silo total s | silo rto_seconds | silo / (legacy + gzip -t) | **silo / legacy** (target ≤ 0.35) | silo rto / legacy | database silo / legacy | files silo / legacy |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    ratio_rows
    if [[ -s $DIAG ]]; then
        echo
        echo "Where the time goes (each alone, the app stopped, after the rounds):"
        echo
        echo "| command | wall s | note |"
        echo "|---|---:|---|"
        diag_rows
    fi
    problems_section
} >"$report"

publish_report "$report" "$OUT"
if [[ -n $APPEND ]]; then { echo; cat "$report"; } >>"$APPEND"; log "appended to $APPEND"; fi
log "results written to $OUT"
stop_app || true
if [[ $KEEP -eq 0 ]]; then
    drop_all_databases
    rm -rf "$WORK"
else
    log "scratch kept in $WORK; database $DB kept"
fi
[[ ${#PROBLEMS[@]} -eq 0 ]]
