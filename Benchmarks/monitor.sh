#!/usr/bin/env bash
# What `silo monitor` costs on a large repository: issue 17's target is at most 0.3 s for 1,000
# snapshots of 20 sources, reading no pack data.
#
# monitor.sh [--snapshots N] [--sources K] [--runs R] [--out FILE] [--work DIR]
#
# A fresh local repository; a configuration of K path sources (a small folder each, cadence 4h);
# N snapshots spread over them, 4 hours apart (`silo backup --time`), never forgotten, so every
# one is read; a run history of N runs with a backup step each (written straight into
# history.sqlite, after one real `silo run` made it), and a structure and read-data check a day.
# Then R timed `silo monitor` runs per form (table, prometheus, nagios), whole processes, start
# to exit: the table gives the median and the fastest. `strace -e openat` of one more run counts
# the pack files opened (the target: none). SILO=path uses that binary instead of building the
# release one.
set -euo pipefail
SCRIPT=monitor.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
snapshots=1000 sources=20 runs=10 out="$HERE/MONITOR-latest.md" work=/tmp/silo-bench-monitor
while [[ $# -gt 0 ]]; do
    case $1 in
        --snapshots) snapshots=$2; shift 2 ;;
        --sources) sources=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) echo "usage: $0 [--snapshots N] [--sources K] [--runs R] [--out FILE] [--work DIR]" >&2; exit 64 ;;
    esac
done
log() { printf '[%s %s] %s\n' "$SCRIPT" "$(date +%H:%M:%S)" "$*" >&2; }
# shellcheck source=lib/harness.sh
source "$HERE/lib/harness.sh"
command -v strace >/dev/null || install_packages strace
cd "$HERE/.."
if [ -z "${SILO:-}" ]; then
    swift build -c release --product silo >/dev/null
    SILO=$PWD/.build/release/silo
fi
claim_scratch "$work" .silo-bench-monitor
mkdir -p "$work"
touch "$work/.silo-bench-monitor"
export SILO_PASSWORD=benchmark SILO_STATE_DIR="$work/state" SILO_CACHE_DIR="$work/cache" SILO_TEST_SCRYPT_N=16384 TZ=UTC
unset SILO_REPOSITORY SILO_CONFIG
{
    echo "repository:"
    echo "  location: $work/repo"
    echo "sources:"
    for ((k = 1; k <= sources; k++)); do
        mkdir -p "$work/data/s$k"
        head -c 20000 /dev/urandom > "$work/data/s$k/file.bin"
        echo "  s$k:"
        echo "    paths: [$work/data/s$k]"
        echo "    cadence: 4h"
    done
} > "$work/silo.yaml"
chmod 600 "$work/silo.yaml"
"$SILO" init -q -r "$work/repo"
log "one real run (makes the history), then $snapshots snapshots"
SILO_TEST_CLOCK=2026-01-01T00:00:00Z "$SILO" run -q --config "$work/silo.yaml"
python3 - "$SILO" "$work" "$snapshots" "$sources" <<'PY'
import datetime, subprocess, sys
silo, work, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
start = datetime.datetime(2026, 1, 1, 4, tzinfo=datetime.timezone.utc)
for i in range(n):
    source = i % k + 1
    when = (start + datetime.timedelta(hours=4 * (i // k), minutes=source)).strftime("%Y-%m-%dT%H:%M:%SZ")
    subprocess.run([silo, "backup", "-q", "-r", f"{work}/repo", "--time", when, "--tag", f"source:s{source}", f"{work}/data/s{source}"], check=True)
PY
log "history: $snapshots runs"
python3 - "$work/state/history.sqlite" "$work/silo.yaml" "$snapshots" "$sources" <<'PY'
import sqlite3, sys, json
path, config, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(path)
key = db.execute("SELECT configuration FROM runs LIMIT 1").fetchone()[0]
base = 1767225600000 + 4 * 3600 * 1000  # 2026-01-01T04:00Z
for i in range(n):
    started = base + (i // k) * 4 * 3600 * 1000 + (i % k) * 60_000
    cur = db.execute("INSERT INTO runs(configuration, trigger, host, pid, started, ended, updated, status, exit_code) VALUES (?,?,?,?,?,?,?,?,?)",
                     (key, "schedule", "bench", 1, started, started + 5000, started + 5000, "succeeded", 0))
    run = cur.lastrowid
    db.execute("INSERT INTO steps(run, kind, name, started, ended, status, bytes_added, bytes_added_stored, details) VALUES (?,?,?,?,?,?,?,?,?)",
               (run, "backup", f"s{i % k + 1}", started, started + 4000, "succeeded", 20000, 20100, json.dumps({"files_new": 0})))
    if i % (6 * k) == 0:
        group = (i // (6 * k)) % 30 + 1
        db.execute("INSERT INTO steps(run, kind, name, started, ended, status, details) VALUES (?,?,?,?,?,?,?)",
                   (run, "check", "read-data", started + 4000, started + 5000, "succeeded", json.dumps({"group": f"{group}/30", "errors": 0})))
db.commit()
PY
last=$(python3 -c "import datetime; print((datetime.datetime(2026,1,1,4,tzinfo=datetime.timezone.utc)+datetime.timedelta(hours=4*(($snapshots-1)//$sources), minutes=$sources+30)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
export SILO_TEST_CLOCK=$last
count=$("$SILO" snapshots -q -r "$work/repo" --json | grep -c '"message_type":"snapshot"' || true)
log "$count snapshots in the repository; the monitor's clock: $last"
opened=$(strace -f -e trace=openat -o "$work/strace.out" "$SILO" monitor -q --config "$work/silo.yaml" >/dev/null 2>&1; grep -c '/packs/' "$work/strace.out" || true)
report=$(mktemp)
python3 - "$SILO" "$work" "$runs" "$count" "$sources" "$opened" > "$report" <<'PY'
import statistics, subprocess, sys, time
silo, work, runs, count, sources, opened = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
def timed(args):
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
rows = []
for form in ["table", "prometheus", "nagios"]:
    times = [timed([silo, "monitor", "--config", f"{work}/silo.yaml", "--format", form]) for _ in range(runs)]
    rows.append((form, statistics.median(times), min(times)))
print(f"Repository: {count} snapshots of {sources} sources, a run history of as many runs; {runs} runs per form; pack files opened by one run: {opened}.")
print()
print("| silo monitor | median | fastest | target |")
print("|---|---:|---:|---:|")
for form, median, fastest in rows:
    print(f"| --format {form} | {median:.3f} s | {fastest:.3f} s | ≤ 0.3 s {'(met)' if median <= 0.3 else '(missed)'} |")
print(f"| pack files opened | {opened} | | 0 {'(met)' if opened == '0' else '(missed)'} |")
PY
publish_report "$report" "$out"
rm -f "$report"
