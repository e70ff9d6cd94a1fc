#!/usr/bin/env bash
# How long `silo config validate` takes on the example configuration (fixtures/platform/silo.yaml):
# the whole process, start to exit, as a cron job or a unit's ExecStartPre pays it. Issue 16's
# target is at most 50 ms. One row: median and fastest of RUNS runs (default 30).
# SILO=path/to/silo uses that binary instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
if [ -z "${SILO:-}" ]; then
    swift build -c release --product silo >/dev/null
    SILO=.build/release/silo
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Git keeps no 0600 mode; validation requires it of the password file.
cp -a fixtures/platform "$scratch/platform"
chmod 600 "$scratch/platform/silo.yaml" "$scratch/platform/repository.password"
export DB_PASSWORD=benchmark
"$SILO" --config "$scratch/platform/silo.yaml" config validate >/dev/null
python3 - "$SILO" "$scratch/platform/silo.yaml" "$runs" <<'PY'
import statistics, subprocess, sys, time
silo, config, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run([silo, "--config", config, "config", "validate"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - start) * 1000)
median = statistics.median(times)
print("| command | runs | median | fastest | target |")
print("|---|---:|---:|---:|---:|")
print(f"| silo config validate (fixtures/platform/silo.yaml) | {runs} | {median:.1f} ms | {min(times):.1f} ms | ≤ 50 ms {'(met)' if median <= 50 else '(missed)'} |")
PY
