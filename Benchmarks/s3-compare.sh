#!/usr/bin/env bash
# s3-compare.sh [--scale S] [--out FILE] [--work DIR] [--no-build] [--keep-work] [--https]
#
# Backs up, changes, backs up again and restores the same generated data set with silo and with
# restic's S3 backend, both on the loopback S3 server of scripts/s3-test-server.sh (OpenStack
# Swift s3api), in the same run, and writes a Markdown table of wall time, CPU time, peak RSS,
# throughput and S3 request count per step, with silo/restic ratios against the targets
# (throughput >= 2x restic's, requests <= restic's), to stdout and to --out.
#
#   --scale S     data set scale for generate-dataset.sh (default 0.5: ~450 MiB, ~15k files)
#   --out FILE    results file (default Benchmarks/S3-latest.md)
#   --work DIR    scratch directory (default /tmp/silo-s3-bench; wiped at the start)
#   --no-build    do not build silo when .build/release/silo is missing or older than the sources
#   --keep-work   keep the scratch directory and the two repositories in the bucket (default:
#                 both are deleted at the end)
#   --https       silo too talks https, through the same stunnel as restic, trusting its
#                 certificate with --cacert as restic does (default: silo over plain http)
# Environment: SILO_BIN (default <repo>/.build/release/silo); SILO_PASSWORD, RESTIC_PASSWORD
# (benchmark defaults when unset; never on a command line); SWIFT_S3_DIR, SWIFT_S3_PORT,
# SWIFT_S3_BUCKET (as for scripts/s3-test-server.sh); S3_BENCH_TLS_PORT (default 18443).
#
# The server is started if it is not running and stopped again at the end only if this script
# started it. Steps per tool: init, initial backup, backup with nothing changed, backup after
# mutate-dataset.sh (run once, after both tools' second backup, so both back up identical data),
# full restore of latest into an empty directory (diff -r against the data), restore of one small
# file (cmp). Requests are the client lines the Swift proxy logs during each step.
#
# restic 0.14 (minio-go) signs uploads over plain http with aws-chunked streaming signatures,
# which Swift s3api answers with 501; over https it sends whole bodies. So restic talks https to
# an stunnel on S3_BENCH_TLS_PORT that forwards to the same Swift proxy, and silo talks http to
# the proxy directly, or with --https the same stunnel. stunnel's CPU time is reported per step.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE=0.5
OUT="$HERE/S3-latest.md"
WORK=/tmp/silo-s3-bench
BUILD=1
KEEP_WORK=0
HTTPS=0
SILO_BIN=${SILO_BIN:-$ROOT/.build/release/silo}
BENCH_HOST=silo-bench-host
S3_SERVER_SCRIPT=$ROOT/scripts/s3-test-server.sh
S3_DIR=${SWIFT_S3_DIR:-/tmp/swift-s3}
S3_PORT=${SWIFT_S3_PORT:-18080}
BUCKET=${SWIFT_S3_BUCKET:-test-bucket}
TLS_PORT=${S3_BENCH_TLS_PORT:-18443}
ENDPOINT=http://127.0.0.1:$S3_PORT
TLS_ENDPOINT=https://127.0.0.1:$TLS_PORT
PROXY_LOG=$S3_DIR/log/proxy.log   # the proxy's syslog output, see swift-s3-server.py in the server script
TOOLS=(silo restic)

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --keep-work) KEEP_WORK=1; shift ;;
        --https) HTTPS=1; shift ;;
        -h | --help) usage ;;
        *) echo "s3-compare.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $TLS_PORT =~ ^[0-9]+$ ]] || { echo "s3-compare.sh: S3_BENCH_TLS_PORT must be a port number" >&2; exit 64; }

