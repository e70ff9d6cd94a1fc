#!/usr/bin/env bash
# notify-test-servers.sh start|stop|status|clean
#
# The receivers SiloNotify's tests deliver to, on loopback, data in ${SILO_NOTIFY_TEST_DIR:-/tmp/silo-notify-test}:
#   SMTP (aiosmtpd, scripts/notify-test-smtp.py), from ${SILO_NOTIFY_SMTP_PORT:-18525}:
#     +0 relay: plain, STARTTLS optional, no AUTH     +1 submission: STARTTLS and AUTH required (PLAIN, LOGIN)
#     +2 smtps: implicit TLS, AUTH required            +3 login-only: as +1 with LOGIN alone
#     +4 no-tls: plain, no STARTTLS offered
#     user "silo", password in DIR/smtp-password (random, made once); messages in DIR/mail/*.json
#   HTTP ${SILO_NOTIFY_HTTP_PORT:-18590} and HTTPS ${SILO_NOTIFY_HTTPS_PORT:-18591} (scripts/notify-test-http.py):
#     requests in DIR/http/*.json; /fail-N/… answers 500 N times then 200, /status/NNN/… always NNN,
#     /delay-MS/… waits MS ms.
#   TLS: DIR/tls/ca.pem signs DIR/tls/server.pem (127.0.0.1, localhost); DIR/tls/other-ca.pem signs
#     nothing the servers show (wrong-CA tests). Made with openssl at start, anew within a day of expiry.
# `start` is idempotent (and restarts receivers whose script or certificate changed); logs in DIR/log.
# Needs /usr/bin/python3 with python3-aiosmtpd (make test-deps installs it) and openssl.
set -euo pipefail

DIR=${SILO_NOTIFY_TEST_DIR:-/tmp/silo-notify-test}
SMTP_PORT=${SILO_NOTIFY_SMTP_PORT:-18525}
HTTP_PORT=${SILO_NOTIFY_HTTP_PORT:-18590}
HTTPS_PORT=${SILO_NOTIFY_HTTPS_PORT:-18591}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TLS=$DIR/tls
RUN=$DIR/run
LOG=$DIR/log
say() { printf 'notify-test-servers: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# A receiver is ours and alive when its PID file names a live process running its script.
alive() { # name
    local pid
    [ -s "$RUN/$1.pid" ] || return 1
    pid=$(cat "$RUN/$1.pid")
    [ -d "/proc/$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "notify-test-$1.py"
}

port_open() { "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; }

# What a running receiver was started from: its script and the certificate; a change restarts it.
stamp() { cat "$HERE/notify-test-$1.py" "$TLS/server.pem" | sha256sum | cut -d' ' -f1; }

make_certs() {
    mkdir -p "$TLS"
    local f fresh=1
    for f in ca other-ca server; do
        [ -s "$TLS/$f.pem" ] && openssl x509 -checkend 86400 -noout -in "$TLS/$f.pem" >/dev/null 2>&1 || fresh=0
    done
    [ $fresh = 1 ] && return 0
    (
        set -e
        cd "$TLS"
        rm -f ./*.pem ./*.key ./*.csr ./*.srl
        for ca in ca other-ca; do
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
                -keyout "$ca.key" -out "$ca.pem" -subj "/CN=silo notify test $ca" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        done
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout server.key -out server.csr -subj "/CN=silo notify test server"
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
            -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n') \
            -out server.pem
        chmod 600 ./*.key
    ) >"$LOG/certs.out" 2>&1 || { cat "$LOG/certs.out" >&2; die "making the test certificates failed"; }
}

launch() { # name ports... -- args...
    local name=$1; shift
    local ports=() p
    while [ "$1" != -- ]; do ports+=("$1"); shift; done
    shift
    if alive "$name" && [ "$(cat "$RUN/$name.stamp" 2>/dev/null)" = "$(stamp "$name")" ]; then return 0; fi
    stop_one "$name"
    for p in "${ports[@]}"; do port_open "$p" && die "port $p is in use by something else"; done
    # setsid and the descriptors above 2 closed: a caller's pipe inherited by the receiver would
    # make the caller (make, or a test's Process) wait for it for ever.
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
        done
        exec setsid "$PY" "$HERE/notify-test-$name.py" "$@"
    ) </dev/null >>"$LOG/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    stamp "$name" >"$RUN/$name.stamp"
    for _ in $(seq 100); do
        local up=1
        for p in "${ports[@]}"; do port_open "$p" || { up=0; break; }; done
        [ $up = 1 ] && return 0
        alive "$name" || break
        sleep 0.1
    done
    tail -n 20 "$LOG/$name.log" >&2 || true
    die "the $name receiver did not start"
}

stop_one() { # name
    if alive "$1"; then
        local pid
        pid=$(cat "$RUN/$1.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$1.pid" "$RUN/$1.stamp"
}

start() {
    [ -x "$PY" ] && "$PY" -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd is missing (make test-deps, or apt-get install python3-aiosmtpd)"
    mkdir -p "$DIR" "$RUN" "$LOG" "$DIR/mail" "$DIR/http"
    chmod 700 "$DIR"
    [ -s "$DIR/smtp-password" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/smtp-password"; chmod 600 "$DIR/smtp-password"; }
    make_certs
    launch smtp $(seq "$SMTP_PORT" $((SMTP_PORT + 4))) -- "$DIR" "$SMTP_PORT"
    launch http "$HTTP_PORT" "$HTTPS_PORT" -- "$DIR" "$HTTP_PORT" "$HTTPS_PORT"
    echo "smtp 127.0.0.1:$SMTP_PORT-$((SMTP_PORT + 4)), http 127.0.0.1:$HTTP_PORT, https 127.0.0.1:$HTTPS_PORT, CA $TLS/ca.pem"
}

status() {
    local rc=0 name
    for name in smtp http; do
        if alive "$name"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"; else echo "$name: stopped"; rc=1; fi
    done
    return $rc
}

case ${1:-} in
    start) start ;;
    stop) stop_one smtp; stop_one http ;;
    status) status ;;
    clean) stop_one smtp; stop_one http; rm -rf "$DIR" ;;
    *) echo "usage: notify-test-servers.sh start|stop|status|clean" >&2; exit 64 ;;
esac
