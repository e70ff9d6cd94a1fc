#!/usr/bin/env bash
# What `silo run` costs beyond the backup it does: issue 16's target is that a run with nothing
# changed costs at most 1.2x a plain `silo backup` of the same sources.
#
# run-overhead.sh [--scale S] [--runs N] [--out FILE] [--work DIR]
#
# One generated data set (generate-dataset.sh DIR S, default S=0.25), two fresh local
# repositories. In one, `silo backup DIR` once, then N times with nothing changed. In the other, a
# configuration with one source holding DIR (cadence 4h; prune and checks monthly, so that, as in
# production between two prunes, only the backup is due), `silo run` once, then N times with the
# test clock (SILO_TEST_CLOCK) 4 hours further each time: each run takes the lock, opens the
# history, plans, backs up, applies the retention, saves the configuration and history into the
# repository, and records every step. Wall seconds are whole processes, start to exit; the table
# gives the median and the fastest of the N, and the ratio of the medians. SILO=path uses that
# binary instead of building the release one.
set -euo pipefail
SCRIPT=run-overhead.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scale=0.25 runs=10 out="$HERE/RUN-latest.md" work=/tmp/silo-bench-run
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) scale=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) echo "usage: $0 [--scale S] [--runs N] [--out FILE] [--work DIR]" >&2; exit 64 ;;
    esac
done
log() { printf '[%s %s] %s\n' "$SCRIPT" "$(date +%H:%M:%S)" "$*" >&2; }
# shellcheck source=lib/harness.sh
source "$HERE/lib/harness.sh"
cd "$HERE/.."
if [ -z "${SILO:-}" ]; then
    swift build -c release --product silo >/dev/null
    SILO=$PWD/.build/release/silo
fi
claim_scratch "$work" .silo-bench-run
mkdir -p "$work"
touch "$work/.silo-bench-run"
log "data set at scale $scale"
"$HERE/generate-dataset.sh" "$work/data" "$scale" >/dev/null
export SILO_PASSWORD=benchmark SILO_STATE_DIR="$work/state" SILO_CACHE_DIR="$work/cache" SILO_TEST_SCRYPT_N=16384 TZ=UTC
unset SILO_REPOSITORY SILO_CONFIG
cat > "$work/silo.yaml" <<YAML
repository:
  location: $work/run-repo
sources:
  data:
    paths: [$work/data]
    cadence: 4h
retention:
  keep_daily: 7
  keep_weekly: 4
  keep_monthly: 12
  prune: monthly
checks:
  structure: monthly
  read_data: { cadence: monthly, share: 100% }
YAML
chmod 600 "$work/silo.yaml"
"$SILO" init -q -r "$work/backup-repo"
"$SILO" init -q -r "$work/run-repo"
log "first backup and first run (not measured)"
"$SILO" backup -q -r "$work/backup-repo" "$work/data"
SILO_TEST_CLOCK=2026-01-01T00:00:00Z "$SILO" run -q --config "$work/silo.yaml"
report=$(mktemp)
python3 - "$SILO" "$work" "$runs" "$scale" > "$report" <<'PY'
import datetime, statistics, subprocess, sys, time
silo, work, runs, scale = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def timed(args, env_extra=None):
    import os
    env = dict(os.environ, **(env_extra or {}))
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start
backup, run = [], []
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(1, runs + 1):
    # Interleaved, so that both see the same state of the machine.
    backup.append(timed([silo, "backup", "-q", "-r", f"{work}/backup-repo", f"{work}/data"]))
    clock = (start + datetime.timedelta(hours=4 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run.append(timed([silo, "run", "-q", "--config", f"{work}/silo.yaml"], {"SILO_TEST_CLOCK": clock}))
files = int(subprocess.run(["find", f"{work}/data", "-type", "f"], capture_output=True, text=True).stdout.count("\n"))
mb = int(subprocess.run(["du", "-sm", f"{work}/data"], capture_output=True, text=True).stdout.split()[0])
ratio = statistics.median(run) / statistics.median(backup)
print(f"Data set: scale {scale}, {mb} MB in {files} files; {runs} runs of each, nothing changed, interleaved.")
print()
print("| command | median | fastest | ratio to backup (medians) | target |")
print("|---|---:|---:|---:|---:|")
print(f"| silo backup DIR | {statistics.median(backup):.3f} s | {min(backup):.3f} s | 1.00 | |")
print(f"| silo run (one source: DIR) | {statistics.median(run):.3f} s | {min(run):.3f} s | {ratio:.2f} | ≤ 1.2 {'(met)' if ratio <= 1.2 else '(missed)'} |")
PY
publish_report "$report" "$out"
rm -f "$report"
