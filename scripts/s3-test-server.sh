#!/usr/bin/env bash
# s3-test-server.sh (from ../shared/notes/swift-s3.sh) - a real S3-compatible object store on loopback for integration
# tests and CI: a single-node, single-replica OpenStack Swift (Debian 12
# packages, Swift 2.30) with the s3api (AWS SigV4) and tempauth middlewares.
#
#   swift-s3.sh start   install packages if missing, lay out the data folder,
#                       build rings, start account/container/object/proxy
#                       servers on 127.0.0.1, wait until healthy, create bucket;
#                       then the TLS front (stunnel, below)
#   swift-s3.sh stop    stop the servers this script started (PID files only)
#   swift-s3.sh env     print export lines (endpoint, keys, region, bucket)
#   swift-s3.sh status  show PIDs and health
#   swift-s3.sh clean   stop, then delete the data folder
#
# Settings (environment):
#   SWIFT_S3_DIR     data folder              (default /tmp/swift-s3)
#   SWIFT_S3_PORT    S3 endpoint port; backends use PORT+1..PORT+3 (default 18080)
#   SWIFT_S3_BUCKET  bucket created at start  (default test-bucket)
#   SWIFT_S3_NOSYNC  1 = run the servers under libeatmydata (fsync becomes a
#                    no-op: ~2x faster small-object writes; data may be lost
#                    on a host crash, fine for throwaway test stores) (default 0)
#   SWIFT_S3_TLS_PORT https front (stunnel) to the same proxy; the port after it
#                    serves a certificate for another name, for hostname-mismatch
#                    tests (default PORT+5)
# TLS: at start a throwaway CA (DATA/tls/ca.pem) signs the front's certificate for
# 127.0.0.1 and localhost; DATA/tls/other-ca.pem is an unrelated CA, for wrong-CA
# tests. They are made anew when missing or within a day of expiring.
# Fixed test user (tempauth): access key test:tester, secret testing,
# region us-east-1. Requires root only for the apt-get step.
#
# No system service is started or configured: nothing is written outside
# SWIFT_S3_DIR (apt aside), Swift never reads /etc/swift (the launcher points
# Swift at SWIFT_S3_DIR/etc/swift.conf), no memcached, no rsync/replicators,
# and Swift's syslog output goes to SWIFT_S3_DIR/log/*.log instead.
set -euo pipefail

DATA=${SWIFT_S3_DIR:-/tmp/swift-s3}
HOST=127.0.0.1
PORT=${SWIFT_S3_PORT:-18080}
OBJ_PORT=$((PORT + 1))
CONT_PORT=$((PORT + 2))
ACC_PORT=$((PORT + 3))
# never contacted: the launcher replaces the proxy's memcache client with an
# in-process cache (the proxy is a single process)
MEMCACHE_PORT=$((PORT + 4))
ACCESS_KEY=test:tester
SECRET_KEY=testing
REGION=us-east-1
BUCKET=${SWIFT_S3_BUCKET:-test-bucket}
NOSYNC=${SWIFT_S3_NOSYNC:-0}
TLS_PORT=${SWIFT_S3_TLS_PORT:-$((PORT + 5))}
MISMATCH_PORT=$((TLS_PORT + 1))
PY=/usr/bin/python3
# python3-swift holds all the server code; swift holds swift-ring-builder.
# The swift-proxy/-object/-container/-account packages only add init scripts
# and uwsgi, which this script does not use.
PACKAGES="python3-swift swift stunnel4 openssl"
[ "$NOSYNC" = 1 ] && PACKAGES="$PACKAGES libeatmydata1"
SERVERS="account container object proxy"
ETC=$DATA/etc
RUN=$DATA/run
LOG=$DATA/log
TLS=$DATA/tls