log() { printf '[s3-compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=s3-compare.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"
die() { problem "$*"; exit 1; }
RUN_START=$SECONDS

# --------------------------------------------------------------------------- scratch layout
if [[ -e $WORK && -n $(ls -A "$WORK" 2>/dev/null) && ! -f $WORK/.silo-s3-bench-work ]]; then
    echo "s3-compare.sh: $WORK exists and was not made by this script; refusing to wipe it (use --work)" >&2
    exit 1
fi
rm -rf "$WORK"
# Deleting tens of thousands of files keeps ext4 busy for seconds after rm returns (compare.sh).
settle() { sync; sleep 5; }
mkdir -p "$WORK"/{cache,restore,logs,tls,bin}
touch "$WORK/.silo-s3-bench-work"
WORK=$(cd "$WORK" && pwd)
DATA=$WORK/data
RESULTS=$WORK/results.tsv   # tool step wall cpu rss_kib bytes requests silo_count tls_cpu status
: >"$RESULTS"

# --------------------------------------------------------------------------- prerequisites
APT_UPDATED=0
apt_install() {
    [[ $(id -u) -eq 0 ]] || { echo "s3-compare.sh: missing packages ($*); run as root or install them" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    log "apt-get install -y $*"
    if ! apt-get install -y "$@" >"$WORK/logs/apt.log" 2>&1; then
        if [[ $APT_UPDATED -eq 0 ]]; then
            APT_UPDATED=1
            apt-get update >>"$WORK/logs/apt.log" 2>&1
        fi
        apt-get install -y "$@" >>"$WORK/logs/apt.log" 2>&1 || { cat "$WORK/logs/apt.log" >&2; exit 1; }
    fi
}
missing_pkgs=()
[[ -x /usr/bin/time ]] || missing_pkgs+=(time)
command -v restic >/dev/null || missing_pkgs+=(restic)
command -v stunnel4 >/dev/null || missing_pkgs+=(stunnel4)
command -v openssl >/dev/null || missing_pkgs+=(openssl)
command -v python3 >/dev/null || missing_pkgs+=(python3)
if [[ ${#missing_pkgs[@]} -gt 0 ]]; then apt_install "${missing_pkgs[@]}"; fi

silo_stale() { [[ ! -x $SILO_BIN ]] || [[ -n $(find "$ROOT/Sources" "$ROOT/Package.swift" -newer "$SILO_BIN" -type f -print -quit 2>/dev/null) ]]; }
if silo_stale; then
    if [[ $BUILD -eq 1 && $SILO_BIN == "$ROOT/.build/release/silo" ]]; then
        command -v swift >/dev/null || die "swift is not installed; cannot build $SILO_BIN"
        log "building silo (swift build -c release --product silo)"
        if ! (cd "$ROOT" && swift build -c release --product silo) >"$WORK/logs/silo-build.log" 2>&1; then
            tail -n 30 "$WORK/logs/silo-build.log" >&2
            die "silo did not build (log: $WORK/logs/silo-build.log)"
        fi
    elif [[ -x $SILO_BIN ]]; then
        log "WARNING: $SILO_BIN is older than the sources (not rebuilt)"
    fi
fi
[[ -x $SILO_BIN ]] || die "$SILO_BIN does not exist (build it with: swift build -c release --product silo)"

# --------------------------------------------------------------------------- S3 server and TLS proxy
s3_was_running=0
if bash "$S3_SERVER_SCRIPT" status >/dev/null 2>&1; then s3_was_running=1; fi
STUNNEL_PID=""
RUN_ID=s3bench-$(date -u +%Y%m%d%H%M%S)-$$
PREFIX_silo=$RUN_ID-silo
PREFIX_restic=$RUN_ID-restic
S3UTIL=$WORK/bin/s3util.py

cleanup() {
    local rc=$?
    if [[ -n $STUNNEL_PID ]]; then kill "$STUNNEL_PID" 2>/dev/null || true; wait "$STUNNEL_PID" 2>/dev/null || true; STUNNEL_PID=""; fi
    if [[ $KEEP_WORK -eq 0 && -f $S3UTIL ]] && bash "$S3_SERVER_SCRIPT" status >/dev/null 2>&1; then
        local t
        for t in "${TOOLS[@]}"; do
            local p="PREFIX_$t"
            python3 "$S3UTIL" rm "${!p}" >/dev/null 2>>"$WORK/logs/s3-cleanup.log" ||
                printf 's3-compare.sh: could not delete s3://%s/%s/ (see %s)\n' "$BUCKET" "${!p}" "$WORK/logs/s3-cleanup.log" >&2
        done
    fi
    if [[ $s3_was_running -eq 0 ]]; then bash "$S3_SERVER_SCRIPT" stop || true; s3_was_running=1; fi
    if [[ $KEEP_WORK -eq 0 && -d $WORK ]]; then rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT

bash "$S3_SERVER_SCRIPT" start >"$WORK/logs/s3-server.log" 2>&1 ||
    { cat "$WORK/logs/s3-server.log" >&2; die "scripts/s3-test-server.sh start failed"; }
[[ -f $PROXY_LOG ]] || die "the proxy log $PROXY_LOG does not exist (SWIFT_S3_DIR?)"

export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

# s3util.py du|rm PREFIX: total size of the objects under BUCKET/PREFIX/, or delete them
# (multi-object delete with Content-MD5); a stdlib SigV4 signer like the server script's probe.
cat >"$S3UTIL" <<'PY'
import base64, datetime, hashlib, hmac, os, sys, urllib.error, urllib.parse, urllib.request
from xml.etree import ElementTree
from xml.sax.saxutils import escape
endpoint, bucket = os.environ["S3U_ENDPOINT"], os.environ["S3U_BUCKET"]
access, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
region = os.environ.get("AWS_REGION", "us-east-1")
host = urllib.parse.urlparse(endpoint).netloc
enc = lambda s: urllib.parse.quote(s, safe="-_.~")

def call(method, query, body=b"", headers=None):
    t = datetime.datetime.now(datetime.timezone.utc)
    amz, day = t.strftime("%Y%m%dT%H%M%SZ"), t.strftime("%Y%m%d")
    path = "/" + bucket
    cq = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(query.items()))
    ph = hashlib.sha256(body).hexdigest()
    hdrs = {"host": host, "x-amz-content-sha256": ph, "x-amz-date": amz}
    hdrs.update({k.lower(): v for k, v in (headers or {}).items()})
    names = sorted(hdrs)
    creq = "\n".join([method, path, cq] + ["%s:%s" % (n, hdrs[n]) for n in names] + ["", ";".join(names), ph])
    scope = "%s/%s/s3/aws4_request" % (day, region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for m in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, m.encode(), hashlib.sha256).digest()
    hdrs["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access, scope, ";".join(names), hmac.new(k, sts.encode(), hashlib.sha256).hexdigest())
    del hdrs["host"]
    req = urllib.request.Request(endpoint + path + ("?" + cq if cq else ""), data=body or None, method=method, headers=hdrs)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()

def listing(prefix):
    token = None
    while True:
        q = {"list-type": "2", "prefix": prefix}
        if token:
            q["continuation-token"] = token
        root = ElementTree.fromstring(call("GET", q))
        token = None
        for el in root:
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "Contents":
                f = {c.tag.rsplit("}", 1)[-1]: c.text for c in el}
                yield f["Key"], int(f["Size"])
            elif tag == "NextContinuationToken":
                token = el.text
        if not token:
            return

cmd, prefix = sys.argv[1], sys.argv[2].strip("/") + "/"
if cmd == "du":
    n = total = 0
    for key, size in listing(prefix):
        n += 1
        total += size
    print(n, total)
elif cmd == "rm":
    keys = [k for k, _ in listing(prefix) if k.startswith(prefix)]
    for i in range(0, len(keys), 1000):
        body = ("<Delete><Quiet>true</Quiet>" + "".join("<Object><Key>%s</Key></Object>" % escape(k) for k in keys[i:i + 1000]) + "</Delete>").encode()
        call("POST", {"delete": ""}, body, {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(), "Content-Type": "application/xml"})
    left = sum(1 for _ in listing(prefix))
    if left:
        sys.exit("%d objects left under %s" % (left, prefix))
    print(len(keys))
PY
export S3U_ENDPOINT=$ENDPOINT S3U_BUCKET=$BUCKET

# stunnel: https on TLS_PORT -> the Swift proxy, with a throwaway self-signed certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 >"$WORK/logs/openssl.log" 2>&1 || { cat "$WORK/logs/openssl.log" >&2; die "openssl req failed"; }
cat >"$WORK/tls/stunnel.conf" <<EOF
foreground = yes
pid =
output = $WORK/logs/stunnel.log
[s3]
accept = 127.0.0.1:$TLS_PORT
connect = 127.0.0.1:$S3_PORT
cert = $WORK/tls/cert.pem
key = $WORK/tls/key.pem
EOF
if (exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null; then
    die "port $TLS_PORT is already in use (an stunnel left over?); pick another with S3_BENCH_TLS_PORT"
fi
stunnel4 "$WORK/tls/stunnel.conf" </dev/null >"$WORK/logs/stunnel.out" 2>&1 &
STUNNEL_PID=$!
for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null; then break; fi
    sleep 0.1
done
if ! kill -0 "$STUNNEL_PID" 2>/dev/null || ! (exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null; then
    cat "$WORK/logs/stunnel.out" "$WORK/logs/stunnel.log" >&2 2>/dev/null || true
    die "stunnel did not start on 127.0.0.1:$TLS_PORT"
fi
CLK_TCK=$(getconf CLK_TCK)
stunnel_cpu() { awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$STUNNEL_PID/stat"; }

# Repositories, passwords and caches go through the environment, never argv; each tool keeps its
# local cache (silo's catalog, restic's cache) in the scratch directory, empty at init.
CACERT=$WORK/tls/cert.pem
SILO_ENDPOINT=$ENDPOINT
SILO_TLS=()
if [[ $HTTPS -eq 1 ]]; then SILO_ENDPOINT=$TLS_ENDPOINT; SILO_TLS=(--cacert "$CACERT"); fi
export SILO_REPOSITORY=s3:$SILO_ENDPOINT/$BUCKET/$PREFIX_silo
export RESTIC_REPOSITORY=s3:$TLS_ENDPOINT/$BUCKET/$PREFIX_restic
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-silo-bench-password}
export SILO_CACHE_DIR=$WORK/cache/silo
export XDG_CACHE_HOME=$WORK/cache/xdg
export RESTIC_CACHE_DIR=$WORK/cache/restic

# --------------------------------------------------------------------------- tool commands
# Each cmd_<tool>_<step> sets CMD; the harness runs "${CMD[@]}" under /usr/bin/time.
#   backup: $1 = tag;  restore_all: $1 = empty target;  restore_file: $1 = empty target, $2 = file
cmd_silo_init()         { CMD=("$SILO_BIN" init --quiet "${SILO_TLS[@]}"); }
cmd_silo_backup()       { CMD=("$SILO_BIN" backup --json --host "$BENCH_HOST" --tag "$1" "${SILO_TLS[@]}" "$DATA"); }
cmd_silo_restore_all()  { CMD=("$SILO_BIN" restore latest --quiet --target "$1" "${SILO_TLS[@]}"); }
cmd_silo_restore_file() { CMD=("$SILO_BIN" restore latest --quiet --target "$1" --include "$2" "${SILO_TLS[@]}"); }
version_silo()          { "$SILO_BIN" --version 2>&1 | sed -n 1p; }

cmd_restic_init()         { CMD=(restic --cacert "$CACERT" init --repository-version 2); }
cmd_restic_backup()       { CMD=(restic --cacert "$CACERT" backup --quiet --compression auto --host "$BENCH_HOST" --tag "$1" "$DATA"); }
cmd_restic_restore_all()  { CMD=(restic --cacert "$CACERT" restore latest --quiet --target "$1"); }
cmd_restic_restore_file() { CMD=(restic --cacert "$CACERT" restore latest --quiet --target "$1" --include "$2"); }
version_restic()          { restic version | sed -n 1p; }

# --------------------------------------------------------------------------- measurement
# The proxy logs one line per request it serves. Client requests start with
# "swift-s3: 127.0.0.1 127.0.0.1 " (client and remote address); the sub-requests s3api makes
# inside Swift start with "swift-s3: - - " and are not counted; neither are Swift's other lines.
log_lines() { wc -l <"$PROXY_LOG"; }
# Waits until the log stops growing (the proxy writes a line after the response is sent).
quiet_log() {
    local a b
    a=$(log_lines)
    for _ in $(seq 20); do
        sleep 0.3
        b=$(log_lines)
        [[ $a -eq $b ]] && break
        a=$b
    done
    echo "$a"
}
CLIENT_RE='^swift-s3: 127\.0\.0\.1 127\.0\.0\.1 '
# step_requests FROM TO PREFIX OUTFILE: the client lines FROM+1..TO that are this tool's (name its
# prefix, or address the bucket itself without naming any prefix) go to OUTFILE; prints
# "<count> <foreign>", foreign = client lines about other prefixes (someone else using the server).
step_requests() {
    awk -v from="$1" -v to="$2" 'NR > from && NR <= to' "$PROXY_LOG" | { grep -E "$CLIENT_RE" || true; } | awk -v pfx="$3" -v bucket="$BUCKET" -v out="$4" '
        {
            mine = index($0, pfx) > 0
            if (!mine) {
                p = $6; sub(/%3F.*/, "", p)
                mine = (p == "/" bucket || p == "/" bucket "/") && index($6, "prefix%3D") == 0
            }
            if (mine) { n++; print > out } else foreign++
        }
        END { printf "%d %d\n", n, foreign }'
}

data_bytes() { find "$DATA" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }

# run_step TOOL STEP KIND BYTES [ARGS...]: KIND is init|backup|restore_all|restore_file
run_step() {
    local tool=$1 step=$2 kind=$3 bytes=$4
    shift 4
    CMD=()
    "cmd_${tool}_${kind}" "$@"
    local slug=${step// /-} tf="$WORK/logs/time.out" rc=0 pfx="PREFIX_$tool"
    local logf="$WORK/logs/$tool-$slug.log" reqf="$WORK/logs/$tool-$slug.requests"
    sync
    local before tls0 after tls1
    before=$(quiet_log)
    tls0=$(stunnel_cpu)
    (cd "$WORK" && exec /usr/bin/time -o "$tf" -f '%e %U %S %M' "${CMD[@]}") >"$logf" 2>&1 || rc=$?
    after=$(quiet_log)
    tls1=$(stunnel_cpu)
    local wall user sys rss cpu tls requests foreign own=- status=ok
    read -r wall user sys rss < <(tail -n 1 "$tf")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    tls=$(awk -v a="$tls0" -v b="$tls1" 'BEGIN { printf "%.2f", b - a }')
    : >"$reqf"
    read -r requests foreign < <(step_requests "$before" "$after" "${!pfx}" "$reqf")
    if [[ $foreign -gt 0 ]]; then
        problem "$tool: '$step': $foreign request(s) for other prefixes reached the server meanwhile (someone else is using it); timings and counts may be off"
    fi
    if [[ $tool == silo && $kind == backup ]]; then
        own=$(sed -n 's/.*"storage_requests":\([0-9]*\).*/\1/p' "$logf" | tail -n 1)
        own=${own:--}
    fi
    if [[ $rc -ne 0 ]]; then
        status="exit $rc"
        problem "$tool: '$step' exited with status $rc (log: $logf)"
        tail -n 20 "$logf" >&2
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$step" "$wall" "$cpu" "$rss" "$bytes" "$requests" "$own" "$tls" "$status" >>"$RESULTS"
    log "$(printf '%-6s %-18s wall %7ss  cpu %7ss  rss %5d MiB  requests %6d%s  stunnel cpu %ss' "$tool" "$step" "$wall" "$cpu" "$((rss / 1024))" \
        "$requests" "$([[ $own == - ]] || echo " (silo says $own)")" "$tls")"
    return "$rc"
}

# repo_size TOOL LABEL: objects and bytes under the tool's prefix (listed outside any timed step)
REPO_SIZES=()
repo_size() {
    local pfx="PREFIX_$1" n b
    if read -r n b < <(python3 "$S3UTIL" du "${!pfx}" 2>>"$WORK/logs/s3util.log"); then
        REPO_SIZES+=("$1 after $2: $n objects, $(awk -v b="$b" 'BEGIN { printf "%.1f", b / 1048576 }') MiB")
    fi
}

# The directory inside a restore target that should equal $DATA (restic recreates the absolute
# path; a tool that restores the tree itself into the target is accepted too).
restored_root() {
    local t=$1 c
    for c in "$t$DATA" "$t/$(basename "$DATA")"; do
        if [[ -d $c ]]; then echo "$c"; return; fi
    done
    echo "$t"
}
mark_last() { sed -i '$ s/\tok$/\tRESTORE MISMATCH/' "$RESULTS"; }

VERIFIED=()
verify_full() {
    local tool=$1 target=$2 root
    root=$(restored_root "$target")
    if diff -r "$DATA" "$root" >"$WORK/logs/$tool-restore-diff.txt" 2>&1; then
        log "$tool: full restore verified (diff -r: identical)"
        VERIFIED+=("$tool")
    else
        mark_last
        problem "$tool: FULL RESTORE DIFFERS FROM THE DATA ($(wc -l <"$WORK/logs/$tool-restore-diff.txt") lines of diff -r in $WORK/logs/$tool-restore-diff.txt)"
        head -n 10 "$WORK/logs/$tool-restore-diff.txt" >&2
    fi
}

verify_one() {
    local tool=$1 target=$2 file=$3 found n
    n=$(find "$target" -type f | wc -l)
    found=$(find "$target" -type f -name "$(basename "$file")" -print -quit)
    if [[ -z $found ]]; then
        mark_last; problem "$tool: single-file restore produced no $(basename "$file")"
    elif ! cmp -s "$file" "$found"; then
        mark_last; problem "$tool: SINGLE-FILE RESTORE DIFFERS: $found vs $file"
    elif [[ $n -ne 1 ]]; then
        mark_last; problem "$tool: single-file restore wrote $n files instead of 1"
    else
        log "$tool: single-file restore verified (cmp)"
    fi
}

# --------------------------------------------------------------------------- run
log "scale $SCALE; scratch $WORK; repositories s3://$BUCKET/$PREFIX_silo (silo, $SILO_ENDPOINT) and s3://$BUCKET/$PREFIX_restic (restic, $TLS_ENDPOINT via stunnel)"
gen_start=$SECONDS
"$HERE/generate-dataset.sh" "$DATA" "$SCALE"
GEN_SECONDS=$((SECONDS - gen_start))
DATA_BYTES=$(data_bytes)
DATA_FILES=$(find "$DATA" -type f | wc -l)
part_mib() { du -sb "$DATA/$1" | awk '{ printf "%.0f", $1 / 1048576 }'; }
DATA_PARTS="dump $(part_mib db) MiB, media $(part_mib media) MiB, app $(part_mib app) MiB in $(find "$DATA/app" -type f | wc -l) files, logs $(part_mib logs) MiB"
ONE_FILE=$(find "$DATA/app" -type f -name '*.ts' | LC_ALL=C sort | sed -n 1p)
ONE_BYTES=$(stat -c %s "$ONE_FILE")

log "warming the page cache (reading the data set once)"
find "$DATA" -type f -print0 | xargs -0 cat >/dev/null

INITIALIZED=()
for tool in "${TOOLS[@]}"; do
    if ! run_step "$tool" "init" init -; then
        problem "$tool: init failed; skipping it"
        continue
    fi
    INITIALIZED+=("$tool")
    settle
    run_step "$tool" "initial backup" backup "$DATA_BYTES" initial || true
    repo_size "$tool" "the initial backup"
    run_step "$tool" "no-change backup" backup "$DATA_BYTES" unchanged || true
done

log "mutating the data set"
"$HERE/mutate-dataset.sh" "$DATA"
DATA_BYTES_2=$(data_bytes)
DATA_FILES_2=$(find "$DATA" -type f | wc -l)

for tool in "${INITIALIZED[@]}"; do
    settle
    run_step "$tool" "backup after mutate" backup "$DATA_BYTES_2" mutated || true
    repo_size "$tool" "the backup after mutate"

    target=$WORK/restore/$tool-all
    mkdir -p "$target"
    settle
    if run_step "$tool" "full restore" restore_all "$DATA_BYTES_2" "$target"; then verify_full "$tool" "$target"; fi
    # Kept until the scratch directory goes: on this machine's ext4, files deleted minutes
    # before slow the next tool's file creation (the inode allocator skips recently deleted
    # inodes), so deleting one tool's restore would slow the next one's.
    settle

    target=$WORK/restore/$tool-one
    mkdir -p "$target"
    if run_step "$tool" "restore one file" restore_file "$ONE_BYTES" "$target" "$ONE_FILE"; then verify_one "$tool" "$target" "$ONE_FILE"; fi
    rm -rf "$target"
done

# --------------------------------------------------------------------------- report
silo_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then silo_rev="$silo_rev + uncommitted changes"; fi
swift_version=$(dpkg-query -W -f '${Version}' python3-swift 2>/dev/null || echo unknown)
stunnel_version=$(stunnel4 -version 2>&1 | sed -n 's/^stunnel \([0-9.]*\).*/\1/p' | sed -n 1p)
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

# Requests by kind for one step's saved lines (method, and LIST = GET on the bucket with a query).
request_kinds() {
    awk '
        { p = $6; sub(/%3F.*/, "", p); sub(/\/$/, "", p)
          k = $5; if ($5 == "GET" && p !~ /^\/[^\/]+\/./) k = ($6 ~ /list-type|prefix%3D/) ? "LIST" : "GET bucket"
          c[k]++; if ($8 + 0 >= 400) e[$8]++ }
        END {
            s = ""; split("PUT GET HEAD LIST DELETE POST", order, " ")
            for (i = 1; i <= 6; i++) if (order[i] in c) { s = s sprintf("%s%s %d", (s == "" ? "" : ", "), order[i], c[order[i]]); delete c[order[i]] }
            for (k in c) s = s sprintf("%s%s %d", (s == "" ? "" : ", "), k, c[k])
            t = ""; for (k in e) t = t sprintf("%s%d× %s", (t == "" ? "" : ", "), e[k], k)
            printf "%s%s", (s == "" ? "none" : s), (t == "" ? "" : " (status " t ")")
        }' "$1"
}

report=$WORK/report.md
SILO_ROUTE="silo over http straight to the Swift proxy, restic over https through stunnel to the same proxy"
[[ $HTTPS -eq 0 ]] || SILO_ROUTE="silo (\`--https\`: \`--cacert\`) and restic both over https through stunnel to the same Swift proxy"
{
    echo "# S3: silo vs restic on the loopback S3 server$([[ $HTTPS -eq 0 ]] || echo ", both over https")"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(nproc) CPUs (nproc), $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'), kernel $(uname -r)"
    echo "- Versions: silo: $(version_silo) (\`$SILO_BIN\`, built $(date -u -r "$SILO_BIN" '+%Y-%m-%d %H:%M UTC'); source $silo_rev); restic: $(version_restic); OpenStack Swift $swift_version with s3api (scripts/s3-test-server.sh, one node, one replica, fsync on); stunnel $stunnel_version"
    echo "- Data set: scale $SCALE, $(mib "$DATA_BYTES") MiB in $DATA_FILES files ($DATA_PARTS); generated in ${GEN_SECONDS} s; after mutate-dataset.sh $(mib "$DATA_BYTES_2") MiB in $DATA_FILES_2 files"
    echo "- Server: $ENDPOINT, bucket \`$BUCKET\`, a fresh prefix per tool and run; $SILO_ROUTE (restic 0.14's minio-go signs plain-http uploads with aws-chunked streaming, which Swift s3api rejects with 501 NotImplemented)"
    echo "- Settings: silo defaults (\`init\`, \`backup --json\`); restic \`init --repository-version 2\`, \`backup --compression auto\`, default 5 S3 connections. Both keep their local cache (silo's catalog in \`SILO_CACHE_DIR\`, restic's cache in \`RESTIC_CACHE_DIR\`, not \`--no-cache\`), each empty at init and private to this run"
    echo "- Method: warm page cache (the data set is read once first); each tool does a step on the same data (one mutate-dataset.sh after both tools' no-change backup); wall/CPU/peak RSS from \`/usr/bin/time -f '%e %U %S %M'\` of the client only (CPU = user + sys; the Swift servers' and stunnel's CPU are not in it); MB/s = bytes of the data set (10^6) / wall, for one file its size; requests = lines \`swift-s3: 127.0.0.1 127.0.0.1 …\` the Swift proxy appended to \`$PROXY_LOG\` during the step (one per client request; s3api's internal sub-requests, \`swift-s3: - - …\`, not counted); silo's own count = \`storage_requests\` of its backup summary"
    echo "- **Targets: throughput silo/restic ≥ 2 (= restic wall / silo wall), requests silo/restic ≤ 1** (✓ met, ✗ not met)"
    echo
    echo "| step | tool | wall s | CPU s | peak RSS MiB | MB/s | S3 requests | silo's own count | stunnel CPU s | throughput silo/restic (≥ 2) | requests silo/restic (≤ 1) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        function mbps(b, w) { return (b == "-" || w + 0 == 0) ? "–" : sprintf("%.1f", b / 1e6 / w) }
        {
            if (!($2 in seen)) { seen[$2] = 1; steps[++ns] = $2 }
            row[$1, $2] = $0
        }
        END {
            nt = split("silo restic", t, " ")
            for (i = 1; i <= ns; i++) {
                s = steps[i]; hs = ((("silo", s) in row) && (("restic", s) in row))
                if (hs) { split(row["silo", s], a, "\t"); split(row["restic", s], b, "\t") }
                for (j = 1; j <= nt; j++) {
                    if (!((t[j], s) in row)) continue
                    split(row[t[j], s], f, "\t")
                    note = (f[10] == "ok") ? "" : " (" f[10] ")"
                    tr = "–"; rr = "–"
                    if (t[j] == "silo" && hs && a[10] == "ok" && b[10] == "ok") {
                        if (a[3] + 0 > 0) { x = b[3] / a[3]; tr = sprintf("%.2f %s", x, (x >= 2 ? "✓" : "✗")) }
                        if (b[7] + 0 > 0) { y = a[7] / b[7]; rr = sprintf("%.2f %s", y, (y <= 1 ? "✓" : "✗")) }
                    }
                    printf "| %s%s | %s | %.2f | %.2f | %.0f | %s | %d | %s | %s | %s | %s |\n", f[2], note, f[1], \
                        f[3], f[4], f[5] / 1024, mbps(f[6], f[3]), f[7], (f[8] == "-" ? "–" : f[8]), f[9], tr, rr
                }
            }
        }' "$RESULTS"
    echo
    echo "Full restores verified identical with \`diff -r\`: ${VERIFIED[*]:-none}. One-file restore: \`${ONE_FILE#"$DATA"/}\` ($ONE_BYTES bytes), checked with \`cmp\`."
    echo
    echo "Requests by kind (LIST = ListObjects; status ≥ 400 in brackets):"
    echo
    while IFS=$'\t' read -r tool step _; do
        echo "- $tool, $step: $(request_kinds "$WORK/logs/$tool-${step// /-}.requests")"
    done <"$RESULTS"
    if [[ ${#REPO_SIZES[@]} -gt 0 ]]; then
        echo
        echo "Repository in the bucket: $(printf '%s; ' "${REPO_SIZES[@]}" | sed 's/; $//')."
    fi
    problems_section
} >"$report"

publish_report "$report" "$OUT"
log "results written to $OUT (whole run $((SECONDS - RUN_START)) s)"
[[ $KEEP_WORK -eq 0 ]] || log "scratch kept in $WORK; repositories kept under s3://$BUCKET/$RUN_ID-*"
[[ ${#PROBLEMS[@]} -eq 0 ]]
