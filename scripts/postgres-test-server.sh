#!/usr/bin/env bash
# postgres-test-server.sh start|stop|status
#
# A throwaway PostgreSQL 15 server for the tests, on 127.0.0.1:${SILO_TEST_PG_PORT:-55432}, data
# in ${SILO_TEST_PG_DIR:-/tmp/silo-pg-test}. Superuser `postgres` logs in over TCP with a
# password (scram-sha-256, so a wrong password is really refused); the password is in
# $DIR/password. `start` is idempotent and prints the connection URL without the password.
# Runs the server as user postgres when started by root (PostgreSQL refuses to run as root).
set -euo pipefail

PORT=${SILO_TEST_PG_PORT:-55432}
DIR=${SILO_TEST_PG_DIR:-/tmp/silo-pg-test}
PGBIN=${SILO_PG_BINDIR:-/usr/lib/postgresql/15/bin}
die() { echo "postgres-test-server.sh: $*" >&2; exit 1; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

running() { as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

start() {
    [[ -x $PGBIN/initdb ]] || die "PostgreSQL 15 is not installed ($PGBIN/initdb missing); run make test, or apt-get install postgresql"
    if [[ -d $DIR/data ]] && running; then echo "postgresql://postgres@127.0.0.1:$PORT/postgres"; return; fi
    if [[ ! -f $DIR/data/PG_VERSION ]]; then
        rm -rf "$DIR"
        mkdir -p "$DIR"
        head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/password"
        [[ $(id -u) -eq 0 ]] && chown -R postgres: "$DIR"
        chmod 700 "$DIR"
        as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --pwfile="$DIR/password" --auth-local=trust --auth-host=scram-sha-256 \
            --no-locale -E UTF8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
        cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
CONF
    fi
    as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null ||
        { tail -20 "$DIR/server.log" >&2; die "the server did not start"; }
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
}

stop() {
    [[ -d $DIR/data ]] || return 0
    as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) running && echo running || { echo stopped; exit 1; } ;;
    *) echo "usage: postgres-test-server.sh start|stop|status" >&2; exit 64 ;;
esac
