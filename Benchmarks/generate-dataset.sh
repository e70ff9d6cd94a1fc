#!/usr/bin/env bash
# generate-dataset.sh DIR [SCALE]
#
# Writes a deterministic, web-platform-like data set into DIR (which must be absent, empty, or a
# previous data set made by this script):
#   DIR/db/dump.sql       PostgreSQL 15 plain-format dump (pgbench tables + users/posts/events),
#                         made in a throwaway cluster on a loopback port, ~330 MB at SCALE 1
#   DIR/media/            incompressible files, 100 KB-20 MB each, ~300 MB at SCALE 1
#   DIR/app/              30,000 small source/HTML-like files (1-20 KB) in nested directories,
#                         plus a few .env files
#   DIR/logs/             nginx access/error logs and a JSON application log, ~100 MB at SCALE 1
#   DIR/.silo-bench-dataset   scale and mutation counter (used by mutate-dataset.sh)
# SCALE (default 1) multiplies every size and count; 0.05 makes a ~50 MB set for quick tests.
# The same SCALE always yields byte-identical files (fixed seeds; pg_dump's random \restrict key
# is replaced by a fixed one).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATAGEN="$HERE/lib/datagen.py"
PGBIN=/usr/lib/postgresql/15/bin
MARKER=.silo-bench-dataset

usage() { echo "usage: $0 DIR [SCALE]" >&2; exit 64; }
log() { printf '[generate %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'generate-dataset: error: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || usage
DIR=$1
SCALE=${2:-1}
if ! [[ $SCALE =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || ! awk -v s="$SCALE" 'BEGIN { exit !(s > 0) }'; then
    die "SCALE must be a positive number, got '$SCALE'"
fi

# scaled INT MIN: INT * SCALE rounded, at least MIN
scaled() { awk -v n="$1" -v s="$SCALE" -v m="$2" 'BEGIN { v = int(n * s + 0.5); print (v < m ? m : v) }'; }

command -v python3 >/dev/null || die "python3 is required"
command -v openssl >/dev/null || die "openssl is required"

if [[ -e $DIR ]]; then
    if [[ -n $(ls -A "$DIR") && ! -f $DIR/$MARKER ]]; then
        die "$DIR exists, is not empty and is not a data set made by this script; refusing to overwrite it"
    fi
    rm -rf "${DIR:?}"/* "${DIR:?}"/.[!.]* 2>/dev/null || true
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
mkdir -p "$DIR/db" "$DIR/media" "$DIR/app" "$DIR/logs"
START=$SECONDS

# ---------------------------------------------------------------- (a) PostgreSQL dump
ensure_postgres() {
    if [[ -x $PGBIN/initdb && -x $PGBIN/pgbench && -x $PGBIN/pg_dump ]]; then return; fi
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL 15 is missing ($PGBIN); install the 'postgresql' package"
    log "installing PostgreSQL (apt-get install -y postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y postgresql >/dev/null || { apt-get update >/dev/null && apt-get install -y postgresql >/dev/null; }
    [[ -x $PGBIN/initdb ]] || die "PostgreSQL 15 still missing after apt-get"
}

PGTMP=""
PGPORT=""
as_pg() {  # run a server-side command as the cluster owner
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_cluster() {
    if [[ -n $PGTMP && -d $PGTMP ]]; then
        if [[ -f $PGTMP/data/postmaster.pid ]]; then
            as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 ||
                as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PGTMP"
    fi
}
trap stop_cluster EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

make_dump() {
    ensure_postgres
    PGTMP=$(mktemp -d /tmp/silo-bench-pg.XXXXXX)
    chmod 0700 "$PGTMP"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$PGTMP"; fi
    PGPORT=$(free_port)
    log "starting a throwaway PostgreSQL 15 cluster in $PGTMP on 127.0.0.1:$PGPORT"
    as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust --no-locale -E UTF8 >"$PGTMP/initdb.log" 2>&1 ||
        { cat "$PGTMP/initdb.log" >&2; die "initdb failed"; }
    as_pg tee -a "$PGTMP/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGTMP'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 4GB
shared_buffers = 256MB
maintenance_work_mem = 256MB
timezone = 'UTC'
EOF
    as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 start >/dev/null ||
        { cat "$PGTMP/server.log" >&2; die "PostgreSQL did not start"; }

    export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGTZ=UTC PGOPTIONS="-c client_min_messages=warning"
    "$PGBIN/createdb" -T template0 o4o_platform
    local pgscale
    pgscale=$(scaled 10 1)
    log "pgbench -i -s $pgscale"
    "$PGBIN/pgbench" -i -q -s "$pgscale" o4o_platform >"$PGTMP/pgbench.log" 2>&1 ||
        { cat "$PGTMP/pgbench.log" >&2; die "pgbench -i failed"; }
    log "loading users/posts/events"
    python3 "$DATAGEN" web-sql "$SCALE" 1001 | "$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -d o4o_platform >/dev/null
    log "pg_dump (plain) -> db/dump.sql"
    "$PGBIN/pg_dump" -Fp -d o4o_platform -f "$DIR/db/dump.sql"
    # PostgreSQL >= 15.14 writes a random \restrict key; a fixed one keeps the set deterministic.
    sed -i -E 's/^\\(un)?restrict [A-Za-z0-9]+$/\\\1restrict SiloBenchFixedKey0000000000000000/' "$DIR/db/dump.sql"
    stop_cluster
    PGTMP=""
}

# ---------------------------------------------------------------- (b) media
make_media() {
    local total
    total=$(scaled 300000000 200000)
    log "media: $((total / 1000000)) MB of incompressible files"
    local name size n=0
    while read -r name size; do
        mkdir -p "$DIR/media/$(dirname "$name")"
        head -c "$size" /dev/zero |
            openssl enc -aes-256-ctr -pbkdf2 -iter 1 -nosalt -pass "pass:silo-bench-media-$n" >"$DIR/media/$name"
        n=$((n + 1))
    done < <(python3 "$DATAGEN" media-plan 2002 "$total")
}

make_dump
make_media
NFILES=$(scaled 30000 100)
log "app: $NFILES small files"
python3 "$DATAGEN" tree "$DIR/app" "$NFILES" 3003
python3 "$DATAGEN" env "$DIR/app" 4004
log "logs"
python3 "$DATAGEN" logs "$DIR/logs" "$SCALE" 5005
printf 'scale=%s\nmutations=0\n' "$SCALE" >"$DIR/$MARKER"

log "done in $((SECONDS - START)) s: $(du -sh "$DIR" | cut -f1), $(find "$DIR" -type f | wc -l) files"
