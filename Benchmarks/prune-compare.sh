#!/usr/bin/env bash
# prune-compare.sh [--snapshots N] [--files-per-snapshot M] [--out FILE] [--work DIR] [--keep-work]
#
# Compares silo's prune with restic's (Debian's package) on equivalent repositories holding many
# tiny chunks, and writes a Markdown table of wall time, CPU time, peak RSS and repository size
# before/after each step, with ratios against restic, to stdout and to --out.
#
#   --snapshots N            snapshots per tool (default 500; --keep-last N/2 at forget)
#   --files-per-snapshot M   new 64-byte files of unique content per snapshot (default 200)
#   --out FILE               results file (default Benchmarks/PRUNE-latest.md)
#   --work DIR               scratch directory (default /tmp/silo-prune-bench; wiped at the start
#                            and removed at the end unless --keep-work)
#   --keep-work              keep the scratch directory (repositories, logs) at the end
# Environment: SILO_BIN (default <repo>/.build/release/silo); SILO_PASSWORD, RESTIC_PASSWORD
# (benchmark defaults are used when unset; passwords never go on a command line).
#
# Snapshot i (i = 1..N, time 2025-01-01T00:00:00Z + i hours, host "bench") backs up two paths:
# data/batch-i (M files of 64 seeded random bytes: one chunk/blob each, N*M in all) and data/common
# (a few small files, the same in every snapshot). Each tool backs up batch i right after it is
# made; the batch is then deleted. After N snapshots each tool forgets all but the N/2 newest
# (--keep-last N/2 --group-by ''), then prunes: silo twice with --grace-minutes 0 (the first run
# marks unneeded packs, the second deletes them), restic once with its defaults (--max-unused 5%).
# Afterwards `silo check --read-data` and `restic check` must pass.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SNAPSHOTS=500
FILES=200
OUT="$HERE/PRUNE-latest.md"
WORK=/tmp/silo-prune-bench
KEEP_WORK=0
SILO_BIN=${SILO_BIN:-$ROOT/.build/release/silo}
BENCH_HOST=bench
EPOCH="2025-01-01 00:00:00 UTC"

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --snapshots) SNAPSHOTS=${2:?--snapshots needs a value}; shift 2 ;;
        --files-per-snapshot) FILES=${2:?--files-per-snapshot needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --keep-work) KEEP_WORK=1; shift ;;
        -h | --help) usage ;;
        *) echo "prune-compare.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $SNAPSHOTS =~ ^[0-9]+$ && $SNAPSHOTS -ge 2 ]] || { echo "prune-compare.sh: --snapshots must be an integer >= 2" >&2; exit 64; }
[[ $FILES =~ ^[0-9]+$ && $FILES -ge 1 ]] || { echo "prune-compare.sh: --files-per-snapshot must be an integer >= 1" >&2; exit 64; }
KEEP=$((SNAPSHOTS / 2))
CHUNKS=$((SNAPSHOTS * FILES))

log() { printf '[prune-compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=prune-compare.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"

# --------------------------------------------------------------------------- prerequisites
[[ -x $SILO_BIN ]] || { echo "prune-compare.sh: $SILO_BIN missing (build it with: swift build -c release --product silo)" >&2; exit 1; }
missing_pkgs=()
[[ -x /usr/bin/time ]] || missing_pkgs+=(time)
command -v restic >/dev/null || missing_pkgs+=(restic)
command -v python3 >/dev/null || missing_pkgs+=(python3)
install_packages "${missing_pkgs[@]}"

# --------------------------------------------------------------------------- scratch layout
claim_scratch "$WORK" .silo-prune-bench-work
mkdir -p "$WORK"/{repo,cache,logs,data}
touch "$WORK/.silo-prune-bench-work"
WORK=$(cd "$WORK" && pwd)
DATA=$WORK/data
RESULTS=$WORK/results.tsv
: >"$RESULTS"
# Deleting many files keeps ext4 (with discard) busy for a while after rm returns; let it settle
# before the timed prune steps.
settle() { sync; sleep 5; }

export TZ=UTC   # restic's --time is local time; make it the same instant silo gets
export SILO_REPOSITORY=$WORK/repo/silo
export RESTIC_REPOSITORY=$WORK/repo/restic
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-silo-bench-password}
export SILO_CACHE_DIR=$WORK/cache/silo
export XDG_CACHE_HOME=$WORK/cache/xdg
export RESTIC_CACHE_DIR=$WORK/cache/restic

