#!/usr/bin/env bash
# What `silo serve` costs (issue 19's figures): a directory of 30,000 entries rendered in at most
# 300 ms; the first byte of a 1 GiB file in at most 100 ms; a streamed download at 200 MB/s or
# more on loopback with flat memory (the server's RSS grows by at most 50 MiB); 50 concurrent
# clients (wrk, from Debian) with no errors.
#
# web.sh [--entries N] [--file-mib M] [--runs R] [--out FILE] [--work DIR]
#
# A fresh local repository holding one snapshot of a directory of N small files and one file of
# M MiB (half random, half compressible); `silo serve` (release build, or SILO=path) on a free
# loopback port; curl's own timers (time_total, time_starttransfer, speed_download) over R runs,
# the median reported; the server's RSS read from /proc before and at the end of each download
# (its peak, VmHWM, too); wrk for 10 s with 50 connections on the listing page and on a small
# file, its error counts reported.
set -euo pipefail
SCRIPT=web.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
entries=30000 file_mib=1024 runs=7 out="$HERE/WEB-latest.md" work=/tmp/silo-bench-web
while [[ $# -gt 0 ]]; do
    case $1 in
        --entries) entries=$2; shift 2 ;;
        --file-mib) file_mib=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) echo "usage: $0 [--entries N] [--file-mib M] [--runs R] [--out FILE] [--work DIR]" >&2; exit 64 ;;
    esac
done
log() { printf '[%s %s] %s\n' "$SCRIPT" "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "$SCRIPT: $*" >&2; exit 1; }
# shellcheck source=lib/harness.sh
source "$HERE/lib/harness.sh"
command -v wrk >/dev/null || install_packages wrk
command -v curl >/dev/null || install_packages curl
cd "$HERE/.."
if [ -z "${SILO:-}" ]; then
    swift build -c release --product silo >/dev/null
    SILO=$PWD/.build/release/silo
fi
claim_scratch "$work" .silo-bench-web
mkdir -p "$work"
touch "$work/.silo-bench-web"
export SILO_REPOSITORY=$work/repo SILO_PASSWORD=bench-password SILO_CACHE_DIR=$work/cache SILO_STATE_DIR=$work/state

log "making $entries files and a $file_mib MiB file"
mkdir -p "$work/data/many" "$work/data/big"
python3 - "$work/data/many" "$entries" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    with open(os.path.join(root, "file-%06d.txt" % i), "w") as f:
        f.write("entry %d\n" % i)
PY
half=$((file_mib / 2))
head -c $((half * 1048576)) /dev/urandom >"$work/data/big/large.bin"
python3 -c "import sys; sys.stdout.buffer.write((b'compressible line of text, repeated over and over ' * 21) [:1024] * ($file_mib - $half) * 1024)" >>"$work/data/big/large.bin"
"$SILO" init -q
"$SILO" backup -q "$work/data"
id=$("$SILO" snapshots --json --latest 1 | python3 -c "import sys, json; print([json.loads(l)['id'] for l in sys.stdin if json.loads(l).get('message_type') == 'snapshot'][-1])")

port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$SILO" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
base="http://127.0.0.1:$port"
listing="$base/s/$id$work/data/many/"
large="$base/raw/$id$work/data/big/large.bin"
small="$base/raw/$id$work/data/many/file-000001.txt"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server/status"; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

log "listing of $entries entries, $runs runs"
# The first request, cold: the tree decoded, the page rendered; then the same page again (kept).
cold_ms=$(curl -s -o /dev/null -w '%{time_total}\n' "$listing" | awk '{printf "%.0f", $1 * 1000}')
sorted_ms=$(curl -s -o /dev/null -w '%{time_total}\n' "$listing?sort=size&desc=1" | awk '{printf "%.0f", $1 * 1000}')
rows=$(curl -s "$listing" | grep -o '<tr><td><a href=' | wc -l)
list_ms=$(for _ in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' "$listing"; done | median | awk '{printf "%.0f", $1 * 1000}')

log "first byte and download of $file_mib MiB, $runs runs"
rss_before=$(rss)
first_ms=$(for _ in $(seq "$runs"); do curl -s -o /dev/null -r 0-0 -w '%{time_starttransfer}\n' "$large"; done | median | awk '{printf "%.1f", $1 * 1000}')
first_whole_ms=$(for _ in $(seq "$runs"); do curl -s -o /dev/null --max-filesize 1 -w '%{time_starttransfer}\n' "$large" || true; done | median | awk '{printf "%.1f", $1 * 1000}')
speeds=()
rss_after=0
for _ in $(seq 3); do
    speeds+=("$(curl -s -o /dev/null -w '%{speed_download}' "$large")")
    now=$(rss)
    [ "$now" -gt "$rss_after" ] && rss_after=$now
done
speed=$(printf '%s\n' "${speeds[@]}" | median | awk '{printf "%.0f", $1 / 1e6}')
growth=$(( (rss_after - rss_before) / 1024 ))
peak=$(( $(hwm) / 1024 ))
check=$(curl -s "$large" | cmp - "$work/data/big/large.bin" && echo identical || echo DIFFERENT)

log "wrk: 50 connections, 10 s each"
wrk_list=$(wrk -t 2 -c 50 -d 10s "$listing" 2>&1)
wrk_file=$(wrk -t 2 -c 50 -d 10s "$small" 2>&1)
errors() { echo "$1" | awk '/Socket errors/ {gsub(",", ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {n = $NF} END {print (s + 0) + (n + 0)}'; }
rate() { echo "$1" | awk '/Requests\/sec/ {print int($2)}'; }

verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = (dir == "le") ? (v <= t) : (v >= t); print ok ? "met" : "NOT met" }'; }
report=$work/report.md
{
    echo "Release build; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); $runs runs, median."
    echo
    echo "| measure | value | target |"
    echo "|---|---:|---:|"
    echo "| listing of a $entries-entry directory, first request (tree decoded, $rows rows rendered) | $cold_ms ms | ≤ 300 ms ($(verdict "$cold_ms" 300 le)) |"
    echo "| the same directory sorted by size, first request (tree cached) | $sorted_ms ms | ≤ 300 ms ($(verdict "$sorted_ms" 300 le)) |"
    echo "| the same listing again (median of $runs; the page kept) | $list_ms ms | ≤ 300 ms ($(verdict "$list_ms" 300 le)) |"
    echo "| first byte of the $file_mib MiB file (a 1-byte range) | $first_ms ms | ≤ 100 ms ($(verdict "$first_ms" 100 le)) |"
    echo "| first byte of the $file_mib MiB file (whole download) | $first_whole_ms ms | ≤ 100 ms ($(verdict "$first_whole_ms" 100 le)) |"
    echo "| streamed download ($check) | $speed MB/s | ≥ 200 MB/s ($(verdict "$speed" 200 ge)) |"
    echo "| server RSS growth over 3 downloads (peak RSS) | $growth MiB ($peak MiB) | ≤ 50 MiB ($(verdict "$growth" 50 le)) |"
    echo "| wrk -c 50 on the listing: requests/s, errors | $(rate "$wrk_list")/s, $(errors "$wrk_list") | 0 errors ($(verdict "$(errors "$wrk_list")" 0 le)) |"
    echo "| wrk -c 50 on a small file: requests/s, errors | $(rate "$wrk_file")/s, $(errors "$wrk_file") | 0 errors ($(verdict "$(errors "$wrk_file")" 0 le)) |"
    problems_section
} >"$report"
publish_report "$report" "$out"
rm -rf "$work"
