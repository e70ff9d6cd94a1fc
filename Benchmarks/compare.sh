#!/usr/bin/env bash
# compare.sh [--scale S] [--out FILE] [--work DIR] [--tools "silo restic borg"] [--no-build] [--clean]
#
# Backs up, changes, backs up again and restores the same generated data set with silo, restic
# and borg (Debian's packages), and writes a Markdown table of wall time, CPU time, peak RSS and
# repository size, with ratios against restic, to stdout and to --out.
#
#   --scale S     data set scale for generate-dataset.sh (default 1: ~0.85 GB, ~30k files)
#   --out FILE    results file (default Benchmarks/RESULTS-latest.md)
#   --work DIR    scratch directory (default /tmp/silo-bench; wiped at the start)
#   --tools LIST  tools to run, in this order (default "silo restic borg")
#   --no-build    do not build silo when .build/release/silo is missing (silo is then skipped)
#   --clean       remove the scratch directory at the end
# Environment: SILO_BIN (default <repo>/.build/release/silo); SILO_PASSWORD, RESTIC_PASSWORD,
# BORG_PASSPHRASE (benchmark defaults are used when unset; passwords never go on a command line).
#
# Steps per tool: initial backup, backup with nothing changed, backup after mutate-dataset.sh,
# full restore into an empty directory (verified with diff -r), restore of one small file
# (verified with cmp). The data set is read once beforehand so every tool works on warm data
# (caches cannot be dropped here), and every tool does a step before the data changes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE=1
OUT="$HERE/RESULTS-latest.md"
WORK=/tmp/silo-bench
TOOLS="silo restic borg"
BUILD=1
CLEAN=0
SILO_BIN=${SILO_BIN:-$ROOT/.build/release/silo}
BENCH_HOST=silo-bench-host

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --tools) TOOLS=${2:?--tools needs a value}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --clean) CLEAN=1; shift ;;
        -h | --help) usage ;;
        *) echo "compare.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
read -r -a TOOL_LIST <<<"$TOOLS"
for t in "${TOOL_LIST[@]}"; do
    case $t in silo | restic | borg) ;; *) echo "compare.sh: unknown tool '$t'" >&2; exit 64 ;; esac
done

log() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=compare.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"

# --------------------------------------------------------------------------- scratch layout
if [[ -e $WORK && -n $(ls -A "$WORK" 2>/dev/null) && ! -f $WORK/.silo-bench-work ]]; then
    echo "compare.sh: $WORK exists and was not made by this script; refusing to wipe it (use --work)" >&2
    exit 1
fi
rm -rf "$WORK"
# Deleting tens of thousands of files keeps ext4 (with discard) busy for many seconds after
# rm returns; a file-creating step run meanwhile was measured 3-5x slower. Let it settle.
settle() { sync; sleep 5; }
settle
mkdir -p "$WORK"/{repo,restore,cache,logs}
touch "$WORK/.silo-bench-work"
WORK=$(cd "$WORK" && pwd)
DATA=$WORK/data
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# Repositories, passwords and caches go through the environment, never argv; every cache lives
# in the scratch directory so runs do not share state with each other or with the user's.
export SILO_REPOSITORY=$WORK/repo/silo
export RESTIC_REPOSITORY=$WORK/repo/restic
export BORG_REPO=$WORK/repo/borg
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-silo-bench-password}
export BORG_PASSPHRASE=${BORG_PASSPHRASE:-silo-bench-password}
export XDG_CACHE_HOME=$WORK/cache/xdg          # silo keeps its catalog in $XDG_CACHE_HOME/silo
export RESTIC_CACHE_DIR=$WORK/cache/restic
export BORG_BASE_DIR=$WORK/cache/borg
export BORG_CACHE_DIR=$WORK/cache/borg/cache
export BORG_CONFIG_DIR=$WORK/cache/borg/config
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# --------------------------------------------------------------------------- tool commands
# Each cmd_<tool>_<step> sets CMD (and CMD_CWD when the tool restores into its working directory);
# the harness runs "${CMD[@]}" under /usr/bin/time. Adjust the silo lines here when its CLI moves.
#   backup:       $1 = snapshot label (initial | unchanged | mutated)
#   restore_all:  $1 = empty target directory
#   restore_file: $1 = empty target directory, $2 = absolute path of the file as backed up

