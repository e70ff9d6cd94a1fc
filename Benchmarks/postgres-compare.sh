#!/usr/bin/env bash
# postgres-compare.sh [--scale S] [--cycles N] [--transactions T] [--out FILE] [--work DIR] [--keep-work]
#
# Ten 4-hourly cycles of pgbench traffic on a PostgreSQL 15 database, each followed by a dump and
# a backup with silo (`backup --postgres`), restic (`pg_dump -Fc -Z0 | restic backup --stdin`) and
# the seed's way (`pg_dump | gzip`), then full restores; writes Markdown tables of bytes added per
# cycle (with silo/restic and silo/gzip ratios), wall time, CPU time and peak RSS to stdout and --out.
#
#   --scale S         pgbench -i scale of the database (default 20: 2,000,000 accounts)
#   --cycles N        cycles of traffic + dump + backups (default 10; cycle 1 is the full backup)
#   --transactions T  pgbench -t per cycle (default 20000; -c 2 -j 2, so pgbench runs 2 x T)
#   --out FILE        results file (default Benchmarks/POSTGRES-latest.md)
#   --work DIR        scratch directory (default /tmp/silo-pg-bench; wiped at the start and
#                     removed at the end unless --keep-work)
#   --keep-work       keep the scratch directory and the source database silo_bench_pg
# Environment: SILO_BIN (default <repo>/.build/release/silo); SILO_PASSWORD, RESTIC_PASSWORD
# (benchmark defaults are used when unset); SILO_TEST_PG_DIR, SILO_TEST_PG_PORT (as for
# scripts/postgres-test-server.sh). Passwords never go on a command line.
#
# The server is the project's throwaway one (scripts/postgres-test-server.sh start; stopped again
# at the end if this script started it). Database silo_bench_pg is dropped and recreated with
# `pgbench -i -s S` plus a small bench_events table. Cycle i: `pgbench -n -t T -c 2 -j 2
# --random-seed=i` and 1,000 seeded bench_events rows; then, one after the other on the same
# data: silo backup, restic backup, pg_dump | gzip. After the last cycle: silo restore (--as, then
# --jobs 2) beside createdb + pg_restore (-j 1, -j 2) of a `pg_dump -Fc` file; restored databases
# are compared with the source (count(*) and sum(abalance) of pgbench_accounts) and dropped.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE=20
CYCLES=10
TRANSACTIONS=20000
OUT="$HERE/POSTGRES-latest.md"
WORK=/tmp/silo-pg-bench
KEEP_WORK=0
SILO_BIN=${SILO_BIN:-$ROOT/.build/release/silo}
PGBIN=/usr/lib/postgresql/15/bin
PG_SERVER_SCRIPT=$ROOT/scripts/postgres-test-server.sh
PG_DIR=${SILO_TEST_PG_DIR:-/tmp/silo-pg-test}
DB=silo_bench_pg
DB_SILO=silo_bench_restore_silo
DB_SILO_J2=silo_bench_restore_silo_j2
DB_PG=silo_bench_restore_pg
DB_PG_J2=silo_bench_restore_pg_j2
BENCH_HOST=bench
EPOCH="2025-01-01 00:00:00 UTC"

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
        --cycles) CYCLES=${2:?--cycles needs a value}; shift 2 ;;
        --transactions) TRANSACTIONS=${2:?--transactions needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --keep-work) KEEP_WORK=1; shift ;;
        -h | --help) usage ;;
        *) echo "postgres-compare.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || { echo "postgres-compare.sh: --scale must be an integer >= 1" >&2; exit 64; }
[[ $CYCLES =~ ^[0-9]+$ && $CYCLES -ge 2 ]] || { echo "postgres-compare.sh: --cycles must be an integer >= 2" >&2; exit 64; }
[[ $TRANSACTIONS =~ ^[0-9]+$ && $TRANSACTIONS -ge 1 ]] || { echo "postgres-compare.sh: --transactions must be an integer >= 1" >&2; exit 64; }