say() { printf 'swift-s3: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

install_packages() {
    local missing="" p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "packages missing:$missing (run once as root, or apt-get install them)"
    export DEBIAN_FRONTEND=noninteractive
    # Keep maintainer scripts from starting system services (rsyslog etc.).
    local policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    local t0 rc=0
    t0=$(now)
    apt-get update -qq || rc=$?
    say "apt-get update: $(elapsed "$t0") s"
    t0=$(now)
    [ $rc = 0 ] && { apt-get install -y -qq -d --no-install-recommends $missing >/dev/null || rc=$?; }
    say "apt download of$missing (+deps): $(elapsed "$t0") s"
    t0=$(now)
    [ $rc = 0 ] && { apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?; }
    say "apt install (unpack+configure): $(elapsed "$t0") s"
    [ $policy_added = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ $rc = 0 ] || die "apt-get failed ($rc)"
}

pid_alive() { # pidfile -> 0 if the recorded process is ours and alive
    local f=$1 pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    [ -d "/proc/$pid" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DATA/bin/swift-s3-server.py" || return 1
}

write_files() {
    mkdir -p "$ETC" "$RUN" "$LOG" "$DATA/bin" "$DATA/srv/d1"
    local user
    user=$(id -un)

    # Swift reads swift.conf from a fixed path (/etc/swift/swift.conf); this
    # launcher repoints it, routes syslog output to a file, then runs the
    # standard run_wsgi entry point exactly as /usr/bin/swift-*-server do.
    cat >"$DATA/bin/swift-s3-server.py" <<'EOF'
import logging, os, sys
server, conf_path = sys.argv[1], sys.argv[2]
etc = os.path.dirname(os.path.abspath(conf_path))
logfile = os.path.join(os.path.dirname(etc), 'log', server + '.log')
from swift.common import utils
utils.SWIFT_CONF_FILE = os.path.join(etc, 'swift.conf')
from swift.common import storage_policy
storage_policy.reload_storage_policies()

class FileLogHandler(logging.FileHandler):
    def __init__(self, address=None, facility=None, *args, **kwargs):
        logging.FileHandler.__init__(self, logfile)
utils.ThreadSafeSysLogHandler = FileLogHandler

if server == 'proxy':
    # The proxy runs as one process (workers = 0), so a dict in that process
    # is a coherent stand-in for memcached (used by tempauth and for the
    # account/container info cache, which the proxy invalidates on its own
    # writes). No memcached daemon, no connection-refused errors.
    import json
    import time as _time
    from swift.common.middleware import memcache as memcache_middleware

    class LocalCache(object):
        def __init__(self, *args, **kwargs):
            self._d = {}

        def _expiry(self, ttl):
            ttl = int(ttl or 0)
            if ttl <= 0:
                return 0
            return ttl if ttl > 30 * 86400 else _time.time() + ttl

        def _item(self, key):
            item = self._d.get(key)
            if item and item[0] and item[0] < _time.time():
                self._d.pop(key, None)
                return None
            return item

        def set(self, key, value, serialize=True, time=0,
                min_compress_len=0, raise_on_error=False):
            if serialize:
                if isinstance(value, bytes):
                    value = value.decode('utf8')
                value = (True, json.dumps(value))
            else:
                value = (False, value)
            self._d[key] = (self._expiry(time), value)

        def get(self, key, raise_on_error=False):
            item = self._item(key)
            if not item:
                return None
            serialized, value = item[1]
            return json.loads(value) if serialized else value

        def incr(self, key, delta=1, time=0):
            item = self._item(key)
            current = int(item[1][1]) if item else 0
            value = max(0, current + int(delta))
            self._d[key] = (item[0] if item else self._expiry(time),
                            (False, str(value).encode('ascii')))
            return value

        def decr(self, key, delta=1, time=0):
            return self.incr(key, -int(delta), time)

        def delete(self, key, server_key=None):
            self._d.pop(key, None)

        def set_multi(self, mapping, server_key, serialize=True, time=0,
                      min_compress_len=0):
            for key, value in mapping.items():
                self.set(key, value, serialize, time)

        def get_multi(self, keys, server_key):
            return [self.get(key) for key in keys]

    memcache_middleware.MemcacheRing = LocalCache

from swift.common.wsgi import run_wsgi
kwargs = {}
if server == 'object':
    from swift.obj import server as object_server
    kwargs['global_conf_callback'] = object_server.global_conf_callback
sys.exit(run_wsgi(conf_path, server + '-server', **kwargs))
EOF

    # Readiness probe with a tiny stdlib SigV4 signer (no boto needed).
    cat >"$DATA/bin/s3probe.py" <<'EOF'
import datetime, hashlib, hmac, os, sys, time, urllib.error, urllib.request
endpoint, access, secret, region, bucket, timeout = sys.argv[1:7]
backends = sys.argv[7:]
deadline = time.time() + float(timeout)

def call(req):
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def signed(method, path):
    t = datetime.datetime.now(datetime.timezone.utc)
    amzdate, day = t.strftime('%Y%m%dT%H%M%SZ'), t.strftime('%Y%m%d')
    host = endpoint.split('://', 1)[1]
    ph = hashlib.sha256(b'').hexdigest()
    sh = 'host;x-amz-content-sha256;x-amz-date'
    creq = '\n'.join([method, path, '', 'host:' + host,
                      'x-amz-content-sha256:' + ph, 'x-amz-date:' + amzdate,
                      '', sh, ph])
    scope = '%s/%s/s3/aws4_request' % (day, region)
    sts = '\n'.join(['AWS4-HMAC-SHA256', amzdate, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ('AWS4' + secret).encode()
    for m in (day, region, 's3', 'aws4_request'):
        k = hmac.new(k, m.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return urllib.request.Request(endpoint + path, method=method, headers={
        'x-amz-date': amzdate, 'x-amz-content-sha256': ph,
        'Authorization': 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, '
                         'Signature=%s' % (access, scope, sh, sig)})

pids = os.environ.get('SWIFT_S3_PIDS', '').split()

def check_pids():  # fail fast if a server died (exited or zombie)
    for pid in pids:
        try:
            state = open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()[0]
        except OSError:
            state = 'gone'
        if state in ('Z', 'X', 'gone'):
            sys.exit('server pid %s exited during startup' % pid)

for url in backends + [endpoint + '/healthcheck']:
    while True:
        check_pids()
        try:
            if call(urllib.request.Request(url))[0] == 200:
                break
        except OSError:
            pass
        if time.time() > deadline:
            sys.exit('not healthy in time: ' + url)
        time.sleep(0.2)
status, body = call(signed('PUT', '/' + bucket))
if status not in (200, 409):  # 409 = BucketAlreadyOwnedByYou
    sys.exit('PUT bucket failed: %s %s' % (status, body[:300]))
status, body = call(signed('HEAD', '/' + bucket))
if status != 200:
    sys.exit('HEAD bucket failed: %s' % status)
EOF

    cat >"$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_prefix = swift-s3-test-prefix
swift_hash_path_suffix = swift-s3-test-suffix

[storage-policy:0]
name = Policy-0
default = yes

[swift-constraints]
max_file_size = 5368709122
EOF

    local common="bind_ip = $HOST
user = $user
swift_dir = $ETC
devices = $DATA/srv
mount_check = false
disable_fallocate = true
log_level = INFO
log_name = swift-s3"

    cat >"$ETC/object-server.conf" <<EOF
[DEFAULT]
bind_port = $OBJ_PORT
workers = 0
$common

[pipeline:main]
pipeline = healthcheck object-server

[app:object-server]
use = egg:swift#object
# 1 MiB chunks instead of 64 KiB: fewer eventlet switches per object
disk_chunk_size = 1048576
network_chunk_size = 1048576
# No object-updater runs: a container update that fails would leave the
# object out of bucket listings, so give updates generous timeouts.
container_update_timeout = 10
node_timeout = 10
conn_timeout = 2

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
    cat >"$ETC/container-server.conf" <<EOF
[DEFAULT]
bind_port = $CONT_PORT
workers = 0
$common

[pipeline:main]
pipeline = healthcheck container-server

[app:container-server]
use = egg:swift#container
# account updates (bucket list); no container-updater runs to retry them
node_timeout = 10
conn_timeout = 2

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
    cat >"$ETC/account-server.conf" <<EOF
[DEFAULT]
bind_port = $ACC_PORT
workers = 0
$common

[pipeline:main]
pipeline = healthcheck account-server

[app:account-server]
use = egg:swift#account

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
    cat >"$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_port = $PORT
# one process (no forked workers): required by the in-process cache
workers = 0
$common

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = false
object_chunk_size = 1048576
client_chunk_size = 1048576
conn_timeout = 2

[filter:s3api]
use = egg:swift#s3api
location = $REGION
s3_acl = false
dns_compliant_bucket_names = true
allow_multipart_uploads = true
max_upload_part_num = 10000

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = $SECRET_KEY .admin

[filter:cache]
# served by an in-process dict (see swift-s3-server.py): no memcached
use = egg:swift#memcache
memcache_servers = $HOST:$MEMCACHE_PORT

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
EOF
}

build_rings() {
    local stamp="$HOST $OBJ_PORT $CONT_PORT $ACC_PORT"
    if [ -s "$ETC/rings.stamp" ] && [ "$(cat "$ETC/rings.stamp")" = "$stamp" ] \
        && [ -s "$ETC/object.ring.gz" ] && [ -s "$ETC/container.ring.gz" ] && [ -s "$ETC/account.ring.gz" ]; then
        return 0
    fi
    rm -f "$ETC"/*.builder "$ETC"/*.ring.gz
    # The swift-ring-builder commands "create 10 1 0" (part power 10,
    # 1 replica, min_part_hours 0), "add", "rebalance" for each ring, run
    # through swift-ring-builder's own entry point (swift.cli.ringbuilder.main)
    # in one Python process: nine separate runs would cost ~0.7 s each.
    "$PY" - "$ETC" "$HOST" "object:$OBJ_PORT" "container:$CONT_PORT" "account:$ACC_PORT" \
        >"$LOG/rings.out" 2>&1 <<'EOF' || { cat "$LOG/rings.out" >&2; die "ring build failed"; }
import os, sys
from swift.cli.ringbuilder import main
etc, host = sys.argv[1], sys.argv[2]
def run(*args):
    try:
        main(['swift-ring-builder'] + list(args))
    except SystemExit as e:
        if e.code not in (None, 0, 1):   # 1 = completed with warnings
            raise
for spec in sys.argv[3:]:
    ring, port = spec.split(':')
    builder = os.path.join(etc, ring + '.builder')
    run(builder, 'create', '10', '1', '0')
    run(builder, 'add', '--region', '1', '--zone', '1', '--ip', host,
        '--port', port, '--device', 'd1', '--weight', '100')
    run(builder, 'rebalance')
    assert os.path.getsize(os.path.join(etc, ring + '.ring.gz')) > 0
EOF
    echo "$stamp" >"$ETC/rings.stamp"
}

check_xattr() {
    "$PY" - "$DATA/srv/d1" <<'EOF' || die "no user xattrs under $DATA (Swift needs them); pick an ext4/xfs SWIFT_S3_DIR"
import os, sys
f = os.path.join(sys.argv[1], '.xattr-probe')
open(f, 'w').close()
try:
    os.setxattr(f, 'user.swift.metadata', b'x' * 4000)
    assert len(os.getxattr(f, 'user.swift.metadata')) == 4000
finally:
    os.unlink(f)
EOF
}

check_ports() { # a busy port would make the health probe talk to someone else
    "$PY" - "$HOST" "$PORT" "$OBJ_PORT" "$CONT_PORT" "$ACC_PORT" <<'EOF' || die "pick another SWIFT_S3_PORT"
import socket, sys
busy = []
for port in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((sys.argv[1], int(port)))
    except OSError:
        busy.append(port)
    finally:
        s.close()
if busy:
    sys.exit('swift-s3: port(s) already in use on %s: %s' % (sys.argv[1], ' '.join(busy)))
EOF
}

# A CA and the certificates it signs, made with openssl at test time (never committed).
make_certs() {
    mkdir -p "$TLS"
    local f fresh=1
    for f in ca other-ca server wrong-name; do
        [ -s "$TLS/$f.pem" ] && openssl x509 -checkend 86400 -noout -in "$TLS/$f.pem" >/dev/null 2>&1 || fresh=0
    done
    [ $fresh = 1 ] && return 0
    (
        set -e
        cd "$TLS"
        rm -f ./*.pem ./*.key ./*.csr ./*.srl
        for ca in ca other-ca; do
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
                -keyout "$ca.key" -out "$ca.pem" -subj "/CN=silo test $ca" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        done
        # server: the names the tests connect by; wrong-name: a name they never use.
        for leaf in server:IP:127.0.0.1,DNS:localhost wrong-name:DNS:not-this-host.invalid; do
            name=${leaf%%:*}
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$name.key" -out "$name.csr" -subj "/CN=silo test $name"
            openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
                -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "${leaf#*:}") \
                -out "$name.pem"
        done
        chmod 600 ./*.key
    ) >"$LOG/certs.out" 2>&1 || { cat "$LOG/certs.out" >&2; die "making the test certificates failed"; }
}

tls_alive() {
    local pid
    [ -s "$RUN/stunnel.pid" ] || return 1
    pid=$(cat "$RUN/stunnel.pid")
    [ -d "/proc/$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$ETC/stunnel.conf"
}

port_open() { "$PY" -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' "$HOST" "$1" 2>/dev/null; }

# stunnel in front of the Swift proxy: https://127.0.0.1:TLS_PORT (and the mismatch port).
start_tls() {
    make_certs
    if tls_alive; then return 0; fi
    local p
    for p in $TLS_PORT $MISMATCH_PORT; do port_open "$p" && die "port $p is in use; pick another SWIFT_S3_TLS_PORT"; done
    cat >"$ETC/stunnel.conf" <<EOF
foreground = yes
pid =
output = $LOG/stunnel.log
[s3]
accept = $HOST:$TLS_PORT
connect = $HOST:$PORT
cert = $TLS/server.pem
key = $TLS/server.key
[s3-wrong-name]
accept = $HOST:$MISMATCH_PORT
connect = $HOST:$PORT
cert = $TLS/wrong-name.pem
key = $TLS/wrong-name.key
EOF
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
        done
        exec setsid stunnel4 "$ETC/stunnel.conf"
    ) </dev/null >>"$LOG/stunnel.out" 2>&1 &
    echo $! >"$RUN/stunnel.pid"
    for _ in $(seq 50); do
        port_open "$TLS_PORT" && port_open "$MISMATCH_PORT" && return 0
        tls_alive || break
        sleep 0.1
    done
    tail -n 20 "$LOG/stunnel.out" "$LOG/stunnel.log" >&2 2>/dev/null || true
    die "stunnel did not start on $HOST:$TLS_PORT"
}

stop_tls() {
    if tls_alive; then
        say "stopping stunnel ($(cat "$RUN/stunnel.pid"))"
        kill -TERM "$(cat "$RUN/stunnel.pid")" 2>/dev/null || true
    fi
    rm -f "$RUN/stunnel.pid"
}

cmd_start() {
    local t_all s running=0
    t_all=$(now)
    install_packages
    for s in $SERVERS; do pid_alive "$RUN/$s.pid" && running=$((running + 1)); done
    if [ $running = 4 ]; then
        say "already running"
    else
        [ $running = 0 ] || { say "partly running; restarting"; cmd_stop; }
        write_files
        check_xattr
        check_ports
        build_rings
        local preload=""
        if [ "$NOSYNC" = 1 ]; then
            preload=$(dpkg -L libeatmydata1 | grep '/libeatmydata\.so$' | head -1)
            [ -n "$preload" ] || die "libeatmydata.so not found"
        fi
        for s in $SERVERS; do
            # setsid: each server is its own process group, so Swift's
            # killpg(0, SIGTERM) on stop cannot reach the caller.
            # The descriptors above 2 are closed first: a caller's pipe or socket
            # inherited by a server would make the caller wait for ever (Foundation's
            # Process waits until its child's descriptors all close).
            (
                for fd in /proc/$BASHPID/fd/*; do
                    fd=${fd##*/}
                    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
                done
                exec setsid env ${preload:+LD_PRELOAD=$preload} \
                    "$PY" "$DATA/bin/swift-s3-server.py" "$s" "$ETC/$s-server.conf"
            ) </dev/null >>"$LOG/$s.out" 2>&1 &
            echo $! >"$RUN/$s.pid"
        done
    fi
    # Only the four servers' PID files: a stale stunnel.pid (from a copied /tmp) names a
    # process that is not ours, and the probe would take it for a server that died.
    local server_pids=""
    for s in $SERVERS; do [ -s "$RUN/$s.pid" ] && server_pids="$server_pids $(cat "$RUN/$s.pid")"; done
    if ! SWIFT_S3_PIDS="$server_pids" \
        "$PY" "$DATA/bin/s3probe.py" "http://$HOST:$PORT" "$ACCESS_KEY" "$SECRET_KEY" \
        "$REGION" "$BUCKET" 60 \
        "http://$HOST:$OBJ_PORT/healthcheck" "http://$HOST:$CONT_PORT/healthcheck" \
        "http://$HOST:$ACC_PORT/healthcheck"; then
        tail -n 20 "$LOG"/*.out "$LOG"/*.log 2>/dev/null >&2 || true
        cmd_stop
        die "Swift did not become healthy"
    fi
    start_tls
    say "S3 endpoint http://$HOST:$PORT and https://$HOST:$TLS_PORT (CA $TLS/ca.pem) ready, bucket $BUCKET (start took $(elapsed "$t_all") s)"
}

cmd_stop() {
    local s f pid alive pids=""
    stop_tls
    for s in $SERVERS; do
        f=$RUN/$s.pid
        if pid_alive "$f"; then
            pid=$(cat "$f")
            kill -TERM "$pid" 2>/dev/null || true
            pids="$pids $pid"
            say "stopping $s ($pid)"
        fi
        rm -f "$f"
    done
    [ -n "$pids" ] || return 0
    # Each server is a session leader, so its workers share its process
    # group; wait for the groups to empty (a clean Swift exit takes ~2 s).
    for _ in $(seq 100); do
        alive=0
        for pid in $pids; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in $pids; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}

cmd_env() {
    cat <<EOF
export S3_ENDPOINT_URL='http://$HOST:$PORT'
export AWS_ENDPOINT_URL='http://$HOST:$PORT'
export AWS_ACCESS_KEY_ID='$ACCESS_KEY'
export AWS_SECRET_ACCESS_KEY='$SECRET_KEY'
export AWS_REGION='$REGION'
export AWS_DEFAULT_REGION='$REGION'
export S3_BUCKET='$BUCKET'
export S3_HTTPS_ENDPOINT='https://$HOST:$TLS_PORT'
export S3_TEST_CA='$TLS/ca.pem'
EOF
}

cmd_status() {
    local s rc=0
    for s in $SERVERS; do
        if pid_alive "$RUN/$s.pid"; then echo "$s: running (pid $(cat "$RUN/$s.pid"))"
        else echo "$s: stopped"; rc=1; fi
    done
    if tls_alive; then echo "stunnel: running (pid $(cat "$RUN/stunnel.pid"))"; else echo "stunnel: stopped"; rc=1; fi
    return $rc
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    env) cmd_env ;;
    status) cmd_status ;;
    clean) cmd_stop; rm -rf "$DATA" ;;
    *) echo "usage: $0 start|stop|env|status|clean" >&2; exit 2 ;;
esac