# --------------------------------------------------------------------------- tool commands
# Each cmd_<tool>_<step> sets CMD; the harness runs "${CMD[@]}" under /usr/bin/time.
#   backup: $1 = batch directory, $2 = snapshot number i (time = EPOCH + i hours)
iso_time()   { date -u -d "$EPOCH + $1 hours" '+%Y-%m-%dT%H:%M:%SZ'; }
plain_time() { date -u -d "$EPOCH + $1 hours" '+%Y-%m-%d %H:%M:%S'; }

cmd_silo_init()     { CMD=("$SILO_BIN" init --pack-size 4 -q); }
cmd_silo_backup()   { CMD=("$SILO_BIN" backup "$1" "$DATA/common" -q --host "$BENCH_HOST" --time "$(iso_time "$2")"); }
cmd_silo_forget()   { CMD=("$SILO_BIN" forget --keep-last "$KEEP" --group-by '' -q); }
cmd_silo_prune()    { CMD=("$SILO_BIN" prune --grace-minutes 0); }
cmd_silo_check()    { CMD=("$SILO_BIN" check --read-data -q); }
count_silo()        { "$SILO_BIN" snapshots --json | grep -c '"id"' || true; }
version_silo()      { "$SILO_BIN" --version 2>&1 | sed -n 1p; }

cmd_restic_init()   { CMD=(restic init); }
cmd_restic_backup() { CMD=(restic backup "$1" "$DATA/common" --quiet --time "$(plain_time "$2")" --host "$BENCH_HOST"); }
cmd_restic_forget() { CMD=(restic forget --keep-last "$KEEP" --group-by '' -q); }
cmd_restic_prune()  { CMD=(restic prune); }
cmd_restic_check()  { CMD=(restic check); }
count_restic()      { restic snapshots --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
version_restic()    { restic version | sed -n 1p; }

TOOLS=(silo restic)

# --------------------------------------------------------------------------- data
# batch-i: M files of 64 bytes from a generator seeded with i (unique content: one chunk each).
make_batch() {
    python3 - "$1" "$2" "$FILES" <<'PY'
import os, random, sys
d, i, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d)
rng = random.Random(f"silo-prune-bench batch {i}")
for k in range(m):
    with open(os.path.join(d, f"f{k:06d}.bin"), "wb") as f:
        f.write(rng.randbytes(64))
PY
}
make_common() {
    python3 - "$1" <<'PY'
import os, random, sys
d = sys.argv[1]
os.makedirs(d)
rng = random.Random("silo-prune-bench common")
for k in range(8):
    with open(os.path.join(d, f"common-{k}.txt"), "w") as f:
        f.write("".join(rng.choice("abcdefghijklmnopqrstuvwxyz \n") for _ in range(2048)))
PY
}

# --------------------------------------------------------------------------- measurement
repo_bytes() { du -sb "$WORK/repo/$1" 2>/dev/null | cut -f1; }