log() { printf '[postgres-compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=postgres-compare.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"
die() { problem "$*"; exit 1; }

# --------------------------------------------------------------------------- prerequisites
[[ -x $SILO_BIN ]] || { echo "postgres-compare.sh: $SILO_BIN missing (build it with: swift build -c release --product silo)" >&2; exit 1; }
"$SILO_BIN" backup --help 2>&1 | grep -q -- '--postgres' ||
    { echo "postgres-compare.sh: $SILO_BIN has no 'backup --postgres' (built from older source?); rebuild it with: swift build -c release --product silo" >&2; exit 1; }
[[ -x $PGBIN/pgbench && -x $PGBIN/pg_dump && -x $PG_SERVER_SCRIPT ]] ||
    { echo "postgres-compare.sh: needs PostgreSQL 15 ($PGBIN/pgbench, pg_dump; apt-get install postgresql) and $PG_SERVER_SCRIPT" >&2; exit 1; }
missing_pkgs=()
[[ -x /usr/bin/time ]] || missing_pkgs+=(time)
command -v restic >/dev/null || missing_pkgs+=(restic)
command -v python3 >/dev/null || missing_pkgs+=(python3)
command -v gzip >/dev/null || missing_pkgs+=(gzip)
install_packages "${missing_pkgs[@]}"

# --------------------------------------------------------------------------- scratch layout
claim_scratch "$WORK" .silo-pg-bench-work
mkdir -p "$WORK"/{repo,cache,logs,gzip,dump,scratch}
touch "$WORK/.silo-pg-bench-work"
WORK=$(cd "$WORK" && pwd)
RESULTS=$WORK/results.tsv     # cycle  tool  wall  cpu  rss_kib  bytes  status  extra
RESTORES=$WORK/restores.tsv   # label  wall  cpu  rss_kib  status  check
: >"$RESULTS"
: >"$RESTORES"

export TZ=UTC   # restic's --time is local time; make it the same instant silo gets
export SILO_REPOSITORY=$WORK/repo/silo
export RESTIC_REPOSITORY=$WORK/repo/restic
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-silo-bench-password}
export SILO_CACHE_DIR=$WORK/cache/silo
export XDG_CACHE_HOME=$WORK/cache/xdg
export RESTIC_CACHE_DIR=$WORK/cache/restic
export SILO_PG_BINDIR=$PGBIN   # silo runs the same pg_dump/pg_restore as the other methods

# --------------------------------------------------------------------------- server
start_pg_server
DB_URL=$SERVER_BASE/$DB
# The server is stopped again at exit (also after a failure) only if this script started it.
stop_server() { if [[ $pg_was_running -eq 0 ]]; then "$PG_SERVER_SCRIPT" stop || true; pg_was_running=1; fi; }
trap stop_server EXIT