cmd_silo_init()         { CMD=("$SILO_BIN" init --quiet); }
cmd_silo_backup()       { CMD=("$SILO_BIN" backup --quiet --host "$BENCH_HOST" --tag "$1" "$DATA"); }
cmd_silo_restore_all()  { CMD=("$SILO_BIN" restore latest --quiet --target "$1"); }
cmd_silo_restore_file() { CMD=("$SILO_BIN" restore latest --quiet --target "$1" --include "$2"); }
version_silo()          { "$SILO_BIN" --version 2>&1 | sed -n 1p; }

cmd_restic_init()         { CMD=(restic init --quiet --repository-version 2); }
cmd_restic_backup()       { CMD=(restic backup --quiet --compression auto --host "$BENCH_HOST" --tag "$1" "$DATA"); }
cmd_restic_restore_all()  { CMD=(restic restore latest --quiet --target "$1"); }
cmd_restic_restore_file() { CMD=(restic restore latest --quiet --target "$1" --include "$2"); }
version_restic()          { restic version | sed -n 1p; }

BORG_LATEST=""
cmd_borg_init()         { CMD=(borg init --encryption repokey); }
cmd_borg_backup()       { CMD=(borg create --compression "zstd,3" "::$1" "$DATA"); BORG_LATEST=$1; }
cmd_borg_restore_all()  { CMD=(borg extract "::$BORG_LATEST"); CMD_CWD=$1; }
cmd_borg_restore_file() { CMD=(borg extract "::$BORG_LATEST" "${2#/}"); CMD_CWD=$1; }  # borg stores paths without the leading /
version_borg()          { borg --version | sed -n 1p; }