# timed TOOL SLUG: runs "${CMD[@]}" under /usr/bin/time; sets T_WALL T_CPU T_RSS(KiB) T_RC
timed() {
    local tool=$1 slug=$2 tf="$WORK/logs/time.out" u s
    T_RC=0
    /usr/bin/time -o "$tf" -f '%e %U %S %M' "${CMD[@]}" >"$WORK/logs/$tool-$slug.log" 2>&1 || T_RC=$?
    read -r T_WALL u s T_RSS < <(tail -n 1 "$tf")
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

# record TOOL STEP WALL CPU RSS_KIB REPO_BEFORE REPO_AFTER STATUS
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# run_step TOOL STEP SLUG KIND: one timed step, recorded with the repository size around it
run_step() {
    local tool=$1 step=$2 slug=$3 kind=$4 before after status=ok
    CMD=()
    "cmd_${tool}_${kind}"
    before=$(repo_bytes "$tool")
    sync
    timed "$tool" "$slug"
    after=$(repo_bytes "$tool")
    if [[ $T_RC -ne 0 ]]; then
        status="exit $T_RC"
        problem "$tool: '$step' exited with status $T_RC (log: $WORK/logs/$tool-$slug.log)"
        tail -n 20 "$WORK/logs/$tool-$slug.log" >&2
    fi
    record "$tool" "$step" "$T_WALL" "$T_CPU" "$T_RSS" "$before" "$after" "$status"
    log "$(printf '%-6s %-22s wall %7ss  cpu %7ss  rss %5d MiB  repo %s -> %s bytes' \
        "$tool" "$step" "$T_WALL" "$T_CPU" "$((T_RSS / 1024))" "$before" "$after")"
    return "$T_RC"
}

# --------------------------------------------------------------------------- run
log "N=$SNAPSHOTS snapshots x M=$FILES files = $CHUNKS unique chunks per tool; keep-last $KEEP; scratch $WORK"
make_common "$DATA/common"

declare -A INIT_REPO BK_WALL BK_CPU BK_RSS BK_FAIL
for tool in "${TOOLS[@]}"; do
    CMD=()
    "cmd_${tool}_init"
    if ! "${CMD[@]}" >"$WORK/logs/$tool-init.log" 2>&1; then
        cat "$WORK/logs/$tool-init.log" >&2
        echo "prune-compare.sh: $tool init failed" >&2
        exit 1
    fi
    INIT_REPO[$tool]=$(repo_bytes "$tool")
    BK_WALL[$tool]=0; BK_CPU[$tool]=0; BK_RSS[$tool]=0; BK_FAIL[$tool]=0
done

backup_start=$SECONDS
for ((i = 1; i <= SNAPSHOTS; i++)); do
    batch=$DATA/batch-$i
    make_batch "$batch" "$i"
    for tool in "${TOOLS[@]}"; do
        CMD=()
        "cmd_${tool}_backup" "$batch" "$i"
        timed "$tool" backup
        if [[ $T_RC -ne 0 ]]; then
            BK_FAIL[$tool]=$((BK_FAIL[$tool] + 1))
            problem "$tool: backup $i exited with status $T_RC"
            tail -n 20 "$WORK/logs/$tool-backup.log" >&2
            cp "$WORK/logs/$tool-backup.log" "$WORK/logs/$tool-backup-$i-failed.log"
        fi
        BK_WALL[$tool]=$(awk -v a="${BK_WALL[$tool]}" -v b="$T_WALL" 'BEGIN { printf "%.2f", a + b }')
        BK_CPU[$tool]=$(awk -v a="${BK_CPU[$tool]}" -v b="$T_CPU" 'BEGIN { printf "%.2f", a + b }')
        if ((T_RSS > BK_RSS[$tool])); then BK_RSS[$tool]=$T_RSS; fi
    done
    rm -rf "$batch"
    if ((i % 25 == 0 || i == SNAPSHOTS)); then
        log "$i/$SNAPSHOTS snapshots; backup wall so far: silo ${BK_WALL[silo]} s, restic ${BK_WALL[restic]} s ($((SECONDS - backup_start)) s elapsed)"
    fi
done
for tool in "${TOOLS[@]}"; do
    status=ok
    [[ ${BK_FAIL[$tool]} -eq 0 ]] || status="${BK_FAIL[$tool]} failed"
    record "$tool" "$SNAPSHOTS backups (sum)" "${BK_WALL[$tool]}" "${BK_CPU[$tool]}" "${BK_RSS[$tool]}" \
        "${INIT_REPO[$tool]}" "$(repo_bytes "$tool")" "$status"
done

for tool in "${TOOLS[@]}"; do
    run_step "$tool" "forget --keep-last $KEEP" forget forget || true
    n=$("count_$tool" 2>/dev/null || echo "?")
    if [[ $n != "$KEEP" ]]; then problem "$tool: $n snapshots left after forget, expected $KEEP"; fi
done

settle
run_step silo "prune run 1 (mark)" prune-1 prune || true
run_step silo "prune run 2 (delete)" prune-2 prune || true
# Sum of both silo runs: wall and CPU added, peak RSS the larger, repo from before run 1 to after run 2.
awk -F'\t' -v OFS='\t' '
    $1 == "silo" && $2 ~ /^prune run 1/ { w1 = $3; c1 = $4; r1 = $5; b = $6; s1 = $8 }
    $1 == "silo" && $2 ~ /^prune run 2/ { w2 = $3; c2 = $4; r2 = $5; a = $7; s2 = $8 }
    END { st = (s1 == "ok" && s2 == "ok") ? "ok" : "failed"
          print "silo", "prune total (runs 1+2)", sprintf("%.2f", w1 + w2), sprintf("%.2f", c1 + c2), (r1 > r2 ? r1 : r2), b, a, st }
' "$RESULTS" >>"$RESULTS"
settle
run_step restic "prune" prune prune || true

declare -A CHECK
for tool in "${TOOLS[@]}"; do
    label="check"
    [[ $tool == silo ]] && label="check --read-data"
    if run_step "$tool" "$label" check check; then CHECK[$tool]=pass; else CHECK[$tool]=FAIL; fi
done
for tool in "${TOOLS[@]}"; do
    n=$("count_$tool" 2>/dev/null || echo "?")
    if [[ $n != "$KEEP" ]]; then problem "$tool: $n snapshots left after prune, expected $KEEP"; fi
done

# What the prunes said they did (last lines of their output), for the report.
prune_summary() { grep -v '^[[:space:]]*$' "$WORK/logs/$1.log" 2>/dev/null | tail -n "${2:-4}" | sed 's/^/    /'; }

# --------------------------------------------------------------------------- report
silo_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then silo_rev="$silo_rev + uncommitted changes"; fi

report=$WORK/report.md
{
    echo "# Prune: silo vs restic"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(nproc) CPUs (nproc), $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'), kernel $(uname -r)"
    echo "- Versions: silo: $(version_silo) (source $silo_rev); restic: $(version_restic)"
    echo "- Parameters: N = $SNAPSHOTS snapshots, M = $FILES files per snapshot, $CHUNKS unique 64-byte chunks in all (+ a shared 8-file \`common/\` in every snapshot); forget \`--keep-last $KEEP --group-by ''\` (about half the chunks become unused)"
    echo "- Settings: silo \`init --pack-size 4\`, \`prune --grace-minutes 0\` run twice (run 1 marks, run 2 deletes; defaults --repack-threshold 0.8, --max-unused 5%); restic \`init\` and \`prune\` with defaults (--max-unused 5%)"
    echo "- Method: one new batch directory per snapshot, backed up by both tools and then deleted; wall/CPU/peak RSS from \`/usr/bin/time -f '%e %U %S %M'\`, CPU = user + sys; repo = \`du -sb\` of the repository before/after the step (caches excluded). The backups row sums the $SNAPSHOTS runs (RSS: the largest). Ratios are silo/restic for the same step; every silo prune row is compared with restic's single prune."
    echo
    echo "| tool | step | wall s | CPU s | peak RSS MiB | repo MiB before | repo MiB after | wall silo/restic | CPU silo/restic | RSS silo/restic | status |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    awk -F'\t' '
        function mib(b) { return (b == "" || b == "-") ? "–" : sprintf("%.2f", b / 1048576) }
        function ratio(x, base) { return (base == "" || base + 0 == 0) ? "–" : sprintf("%.2f", x / base) }
        function kind(s) { if (s ~ /backups/) return "backup"; if (s ~ /^forget/) return "forget"; if (s ~ /prune/) return "prune"; if (s ~ /^check/) return "check"; return s }
        { n++; line[n] = $0; if ($1 == "restic") { rw[kind($2)] = $3; rc[kind($2)] = $4; rr[kind($2)] = $5 } }
        END {
            for (i = 1; i <= n; i++) {
                split(line[i], f, "\t"); k = kind(f[2])
                if (f[1] == "silo") { a = ratio(f[3], rw[k]); b = ratio(f[4], rc[k]); c = ratio(f[5], rr[k]) } else { a = b = c = "" }
                if (f[2] ~ /total/) { f[2] = "**" f[2] "**"; if (a != "") { a = "**" a "**"; b = "**" b "**"; c = "**" c "**" } }
                printf "| %s | %s | %.2f | %.2f | %.1f | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5] / 1024, mib(f[6]), mib(f[7]), a, b, c, f[8]
            }
        }' <(grep -P '^silo\t' "$RESULTS"; grep -P '^restic\t' "$RESULTS")
    echo
    echo "- Checks after prune: silo \`check --read-data\`: ${CHECK[silo]:-not run}; restic \`check\` (structure only, no --read-data): ${CHECK[restic]:-not run}"
    echo "- Repository after prune vs before forget: silo $(awk -F'\t' '$1 == "silo" && $2 ~ /total/ { printf "%.2f → %.2f MiB", $6 / 1048576, $7 / 1048576 }' "$RESULTS"), restic $(awk -F'\t' '$1 == "restic" && $2 == "prune" { printf "%.2f → %.2f MiB", $6 / 1048576, $7 / 1048576 }' "$RESULTS")"
    echo "- Last lines of output: silo prune run 1:"
    prune_summary silo-prune-1
    echo "  silo prune run 2:"
    prune_summary silo-prune-2
    echo "  restic prune:"
    prune_summary restic-prune 6
    problems_section
} >"$report"

publish_report "$report" "$OUT"
log "results written to $OUT"
if [[ $KEEP_WORK -eq 0 ]]; then rm -rf "$WORK"; else log "scratch kept in $WORK"; fi
[[ ${#PROBLEMS[@]} -eq 0 ]]