sql() { PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
drop_db() { sql postgres "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null; }

# --------------------------------------------------------------------------- measurement
repo_bytes() { du -sb "$WORK/repo/$1" 2>/dev/null | cut -f1; }
iso_time()   { date -u -d "$EPOCH + $((4 * $1)) hours" '+%Y-%m-%dT%H:%M:%SZ'; }
plain_time() { date -u -d "$EPOCH + $((4 * $1)) hours" '+%Y-%m-%d %H:%M:%S'; }

# timed LOGFILE: runs "${CMD[@]}" under /usr/bin/time; sets T_WALL T_CPU T_RSS(KiB) T_RC.
# For a pipeline (bash -c) CPU is the sum over its processes and RSS the largest one's.
timed() {
    local logf=$1 tf="$WORK/logs/time.out" u s
    T_RC=0
    sync
    /usr/bin/time -o "$tf" -f '%e %U %S %M' "${CMD[@]}" >"$logf" 2>"$logf.err" || T_RC=$?
    read -r T_WALL u s T_RSS < <(tail -n 1 "$tf")
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    grep -v '^Command exited with non-zero status' "$logf.err" >>"$logf" || true
    rm -f "$logf.err"
}

# check_step LABEL LOGFILE: a problem banner when the last timed command failed; sets STATUS
check_step() {
    STATUS=ok
    if [[ $T_RC -ne 0 ]]; then
        STATUS="exit $T_RC"
        problem "$1 exited with status $T_RC (log: $2)"
        tail -n 20 "$2" >&2
    fi
}

# json_field FILE MESSAGE_TYPE FIELD: a field of the last JSON line of that message type
json_field() {
    python3 - "$@" <<'PY'
import json, sys
path, kind, field = sys.argv[1:4]
value = ""
for line in open(path, errors="replace"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    if obj.get("message_type") == kind and field in obj:
        value = obj[field]
print(value)
PY
}

# accounts DB: "count(*) sum(abalance)" of pgbench_accounts
accounts() { sql "$1" "SELECT count(*) || ' ' || coalesce(sum(abalance), 0) FROM pgbench_accounts"; }

# --------------------------------------------------------------------------- source database
for d in "$DB" "$DB_SILO" "$DB_SILO_J2" "$DB_PG" "$DB_PG_J2"; do drop_db "$d" || die "could not drop database $d"; done
log "scale $SCALE, $CYCLES cycles of pgbench -t $TRANSACTIONS -c 2 -j 2; server $SERVER_BASE; scratch $WORK"
sql postgres "CREATE DATABASE $DB" >/dev/null || die "CREATE DATABASE $DB failed"
init_start=$SECONDS
"$PGBIN/pgbench" -i -q -s "$SCALE" "$DB" >"$WORK/logs/pgbench-init.log" 2>&1 ||
    { tail -n 20 "$WORK/logs/pgbench-init.log" >&2; die "pgbench -i -s $SCALE failed (log: $WORK/logs/pgbench-init.log)"; }
sql "$DB" "CREATE TABLE bench_events (id bigserial PRIMARY KEY, cycle int NOT NULL, at timestamptz NOT NULL, kind text NOT NULL, payload text NOT NULL)" >/dev/null ||
    die "CREATE TABLE bench_events failed"
INIT_SECONDS=$((SECONDS - init_start))
DB_SIZE_START=$(sql "$DB" "SELECT pg_database_size(current_database())")
log "pgbench -i -s $SCALE: ${INIT_SECONDS} s, database $((DB_SIZE_START / 1048576)) MiB"

# 1,000 seeded rows per cycle, stamped 4 hours apart.
add_events() {
    sql "$DB" "INSERT INTO bench_events (cycle, at, kind, payload)
        SELECT $1, timestamptz '2025-01-01 00:00:00+00' + $1 * interval '4 hours' + g * interval '7 seconds',
               (ARRAY['login', 'view', 'edit', 'order'])[1 + g % 4],
               md5($1 || ':' || g) || repeat(' note', g % 20)
        FROM generate_series(1, 1000) AS g" >/dev/null
}

# --------------------------------------------------------------------------- repositories
"$SILO_BIN" init -q >"$WORK/logs/silo-init.log" 2>&1 || { cat "$WORK/logs/silo-init.log" >&2; die "silo init failed"; }
restic init --repository-version 2 >"$WORK/logs/restic-init.log" 2>&1 || { cat "$WORK/logs/restic-init.log" >&2; die "restic init failed"; }

# --------------------------------------------------------------------------- tool commands
# Each cmd_<method> sets CMD for cycle $1; the harness runs "${CMD[@]}" under /usr/bin/time.
# Pipelines run in `bash -c 'script' pipeline ARGS...`, so the single-quoted $1.. are intended.
cmd_silo()   { CMD=("$SILO_BIN" backup --postgres "$DB_URL" --host "$BENCH_HOST" --time "$(iso_time "$1")" --json); }
# shellcheck disable=SC2016
cmd_restic() {
    CMD=(bash -o pipefail -c '"$1" -Fc -Z0 "$2" | restic backup --stdin --stdin-filename "$2.pgc" --host "$3" --time "$4" --json' \
        pipeline "$PGBIN/pg_dump" "$DB" "$BENCH_HOST" "$(plain_time "$1")")
}
# shellcheck disable=SC2016
cmd_gzip()   { CMD=(bash -o pipefail -c '"$1" "$2" | gzip >"$3"' pipeline "$PGBIN/pg_dump" "$DB" "$WORK/gzip/cycle-$1.sql.gz"); }
version_silo()   { "$SILO_BIN" --version 2>&1 | sed -n 1p; }
version_restic() { restic version | sed -n 1p; }

# record CYCLE TOOL WALL CPU RSS_KIB BYTES STATUS EXTRA
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# --------------------------------------------------------------------------- cycles
PGBENCH_TPS=()
for ((i = 1; i <= CYCLES; i++)); do
    # "4 hours of traffic"
    logf=$WORK/logs/pgbench-$i.log
    CMD=("$PGBIN/pgbench" -n -t "$TRANSACTIONS" -c 2 -j 2 --random-seed="$i" "$DB")
    timed "$logf"
    check_step "pgbench cycle $i" "$logf"
    [[ $STATUS == ok ]] || die "pgbench failed in cycle $i; stopping"
    add_events "$i" || die "inserting bench_events rows failed in cycle $i"
    tps=$(sed -n 's/^tps = \([0-9]*\).*/\1/p' "$logf" | sed -n 1p)
    PGBENCH_TPS+=("${tps:-?}")
    record "$i" pgbench "$T_WALL" "$T_CPU" "$T_RSS" - "$STATUS" "${tps:-?}"

    # silo
    logf=$WORK/logs/silo-backup-$i.log
    before=$(repo_bytes silo)
    cmd_silo "$i"
    timed "$logf"
    check_step "silo backup --postgres (cycle $i)" "$logf"
    after=$(repo_bytes silo)
    plain=$(json_field "$logf" summary data_added 2>/dev/null || true)
    record "$i" silo "$T_WALL" "$T_CPU" "$T_RSS" "$((after - before))" "$STATUS" "${plain:--}"
    log "$(printf 'cycle %2d  silo    wall %7ss  cpu %7ss  rss %5d MiB  added %10d bytes' "$i" "$T_WALL" "$T_CPU" "$((T_RSS / 1024))" "$((after - before))")"

    # restic
    logf=$WORK/logs/restic-backup-$i.log
    before=$(repo_bytes restic)
    cmd_restic "$i"
    timed "$logf"
    check_step "pg_dump -Fc -Z0 | restic backup --stdin (cycle $i)" "$logf"
    after=$(repo_bytes restic)
    dump=$(json_field "$logf" summary total_bytes_processed 2>/dev/null || true)
    record "$i" restic "$T_WALL" "$T_CPU" "$T_RSS" "$((after - before))" "$STATUS" "${dump:--}"
    log "$(printf 'cycle %2d  restic  wall %7ss  cpu %7ss  rss %5d MiB  added %10d bytes' "$i" "$T_WALL" "$T_CPU" "$((T_RSS / 1024))" "$((after - before))")"

    # the seed's way
    logf=$WORK/logs/gzip-$i.log
    cmd_gzip "$i"
    timed "$logf"
    check_step "pg_dump | gzip (cycle $i)" "$logf"
    size=$(stat -c %s "$WORK/gzip/cycle-$i.sql.gz" 2>/dev/null || echo 0)
    record "$i" gzip "$T_WALL" "$T_CPU" "$T_RSS" "$size" "$STATUS" -
    log "$(printf 'cycle %2d  gzip    wall %7ss  cpu %7ss  rss %5d MiB  file  %10d bytes' "$i" "$T_WALL" "$T_CPU" "$((T_RSS / 1024))" "$size")"
done
DB_SIZE_END=$(sql "$DB" "SELECT pg_database_size(current_database())")
SOURCE_ACCOUNTS=$(accounts "$DB")

# --------------------------------------------------------------------------- restores
# restore_row LABEL LOGFILE [DATABASE]: times "${CMD[@]}", checks the restored database
# (pgbench_accounts count(*) and sum(abalance) as in the source) and records a row.
restore_row() {
    local label=$1 logf=$2 database=${3:-} check=- got
    timed "$logf"
    check_step "$label" "$logf"
    if [[ -n $database && $STATUS == ok ]]; then
        got=$(accounts "$database" 2>/dev/null || echo "unreadable")
        if [[ $got == "$SOURCE_ACCOUNTS" ]]; then
            check="pgbench_accounts ${got%% *} rows, sum(abalance) ${got#* } = source"
        else
            check="MISMATCH: pgbench_accounts $got vs source $SOURCE_ACCOUNTS"
            STATUS="RESTORE MISMATCH"
            problem "$label: restored database $database differs: pgbench_accounts count/sum $got, source $SOURCE_ACCOUNTS"
        fi
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$T_WALL" "$T_CPU" "$T_RSS" "$STATUS" "$check" >>"$RESTORES"
    log "$(printf '%-44s wall %7ss  cpu %7ss  rss %5d MiB  %s' "$label" "$T_WALL" "$T_CPU" "$((T_RSS / 1024))" "$STATUS")"
}
silo_verified() { grep -o '[0-9]* table(s), [0-9]* rows verified' "$1" 2>/dev/null | sed -n 1p; }

CMD=("$SILO_BIN" restore latest --postgres "$DB" --as "$DB_SILO" --server "$SERVER_BASE/postgres")
restore_row "silo restore --postgres --as" "$WORK/logs/silo-restore.log" "$DB_SILO"
SILO_VERIFY_1=$(silo_verified "$WORK/logs/silo-restore.log")
CMD=("$SILO_BIN" restore latest --postgres "$DB" --as "$DB_SILO_J2" --jobs 2 --scratch-dir "$WORK/scratch" --server "$SERVER_BASE/postgres")
restore_row "silo restore --postgres --as --jobs 2" "$WORK/logs/silo-restore-j2.log" "$DB_SILO_J2"
SILO_VERIFY_2=$(silo_verified "$WORK/logs/silo-restore-j2.log")

FINAL_DUMP=$WORK/dump/$DB.pgc
CMD=("$PGBIN/pg_dump" -Fc -f "$FINAL_DUMP" "$DB")
restore_row "pg_dump -Fc (the file for the next two rows)" "$WORK/logs/pg-dump-final.log"
FINAL_DUMP_BYTES=$(stat -c %s "$FINAL_DUMP" 2>/dev/null || echo 0)
# shellcheck disable=SC2016
CMD=(bash -c '"$1/createdb" -T template0 "$2" && "$1/pg_restore" -d "$2" "$3"' pipeline "$PGBIN" "$DB_PG" "$FINAL_DUMP")
restore_row "createdb -T template0 && pg_restore" "$WORK/logs/pg-restore.log" "$DB_PG"
# shellcheck disable=SC2016
CMD=(bash -c '"$1/createdb" -T template0 "$2" && "$1/pg_restore" -j 2 -d "$2" "$3"' pipeline "$PGBIN" "$DB_PG_J2" "$FINAL_DUMP")
restore_row "createdb -T template0 && pg_restore -j 2" "$WORK/logs/pg-restore-j2.log" "$DB_PG_J2"

for d in "$DB_SILO" "$DB_SILO_J2" "$DB_PG" "$DB_PG_J2"; do drop_db "$d" || problem "could not drop database $d"; done
if [[ $KEEP_WORK -eq 0 ]]; then drop_db "$DB" || problem "could not drop database $DB"; fi

# --------------------------------------------------------------------------- report
silo_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then silo_rev="$silo_rev + uncommitted changes"; fi
pg_version=$(sql postgres "SHOW server_version" 2>/dev/null || echo unknown)
PGBENCH_TOTAL=$((2 * TRANSACTIONS))

# bytes_rows: one row per cycle and the average of cycles 2..N (ratios of the averages)
bytes_rows() {
    awk -F'\t' -v n="$CYCLES" '
        function mib(b) { return (b == "" || b == "-") ? "–" : sprintf("%.2f", b / 1048576) }
        function ratio(x, base) { return (x == "" || base == "" || base + 0 == 0) ? "–" : sprintf("%.3f", x / base) }
        function mark(r, limit) { return (r == "–") ? "" : (r + 0 <= limit ? " ✓" : " ✗") }
        { v[$1, $2] = $6; x[$1, $2] = $8; st[$1, $2] = $7 }
        END {
            for (i = 1; i <= n; i++) {
                s = v[i, "silo"]; r = v[i, "restic"]; g = v[i, "gzip"]
                a = ratio(s, r); b = ratio(s, g)
                note = ""
                if (st[i, "silo"] != "ok" || st[i, "restic"] != "ok" || st[i, "gzip"] != "ok") note = " (failed: see PROBLEMS)"
                label = (i == 1) ? "1 (initial full)" : i
                printf "| %s%s | %s | %s | %s | %s | %s | %s%s | %s%s |\n", label, note, mib(x[i, "restic"]), mib(s), mib(x[i, "silo"]), \
                    mib(r), mib(g), a, (i == 1 ? "" : mark(a, 0.5)), b, (i == 1 ? "" : mark(b, 0.4))
                if (i >= 2) { ss += s; rs += r; gs += g; ds += x[i, "restic"]; ps += x[i, "silo"]; k++ }
                if (i == 1) print "|  |  |  |  |  |  |  |  |"
            }
            a = ratio(ss, rs); b = ratio(ss, gs)
            printf "| **average 2–%d** | %s | **%s** | %s | **%s** | **%s** | **%s**%s | **%s**%s |\n", n, mib(ds / k), mib(ss / k), mib(ps / k), \
                mib(rs / k), mib(gs / k), a, mark(a, 0.5), b, mark(b, 0.4)
        }' "$RESULTS"
}

# time_rows: wall / CPU / peak RSS of each method per cycle and the average of cycles 2..N
time_rows() {
    awk -F'\t' -v n="$CYCLES" '
        function t(c, m) { return sprintf("%.2f / %.2f / %.0f", w[c, m], u[c, m], r[c, m] / 1024) }
        { w[$1, $2] = $3; u[$1, $2] = $4; r[$1, $2] = $5
          if ($1 >= 2) { sw[$2] += $3; su[$2] += $4; if ($5 > sr[$2]) sr[$2] = $5 } }
        END {
            for (i = 1; i <= n; i++)
                printf "| %s | %.1f | %s | %s | %s |\n", (i == 1 ? "1 (initial full)" : i), w[i, "pgbench"], t(i, "silo"), t(i, "restic"), t(i, "gzip")
            k = n - 1
            printf "| **average 2–%d** (RSS: max) | %.1f | **%.2f / %.2f / %.0f** | %.2f / %.2f / %.0f | %.2f / %.2f / %.0f |\n", n, sw["pgbench"] / k, \
                sw["silo"] / k, su["silo"] / k, sr["silo"] / 1024, sw["restic"] / k, su["restic"] / k, sr["restic"] / 1024, \
                sw["gzip"] / k, su["gzip"] / k, sr["gzip"] / 1024
        }' "$RESULTS"
}

restore_rows() {
    awk -F'\t' '{ printf "| %s | %.2f | %.2f | %.0f | %s | %s |\n", $1, $2, $3, $4 / 1024, $5, $6 }' "$RESTORES"
}

report=$WORK/report.md
{
    echo "# PostgreSQL: silo vs restic vs pg_dump | gzip, $CYCLES cycles of 4-hourly traffic"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(nproc) CPUs (nproc), $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'), kernel $(uname -r)"
    echo "- Versions: silo: $(version_silo) (\`$SILO_BIN\`, built $(date -u -r "$SILO_BIN" '+%Y-%m-%d %H:%M UTC'); source $silo_rev); restic: $(version_restic); PostgreSQL server $pg_version, $("$PGBIN/pg_dump" --version); $(gzip --version | sed -n 1p)"
    echo "- Database: \`pgbench -i -s $SCALE\` + table bench_events on scripts/postgres-test-server.sh (fsync off), $(awk -v b="$DB_SIZE_START" 'BEGIN { printf "%.0f", b / 1048576 }') MiB at the start, $(awk -v b="$DB_SIZE_END" 'BEGIN { printf "%.0f", b / 1048576 }') MiB after $CYCLES cycles (pg_database_size); made in ${INIT_SECONDS} s"
    echo "- Traffic per cycle (\"4 hours\"): \`pgbench -n -t $TRANSACTIONS -c 2 -j 2 --random-seed=CYCLE\` ($PGBENCH_TOTAL TPC-B-like transactions: -t counts per client) + 1,000 seeded bench_events rows; tps per cycle: ${PGBENCH_TPS[*]}"
    echo "- Methods, one after the other on the same data each cycle:"
    echo "  - silo: \`silo backup --postgres $DB_URL --host $BENCH_HOST --json\` (silo runs \`pg_dump -Fc -Z0\` itself into its \`database\` chunker, 64 KiB average chunks, zstd 3; also a manifest and \`pg_dumpall --globals-only\`); repository from \`silo init\` with defaults"
    echo "  - restic: \`pg_dump -Fc -Z0 $DB | restic backup --stdin --stdin-filename $DB.pgc\`; repository \`restic init --repository-version 2\`, default compression (auto = zstd), restic's 1 MiB average chunks"
    echo "  - gzip (the seed's legacy backup.sh): \`pg_dump $DB | gzip > cycle-N.sql.gz\` (plain SQL, gzip -6), one whole file per cycle"
    echo "- Bytes: silo and restic = growth of \`du -sb\` of the repository in the cycle (data, indexes, snapshots; caches excluded); gzip = the file's size. Time: \`/usr/bin/time -f '%e %U %S %M'\`; CPU = user + sys of the tool and its children (pg_dump included for every method, the server's CPU for none); peak RSS = the largest single process"
    echo "- **Targets per incremental cycle: silo added ≤ 0.5 × restic added, and ≤ 0.4 × the gzip file** (✓ met, ✗ not met)"
    echo
    echo "## Bytes per cycle"
    echo
    echo "| cycle | dump MiB (-Fc -Z0) | **silo added MiB** | silo new data MiB (before zstd) | restic added MiB | gzip file MiB | silo / restic (≤ 0.5) | silo / gzip (≤ 0.4) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    bytes_rows
    echo
    echo "Average row: means over cycles 2–$CYCLES; its ratios are ratios of those means (= of the sums)."
    echo
    echo "## Time per cycle (wall s / CPU s / peak RSS MiB)"
    echo
    echo "| cycle | pgbench wall s | silo backup | pg_dump -Fc -Z0 \\| restic | pg_dump \\| gzip |"
    echo "|---|---:|---:|---:|---:|"
    time_rows
    echo
    echo "## Restore of the whole database after cycle $CYCLES"
    echo
    echo "| method | wall s | CPU s | peak RSS MiB | status | check against the source |"
    echo "|---|---:|---:|---:|---|---|"
    restore_rows
    echo
    echo "- silo restores create the database from template0, \`pg_restore\` the snapshot's dump and verify it against the manifest stored at backup time: ${SILO_VERIFY_1:-not reported} (\`--as\`), ${SILO_VERIFY_2:-not reported} (\`--jobs 2\`, dump written to a temporary file first). The \`pg_restore\` rows do no verification beyond the count/sum check done here for every method."
    echo "- The \`pg_dump -Fc\` file (default compression) is $(awk -v b="$FINAL_DUMP_BYTES" 'BEGIN { printf "%.2f", b / 1048576 }') MiB. Restored databases are dropped afterwards."
    problems_section
} >"$report"

publish_report "$report" "$OUT"
log "results written to $OUT"
stop_server
if [[ $KEEP_WORK -eq 0 ]]; then rm -rf "$WORK"; else log "scratch kept in $WORK; database $DB kept"; fi
[[ ${#PROBLEMS[@]} -eq 0 ]]
