#!/usr/bin/env bash
# dump-import.sh [--scale S] [--days N] [--transactions T] [--out FILE] [--work DIR] [--keep-work]
#
# A history of old daily archives in the seed's shape, each holding a `pg_dump | gzip` of a
# database under pgbench traffic, imported with `silo import --expand-dumps`: how much the
# repository costs against the archives (issue 15's goal: at most 0.25x). Beside it, the same
# dumps taken by `silo backup --postgres` into a second repository, and `pg_dump | gzip` alone.
#
#   --scale S         pgbench -i scale (default 10: 1,000,000 accounts)
#   --days N          archives (default 5)
#   --transactions T  pgbench -t per day (default 20000; -c 2 -j 2, so 2 x T)
#   --out FILE        results file (default Benchmarks/DUMP-IMPORT-latest.md)
#   --work DIR        scratch directory (default /tmp/silo-dump-import-bench; wiped at the start,
#                     removed at the end unless --keep-work)
# Environment: SILO_BIN (default <repo>/.build/release/silo; sizes do not depend on the build, so
# a debug binary gives the same figures). Passwords never go on a command line.
#
# Besides pgbench's tables: bench_users (50,000 per scale unit: e-mail, md5 hashes, a session token)
# and bench_events. Day i > 1: `pgbench -n -t T -c 2 -j 2 --random-seed=i`, 2% of the users log in
# (new token), 10,000 events per scale unit; then `pg_dump DB | gzip` (gzip's default
# level, as the old backup.sh) into db/dump.sql.gz beside a small app/ folder, archived with GNU
# tar as o4o_backup_2025MMDD_020000.tar.gz; and `silo backup --postgres` of the same state.
# Updated rows move in the heap, so each day's plain dump lists rows in another order.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE=10
DAYS=5
TRANSACTIONS=20000
OUT="$HERE/DUMP-IMPORT-latest.md"
WORK=/tmp/silo-dump-import-bench
KEEP_WORK=0
SILO_BIN=${SILO_BIN:-$ROOT/.build/release/silo}
PGBIN=/usr/lib/postgresql/15/bin
PG_SERVER_SCRIPT=$ROOT/scripts/postgres-test-server.sh
PG_DIR=${SILO_TEST_PG_DIR:-/tmp/silo-pg-test}
DB=silo_bench_dump_import
TARGET=0.25

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
        --days) DAYS=${2:?--days needs a value}; shift 2 ;;
        --transactions) TRANSACTIONS=${2:?--transactions needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --keep-work) KEEP_WORK=1; shift ;;
        -h | --help) usage ;;
        *) echo "dump-import.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
for v in SCALE DAYS TRANSACTIONS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || { echo "dump-import.sh: --${v,,} must be an integer >= 1" >&2; exit 64; }
done