# --------------------------------------------------------------------------- prerequisites
APT_UPDATED=0
apt_install() {
    [[ $(id -u) -eq 0 ]] || { echo "compare.sh: missing packages ($*); run as root or install them" >&2; exit 1; }
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
wanted() { [[ " ${TOOL_LIST[*]} " == *" $1 "* ]]; }
missing_pkgs=()
[[ -x /usr/bin/time ]] || missing_pkgs+=(time)
if wanted restic && ! command -v restic >/dev/null; then missing_pkgs+=(restic); fi
if wanted borg && ! command -v borg >/dev/null; then missing_pkgs+=(borgbackup); fi
if [[ ${#missing_pkgs[@]} -gt 0 ]]; then apt_install "${missing_pkgs[@]}"; fi

if wanted silo && [[ ! -x $SILO_BIN ]]; then
    if [[ $BUILD -eq 1 ]] && command -v swift >/dev/null; then
        log "building silo (swift build -c release --product silo)"
        if ! (cd "$ROOT" && swift build -c release --product silo) >"$WORK/logs/silo-build.log" 2>&1; then
            tail -n 30 "$WORK/logs/silo-build.log" >&2
            log "silo did not build (log: $WORK/logs/silo-build.log)"
        fi
    fi
    if [[ ! -x $SILO_BIN ]]; then
        log "SKIPPING silo: $SILO_BIN does not exist (build it with: swift build -c release --product silo)"
        SKIPPED_SILO="skipped: $SILO_BIN missing"
        kept=()
        for t in "${TOOL_LIST[@]}"; do [[ $t == silo ]] || kept+=("$t"); done
        TOOL_LIST=("${kept[@]}")
    fi
fi
[[ ${#TOOL_LIST[@]} -gt 0 ]] || { echo "compare.sh: no tool left to run" >&2; exit 1; }

# --------------------------------------------------------------------------- measurement
repo_bytes() { du -sb "$WORK/repo/$1" 2>/dev/null | cut -f1; }

declare -A LAST_REPO
# run_step TOOL STEP-LABEL KIND [ARGS...]: KIND is backup|restore_all|restore_file (cmd_<tool>_<KIND>)
run_step() {
    local tool=$1 step=$2 kind=$3
    shift 3
    CMD=()
    CMD_CWD=$WORK
    "cmd_${tool}_${kind}" "$@"
    local slug=${step// /-} tf="$WORK/logs/time.out" rc=0
    local logf="$WORK/logs/$tool-$slug.log"
    sync
    (cd "$CMD_CWD" && exec /usr/bin/time -o "$tf" -f '%e %U %S %M' "${CMD[@]}") >"$logf" 2>&1 || rc=$?
    local wall user sys rss
    read -r wall user sys rss < <(tail -n 1 "$tf")
    local cpu repo="-" delta="-" status=ok
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    if [[ $kind == backup ]]; then
        repo=$(repo_bytes "$tool")
        delta=$((repo - ${LAST_REPO[$tool]:-0}))
        LAST_REPO[$tool]=$repo
    fi
    if [[ $rc -ne 0 ]]; then
        status="exit $rc"
        problem "$tool: '$step' exited with status $rc (log: $logf)"
        tail -n 20 "$logf" >&2
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$step" "$wall" "$cpu" "$rss" "$repo" "$delta" "$status" >>"$RESULTS"
    log "$(printf '%-6s %-20s wall %7ss  cpu %7ss  rss %6d MiB%s' "$tool" "$step" "$wall" "$cpu" "$((rss / 1024))" \
        "$([[ $repo == - ]] || echo "  repo $((repo / 1048576)) MiB")")"
    return "$rc"
}

# The directory inside a restore target that should equal $DATA (restic and borg recreate the
# absolute path; a tool that restores the tree itself into the target is accepted too).
restored_root() {
    local t=$1 c
    for c in "$t$DATA" "$t/$(basename "$DATA")"; do
        if [[ -d $c ]]; then echo "$c"; return; fi
    done
    echo "$t"
}

verify_full() {
    local tool=$1 target=$2 root
    root=$(restored_root "$target")
    if diff -r "$DATA" "$root" >"$WORK/logs/$tool-restore-diff.txt" 2>&1; then
        log "$tool: full restore verified (diff -r: identical)"
        VERIFIED+=("$tool")
    else
        sed -i '$ s/\tok$/\tRESTORE MISMATCH/' "$RESULTS"
        problem "$tool: FULL RESTORE DIFFERS FROM THE DATA ($(wc -l <"$WORK/logs/$tool-restore-diff.txt") lines of diff -r in $WORK/logs/$tool-restore-diff.txt)"
        head -n 10 "$WORK/logs/$tool-restore-diff.txt" >&2
    fi
}

verify_one() {
    local tool=$1 target=$2 file=$3 found n
    n=$(find "$target" -type f | wc -l)
    found=$(find "$target" -type f -name "$(basename "$file")" -print -quit)
    if [[ -z $found ]] || ! cmp -s "$file" "$found" || [[ $n -ne 1 ]]; then
        sed -i '$ s/\tok$/\tRESTORE MISMATCH/' "$RESULTS"
    fi
    if [[ -z $found ]]; then
        problem "$tool: single-file restore produced no $(basename "$file")"
    elif ! cmp -s "$file" "$found"; then
        problem "$tool: SINGLE-FILE RESTORE DIFFERS: $found vs $file"
    elif [[ $n -ne 1 ]]; then
        problem "$tool: single-file restore wrote $n files instead of 1"
    else
        log "$tool: single-file restore verified (cmp)"
    fi
}

# --------------------------------------------------------------------------- run
VERIFIED=()
log "tools: ${TOOL_LIST[*]}; scale $SCALE; scratch $WORK"
gen_start=$SECONDS
"$HERE/generate-dataset.sh" "$DATA" "$SCALE"
GEN_SECONDS=$((SECONDS - gen_start))
DATA_BYTES=$(du -sb "$DATA" | cut -f1)
DATA_FILES=$(find "$DATA" -type f | wc -l)
part_mib() { du -sb "$DATA/$1" | awk '{ printf "%.0f", $1 / 1048576 }'; }
DATA_PARTS="dump $(part_mib db) MiB, media $(part_mib media) MiB, app $(part_mib app) MiB in $(find "$DATA/app" -type f | wc -l) files, logs $(part_mib logs) MiB"
ONE_FILE=$(find "$DATA/app" -type f -name '*.ts' | LC_ALL=C sort | sed -n 1p)

log "warming the page cache (reading the data set once)"
find "$DATA" -type f -print0 | xargs -0 cat >/dev/null

for tool in "${TOOL_LIST[@]}"; do
    CMD=()
    CMD_CWD=$WORK
    "cmd_${tool}_init"
    if ! (cd "$CMD_CWD" && "${CMD[@]}") >"$WORK/logs/$tool-init.log" 2>&1; then
        cat "$WORK/logs/$tool-init.log" >&2
        problem "$tool: init failed; skipping it"
        continue
    fi
    LAST_REPO[$tool]=$(repo_bytes "$tool")
    run_step "$tool" "initial backup" backup initial || true
    run_step "$tool" "no-change backup" backup unchanged || true
done

log "mutating the data set"
"$HERE/mutate-dataset.sh" "$DATA"

for tool in "${TOOL_LIST[@]}"; do
    [[ -n ${LAST_REPO[$tool]:-} ]] || continue
    run_step "$tool" "backup after mutate" backup mutated || true

    target=$WORK/restore/$tool-all
    mkdir -p "$target"
    settle
    if run_step "$tool" "full restore" restore_all "$target"; then verify_full "$tool" "$target"; fi
    # Kept until the scratch directory goes: on this machine's ext4, files deleted minutes
    # before slow the next tool's file creation (the inode allocator skips recently deleted
    # inodes), so deleting one tool's restore would slow the next one's.

    target=$WORK/restore/$tool-one
    mkdir -p "$target"
    if run_step "$tool" "restore one file" restore_file "$target" "$ONE_FILE"; then verify_one "$tool" "$target" "$ONE_FILE"; fi
    rm -rf "$target"
done

# --------------------------------------------------------------------------- report
versions() {
    local t
    for t in silo restic borg; do
        if [[ " ${TOOL_LIST[*]} " == *" $t "* ]]; then
            printf -- '  - %s: %s\n' "$t" "$("version_$t" 2>&1 || echo unknown)"
        elif [[ $t == silo && -n ${SKIPPED_SILO:-} ]]; then
            printf -- '  - silo: %s\n' "$SKIPPED_SILO"
        fi
    done
}
silo_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then silo_rev="$silo_rev + uncommitted changes"; fi

report=$WORK/report.md
{
    echo "# Silo vs restic vs borg"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(nproc) CPUs (nproc), $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'), kernel $(uname -r)"
    echo "- Silo source: $silo_rev"
    echo "- Data set: scale $SCALE, $(awk -v b="$DATA_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }') MiB in $DATA_FILES files ($DATA_PARTS); generated in ${GEN_SECONDS} s"
    echo "- Change between backups: mutate-dataset.sh (~2% of dump rows rewritten in place + inserts, ~1% of small files edited, 4 h of logs appended, 2 new media files)"
    echo "- Settings: restic \`--compression auto\` (repository v2); borg \`init -e repokey\`, \`create --compression zstd,3\`; silo defaults"
    echo "- Method: warm page cache (the data set is read once first; caches cannot be dropped here); all tools do a step on the same data; wall/CPU/peak RSS from \`/usr/bin/time -f '%e %U %S %M'\`, CPU = user + sys; repo = \`du -sb\` of the repository after the step (local caches excluded)"
    echo "- Versions:"
    versions
    echo
    echo "| tool | step | wall s | CPU s | peak RSS MiB | repo MiB | Δ repo MiB | wall vs restic | RSS vs restic |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    # Rows grouped by step (in the order the steps ran), tools in the order given.
    awk -F'\t' -v tools="${TOOL_LIST[*]}" '
        function mib(b) { return (b == "-") ? "–" : sprintf("%.1f", b / 1048576) }
        function ratio(x, base) { return (base == "" || base == 0) ? "–" : sprintf("%.2f", x / base) }
        {
            if (!($2 in seen)) { seen[$2] = 1; steps[++ns] = $2 }
            row[$1, $2] = $0
            if ($1 == "restic") { rw[$2] = $3; rr[$2] = $5 }
        }
        END {
            nt = split(tools, t, " ")
            for (i = 1; i <= ns; i++) for (j = 1; j <= nt; j++) {
                if (!((t[j], steps[i]) in row)) continue
                split(row[t[j], steps[i]], f, "\t")
                note = (f[8] == "ok") ? "" : " (" f[8] ")"
                printf "| %s | %s%s | %.2f | %.2f | %.1f | %s | %s | %s | %s |\n", f[1], f[2], note, f[3], f[4], \
                    f[5] / 1024, mib(f[6]), mib(f[7]), ratio(f[3], rw[f[2]]), ratio(f[5], rr[f[2]])
            }
        }' "$RESULTS"
    echo
    echo "Full restores verified identical with \`diff -r\`: ${VERIFIED[*]:-none}."
    problems_section
} >"$report"

publish_report "$report" "$OUT"
log "results written to $OUT"
if [[ $CLEAN -eq 1 ]]; then rm -rf "$WORK"; fi
[[ ${#PROBLEMS[@]} -eq 0 ]]