log() { printf '[dump-import %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=dump-import.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"
die() { problem "$*"; exit 1; }

[[ -x $SILO_BIN ]] || { echo "dump-import.sh: $SILO_BIN missing (swift build -c release --product silo)" >&2; exit 1; }
[[ -x $PGBIN/pgbench && -x $PGBIN/pg_dump ]] || { echo "dump-import.sh: needs PostgreSQL 15 (apt-get install postgresql)" >&2; exit 1; }

claim_scratch "$WORK" .silo-dump-import-work
mkdir -p "$WORK"/{archives,day,cache,logs}
touch "$WORK/.silo-dump-import-work"
WORK=$(cd "$WORK" && pwd)
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export SILO_CACHE_DIR=$WORK/cache
export SILO_PG_BINDIR=$PGBIN
IMPORTED=$WORK/repo-import
TAKEN=$WORK/repo-backup

start_pg_server
DB_URL=$SERVER_BASE/$DB
cleanup() {
    "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    if [[ $pg_was_running -eq 0 ]]; then "$PG_SERVER_SCRIPT" stop || true; fi
    [[ $KEEP_WORK -eq 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

log "pgbench -i -s $SCALE"
"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
"$PGBIN/pgbench" -q -i -s "$SCALE" "$DB" >"$WORK/logs/pgbench-init.log" 2>&1 || die "pgbench -i failed"
# pgbench's rows are blanks that gzip makes nearly free; a platform's users and events tables
# are not: 50,000 users per scale unit with hashes and tokens, and a table of events.
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || die "creating the users and events tables failed"
SELECT setseed(0.15);
CREATE TABLE bench_users AS SELECT g AS id, 'user' || g || '@example.com' AS email, md5(g::text) AS password_hash,
    md5(random()::text) || md5(random()::text) AS session_token, timestamptz '2025-01-01' AS last_login
    FROM generate_series(1, 50000 * $SCALE) g;
ALTER TABLE bench_users ADD PRIMARY KEY (id);
CREATE TABLE bench_events (id bigserial PRIMARY KEY, user_id int, kind text, payload text);
SQL
"$SILO_BIN" init -r "$IMPORTED" -q || die "silo init failed"
"$SILO_BIN" init -r "$TAKEN" -q || die "silo init failed"
mkdir -p "$WORK/day/app"
for f in $(seq 20); do head -c 4000 /dev/urandom | base64 >"$WORK/day/app/page$f.html"; done

ROWS=$WORK/rows.tsv   # day archive_bytes dump_bytes import_added backup_added
: >"$ROWS"
for day in $(seq "$DAYS"); do
    if [[ $day -gt 1 ]]; then
        "$PGBIN/pgbench" -n -t "$TRANSACTIONS" -c 2 -j 2 --random-seed="$day" "$DB" >"$WORK/logs/pgbench-$day.log" 2>&1 || die "pgbench day $day failed"
        # A day of logins (2% of the users, scattered) and 10,000 events per scale unit.
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || die "day $day traffic failed"
SELECT setseed(0.$day);
UPDATE bench_users SET last_login = timestamptz '2025-01-01' + interval '$day days', session_token = md5(random()::text) || md5(random()::text)
    WHERE id % 50 = $day % 50;
INSERT INTO bench_events (user_id, kind, payload) SELECT (random() * 50000 * $SCALE)::int, 'view', md5(random()::text) || repeat(' ', 20) || md5(random()::text)
    FROM generate_series(1, 10000 * $SCALE);
SQL
    fi
    name=o4o_backup_$(date -u -d "2025-01-01 + $((day - 1)) days" +%Y%m%d)_020000
    mkdir -p "$WORK/day/db"
    "$PGBIN/pg_dump" "$DB" | gzip >"$WORK/day/db/dump.sql.gz" || die "pg_dump day $day failed"
    dump_bytes=$(gzip -dc "$WORK/day/db/dump.sql.gz" | wc -c)
    tar -czf "$WORK/archives/$name.tar.gz" -C "$WORK/day" . || die "tar day $day failed"
    archive_bytes=$(stat -c %s "$WORK/archives/$name.tar.gz")
    added=$("$SILO_BIN" import -r "$IMPORTED" --expand-dumps --json "$WORK/archives/$name.tar.gz" |
        python3 -c 'import json,sys; print(sum(json.loads(l).get("data_added_stored", 0) for l in sys.stdin if "\"imported\"" in l))') ||
        die "import day $day failed"
    taken=$("$SILO_BIN" backup -r "$TAKEN" --postgres "$DB_URL" --json -q |
        python3 -c 'import json,sys; print(sum(json.loads(l).get("data_added_stored", 0) for l in sys.stdin if "\"summary\"" in l))') ||
        die "backup --postgres day $day failed"
    printf '%s\t%s\t%s\t%s\t%s\n' "$day" "$archive_bytes" "$dump_bytes" "$added" "$taken" >>"$ROWS"
    log "day $day: archive $archive_bytes B, import added $added B, backup --postgres added $taken B"
done
"$SILO_BIN" check -r "$IMPORTED" -q >"$WORK/logs/check.log" 2>&1 || problem "silo check of the imported repository failed"
import_repo=$(du -sb "$IMPORTED" | cut -f1)
backup_repo=$(du -sb "$TAKEN" | cut -f1)

REPORT=$WORK/report.md
{
    echo "## Dump history import (\`dump-import.sh\`, $(date -u +%Y-%m-%d), scale $SCALE, $DAYS days, $((2 * TRANSACTIONS)) transactions a day)"
    echo
    echo "| day | archive (gzip) | plain dump | import adds | backup --postgres adds |"
    echo "|---|---|---|---|---|"
    awk -F'\t' '{ printf "| %d | %.1f MB | %.1f MB | %.2f MB | %.2f MB |\n", $1, $2/1e6, $3/1e6, $4/1e6, $5/1e6 }' "$ROWS"
    echo
    total=$(awk -F'\t' '{ s += $2 } END { print s }' "$ROWS")
    awk -v r="$import_repo" -v b="$backup_repo" -v t="$total" -v goal="$TARGET" 'BEGIN {
        printf "| repository | size | / archives | goal |\n|---|---|---|---|\n"
        printf "| import --expand-dumps | %.1f MB | **%.2f** | <= %.2f: %s |\n", r/1e6, r/t, goal, (r/t <= goal ? "met" : "not met")
        printf "| backup --postgres | %.1f MB | %.2f | |\n", b/1e6, b/t
        printf "| archives | %.1f MB | 1.00 | |\n", t/1e6 }'
    problems_section
} >"$REPORT"
publish_report "$REPORT" "$OUT"
[[ ${#PROBLEMS[@]} -eq 0 ]]
