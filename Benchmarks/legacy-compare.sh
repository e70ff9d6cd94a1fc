#!/usr/bin/env bash
# legacy-compare.sh [--archives N] [--scale S] [--no-expand-dumps] [--out FILE] [--work DIR] [--keep-work]
#
# Measures silo's import of old `o4o_backup_*.tar.gz` archives and its export of a snapshot as
# .tar.gz against gzip and GNU tar on the same bytes, and writes a Markdown table to stdout and
# to --out.
#
#   --archives N        daily archives to make and import (default 30)
#   --scale S           data set scale for generate-dataset.sh (default 0.25: ~220 MB growing by
#                       ~4 MB of media a day; ~110-170 MB per archive)
#   --no-expand-dumps   import without --expand-dumps (db/dump.sql.gz stays a gzip member)
#   --out FILE          results file (default Benchmarks/LEGACY-latest.md)
#   --work DIR          scratch directory (default /tmp/silo-legacy-bench; wiped at the start and
#                       removed at the end unless --keep-work)
#   --keep-work         keep the scratch directory (archives, repository, logs) at the end
# Environment: SILO_BIN (default <repo>/.build/release/silo); SILO_PASSWORD (a benchmark default
# is used when unset; it never goes on a command line).
#
# Archives: generate-dataset.sh DIR S once, then for day i = 1..N: mutate-dataset.sh DIR,
# `gzip -c db/dump.sql > db/dump.sql.gz` (as the old backup.sh stored its pg_dump), and
# `tar -czf archives/o4o_backup_2025MMDD_020000.tar.gz --exclude=./db/dump.sql -C DIR .`
# (GNU tar, gzip's default level; dated 2025-01-01 + i-1 days). Import: `silo init`, then one
# `silo import --json [--expand-dumps] archives/` (oldest first), beside `gzip -dc A >/dev/null`
# and `gzip -dc A | tar -t >/dev/null` summed over the same archives. Export: `silo export latest`
# with 1 and 2 gzip threads beside `tar -czf` of the same tree (DIR as it was for the last archive,
# holding the dump the way the snapshot does: db/dump.sql with --expand-dumps, db/dump.sql.gz
# without); each export is checked with `gzip -t`, its member count against the last archive's, and
# `tar --compare` against DIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ARCHIVES=30
SCALE=0.25
EXPAND=1
OUT="$HERE/LEGACY-latest.md"
WORK=/tmp/silo-legacy-bench
KEEP_WORK=0
SILO_BIN=${SILO_BIN:-$ROOT/.build/release/silo}
FIRST_DAY="2025-01-01"
TARGET_IMPORT=0.8     # silo import MB/s / gzip -dc MB/s
TARGET_EXPORT1=1.0    # silo export (1 thread) MB/s / tar -czf MB/s
TARGET_EXPORT2=1.6    # silo export (--gzip-threads 2) MB/s / tar -czf MB/s

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --archives) ARCHIVES=${2:?--archives needs a value}; shift 2 ;;
        --scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
        --no-expand-dumps) EXPAND=0; shift ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --keep-work) KEEP_WORK=1; shift ;;
        -h | --help) usage ;;
        *) echo "legacy-compare.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $ARCHIVES =~ ^[0-9]+$ && $ARCHIVES -ge 1 && $ARCHIVES -le 365 ]] || { echo "legacy-compare.sh: --archives must be an integer from 1 to 365" >&2; exit 64; }

log() { printf '[legacy-compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
SCRIPT=legacy-compare.sh
# shellcheck source-path=SCRIPTDIR source=lib/harness.sh
source "$HERE/lib/harness.sh"
# fatal MESSAGE: a step the rest depends on failed; banner, and exit non-zero.
fatal() { problem "$*"; exit 1; }

# --------------------------------------------------------------------------- prerequisites
[[ -x $SILO_BIN ]] || { echo "legacy-compare.sh: $SILO_BIN missing (build it with: swift build -c release --product silo)" >&2; exit 1; }
missing_pkgs=()
[[ -x /usr/bin/time ]] || missing_pkgs+=(time)
command -v python3 >/dev/null || missing_pkgs+=(python3)
command -v openssl >/dev/null || missing_pkgs+=(openssl)
tar --version 2>/dev/null | grep -q 'GNU tar' || missing_pkgs+=(tar)
command -v gzip >/dev/null || missing_pkgs+=(gzip)
install_packages "${missing_pkgs[@]}"

# --------------------------------------------------------------------------- scratch layout
claim_scratch "$WORK" .silo-legacy-bench-work
mkdir -p "$WORK"/{archives,repo,cache,logs,export}
touch "$WORK/.silo-legacy-bench-work"
WORK=$(cd "$WORK" && pwd)
DATA=$WORK/data
ARCH=$WORK/archives
EXP=$WORK/export
RESULTS=$WORK/results.tsv
: >"$RESULTS"
# Deleting or writing many files keeps ext4 (with discard) busy for a while; let it settle.
settle() { sync; sleep 5; }

export TZ=UTC          # archive names are local time to silo import; make them UTC
unset GZIP             # gzip's default level, whatever the caller's environment says
export SILO_REPOSITORY=$WORK/repo/silo
export SILO_PASSWORD=${SILO_PASSWORD:-silo-bench-password}
export SILO_CACHE_DIR=$WORK/cache/silo
export XDG_CACHE_HOME=$WORK/cache/xdg

# The dump the way the snapshot holds it (excluded from the export baseline's tree), and the way
# it does not.
if [[ $EXPAND -eq 1 ]]; then
    IMPORT_FLAGS=(--expand-dumps)
    SNAP_EXCLUDE=./db/dump.sql.gz
else
    IMPORT_FLAGS=()
    SNAP_EXCLUDE=./db/dump.sql
fi

# --------------------------------------------------------------------------- measurement
# timed SLUG CMD...: runs CMD under /usr/bin/time (output to logs/SLUG.log unless CMD redirects);
# sets T_WALL T_CPU T_RSS(KiB) T_RC.
timed() {
    local slug=$1 tf="$WORK/logs/time.out" u s
    shift
    T_RC=0
    /usr/bin/time -o "$tf" -f '%e %U %S %M' "$@" >"$WORK/logs/$slug.log" 2>"$WORK/logs/$slug.err" || T_RC=$?
    read -r T_WALL u s T_RSS < <(tail -n 1 "$tf")
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / s / 1e6; else print "–" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "–") printf "%.2f", a / b; else print "–" }'; }
meets() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "–") print "–"; else print (r + 0 >= t ? "yes" : "**NO**") }'; }

# record GROUP STEP BYTES WALL CPU RSS_KIB STATUS  (BYTES: the bytes the MB/s is counted on)
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# --------------------------------------------------------------------------- 1. archives
log "$ARCHIVES archives of a scale-$SCALE data set; import $([[ $EXPAND -eq 1 ]] && echo "with --expand-dumps" || echo "without --expand-dumps"); scratch $WORK"
gen_start=$SECONDS
"$HERE/generate-dataset.sh" "$DATA" "$SCALE" 2>"$WORK/logs/generate.log" || { tail -n 20 "$WORK/logs/generate.log" >&2; fatal "generate-dataset.sh $DATA $SCALE failed (log: $WORK/logs/generate.log)"; }
GEN_SECONDS=$((SECONDS - gen_start))
log "data set generated in $GEN_SECONDS s: $(du -sh "$DATA" | cut -f1)"

ARCHIVE_SECONDS=0
for ((i = 1; i <= ARCHIVES; i++)); do
    day=$(date -u -d "$FIRST_DAY + $((i - 1)) days" '+%Y%m%d')
    name=o4o_backup_${day}_020000.tar.gz
    "$HERE/mutate-dataset.sh" "$DATA" 2>>"$WORK/logs/mutate.log" || { tail -n 20 "$WORK/logs/mutate.log" >&2; fatal "mutate-dataset.sh failed on day $i (log: $WORK/logs/mutate.log)"; }
    # The old backup.sh kept its pg_dump gzipped; the same mtime as the plain dump lets
    # tar --compare check the expanded member against db/dump.sql.
    rm -f "$DATA/db/dump.sql.gz"
    gzip -c "$DATA/db/dump.sql" >"$DATA/db/dump.sql.gz"
    touch -r "$DATA/db/dump.sql" "$DATA/db/dump.sql.gz"
    t0=$SECONDS
    tar -czf "$ARCH/$name" --exclude=./db/dump.sql -C "$DATA" . 2>>"$WORK/logs/tar-create.log" ||
        fatal "tar -czf $name failed (log: $WORK/logs/tar-create.log)"
    ARCHIVE_SECONDS=$((ARCHIVE_SECONDS + SECONDS - t0))
    if ((i % 5 == 0 || i == 1 || i == ARCHIVES)); then
        log "archive $i/$ARCHIVES: $name, $(du -b "$ARCH/$name" | awk '{ printf "%.1f MB", $1 / 1e6 }') ($((SECONDS - gen_start)) s elapsed)"
    fi
done
LAST=$ARCH/$name
mapfile -t ALL < <(find "$ARCH" -maxdepth 1 -name 'o4o_backup_*.tar.gz' | LC_ALL=C sort)
[[ ${#ALL[@]} -eq $ARCHIVES ]] || fatal "expected $ARCHIVES archives in $ARCH, found ${#ALL[@]}"
ARCHIVE_BYTES=$(cat "${ALL[@]}" | wc -c)
FIRST_BYTES=$(stat -c %s "${ALL[0]}")
LAST_BYTES=$(stat -c %s "$LAST")
LAST_MEMBERS=$(tar -tzf "$LAST" | wc -l)
# Member names to compare exports with: no leading ./, no root entry, the dump as the snapshot
# holds it.
names() { sed -e 's|^\./||' -e '/^$/d' | { if [[ $EXPAND -eq 1 ]]; then sed 's|^db/dump\.sql\.gz$|db/dump.sql|'; else cat; fi; } | LC_ALL=C sort; }
tar -tzf "$LAST" | names >"$WORK/last-members.txt"
LAST_NAMES=$(wc -l <"$WORK/last-members.txt")
DATA_FILES=$(find "$DATA" -type f ! -path "$DATA/db/dump.sql" | wc -l)
log "archives: $ARCHIVE_BYTES bytes in all; last $LAST_BYTES bytes, $LAST_MEMBERS members"

# --------------------------------------------------------------------------- 2. import
log "warming the page cache (reading the archives once)"
cat "${ALL[@]}" >/dev/null

for kind in gzip-dc gzip-tar; do
    w=0; c=0; r=0; fails=0
    for a in "${ALL[@]}"; do
        # shellcheck disable=SC2016  # $1 is the inner shell's argument
        if [[ $kind == gzip-dc ]]; then
            timed "$kind" bash -c 'gzip -dc "$1" >/dev/null' _ "$a"
        else
            timed "$kind" bash -c 'set -o pipefail; gzip -dc "$1" | tar -t >/dev/null' _ "$a"
        fi
        if [[ $T_RC -ne 0 ]]; then
            fails=$((fails + 1))
            problem "$kind on $(basename "$a") exited with status $T_RC (log: $WORK/logs/$kind.err)"
        fi
        w=$(add "$w" "$T_WALL"); c=$(add "$c" "$T_CPU")
        if ((T_RSS > r)); then r=$T_RSS; fi
    done
    status=ok
    [[ $fails -eq 0 ]] || status="$fails failed"
    label="gzip -dc A > /dev/null (sum of $ARCHIVES)"
    [[ $kind == gzip-dc ]] || label="gzip -dc A | tar -t > /dev/null (sum of $ARCHIVES)"
    record import "$label" "$ARCHIVE_BYTES" "$w" "$c" "$r" "$status"
    log "$(printf '%-40s wall %7ss  cpu %7ss  %s MB/s' "$kind" "$w" "$c" "$(mbps "$ARCHIVE_BYTES" "$w")")"
done

"$SILO_BIN" init -q >"$WORK/logs/silo-init.log" 2>&1 || { cat "$WORK/logs/silo-init.log" >&2; fatal "silo init failed"; }
settle
timed silo-import "$SILO_BIN" import --json "${IMPORT_FLAGS[@]}" "$ARCH"
IMPORT_WALL=$T_WALL
REPO_BYTES=$(du -sb "$SILO_REPOSITORY" | cut -f1)
status=ok
if [[ $T_RC -ne 0 ]]; then
    status="exit $T_RC"
    problem "silo import exited with status $T_RC (log: $WORK/logs/silo-import.log, $WORK/logs/silo-import.err)"
    tail -n 20 "$WORK/logs/silo-import.err" >&2
fi
record import "silo import$([[ $EXPAND -eq 1 ]] && echo " --expand-dumps") (one run, $ARCHIVES archives)" "$ARCHIVE_BYTES" "$T_WALL" "$T_CPU" "$T_RSS" "$status"
log "$(printf '%-40s wall %7ss  cpu %7ss  %s MB/s  repo %s bytes' "silo import" "$T_WALL" "$T_CPU" "$(mbps "$ARCHIVE_BYTES" "$T_WALL")" "$REPO_BYTES")"

# Per-archive figures from the JSON lines: archive TAB archive_bytes TAB members TAB content_bytes
# TAB data_added_stored TAB duration_seconds
PER=$WORK/per-archive.tsv
python3 - "$WORK/logs/silo-import.log" >"$PER" <<'PY' || problem "could not read silo import's JSON lines"
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    if o.get("message_type") == "imported":
        print("\t".join(str(o[k]) for k in ("archive", "archive_bytes", "members", "content_bytes", "data_added_stored", "duration_seconds")))
PY
n_imported=$(wc -l <"$PER")
[[ $n_imported -eq $ARCHIVES ]] || problem "silo import reported $n_imported imported archives, expected $ARCHIVES"
json_bytes=$(awk -F'\t' '{ s += $2 } END { printf "%.0f", s }' "$PER")
[[ $json_bytes == "$ARCHIVE_BYTES" ]] || problem "silo import's archive_bytes add up to $json_bytes, the archives hold $ARCHIVE_BYTES bytes"
last_json_members=$(awk -F'\t' -v n="$(basename "$LAST")" '$1 == n { print $3 }' "$PER")
[[ $last_json_members == "$LAST_MEMBERS" ]] || problem "silo import counted ${last_json_members:-no} members in $(basename "$LAST"); tar -tzf lists $LAST_MEMBERS"
# min / median / max of the per-archive MB/s, and the sum of the per-archive durations
read -r PA_MIN PA_MED PA_MAX PA_SUM < <(awk -F'\t' '{ print $2 / ($6 > 0 ? $6 : 1e-9) / 1e6, $6 }' "$PER" | sort -n |
    awk '{ v[NR] = $1; s += $2 } END { if (NR == 0) { print "– – – 0"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f %.2f\n", v[1], m, v[NR], s }')
snapshots=$("$SILO_BIN" snapshots --json 2>/dev/null | grep -o '"id"' | wc -l || true)
[[ $snapshots -eq $ARCHIVES ]] || problem "the repository holds $snapshots snapshots after the import, expected $ARCHIVES"

# --------------------------------------------------------------------------- 3. export
# Uncompressed size of the exported tree: the baseline's tar stream (same members as the export).
log "warming the page cache (reading the data set once)"
tar -cf - --exclude="$SNAP_EXCLUDE" -C "$DATA" . | wc -c >"$WORK/tar-bytes"
TREE_BYTES=$(cat "$WORK/tar-bytes")

settle
timed tar-czf tar -czf "$EXP/baseline.tar.gz" --exclude="$SNAP_EXCLUDE" -C "$DATA" .
TAR_WALL=$T_WALL
status=ok
if [[ $T_RC -ne 0 ]]; then status="exit $T_RC"; problem "tar -czf of the data set exited with status $T_RC (log: $WORK/logs/tar-czf.err)"; fi
record export "tar -czf -C DIR ." "$TREE_BYTES" "$T_WALL" "$T_CPU" "$T_RSS" "$status"
log "$(printf '%-40s wall %7ss  cpu %7ss  %s MB/s' "tar -czf" "$T_WALL" "$T_CPU" "$(mbps "$TREE_BYTES" "$T_WALL")")"
BASE_MEMBERS=$(tar -tzf "$EXP/baseline.tar.gz" | wc -l)

declare -A EXPORT_WALL EXPORT_BYTES VERIFY
NOTES=()
for threads in 1 2; do
    x=$EXP/silo-$threads.tar.gz
    args=()
    [[ $threads -eq 1 ]] || args=(--gzip-threads "$threads")
    settle
    timed "silo-export-$threads" "$SILO_BIN" export latest -o "$x" "${args[@]}"
    EXPORT_WALL[$threads]=$T_WALL
    status=ok
    label="silo export latest -o X.tar.gz$([[ $threads -eq 1 ]] || echo " --gzip-threads $threads")"
    if [[ $T_RC -ne 0 ]]; then
        status="exit $T_RC"
        problem "$label exited with status $T_RC (log: $WORK/logs/silo-export-$threads.err)"
        tail -n 20 "$WORK/logs/silo-export-$threads.err" >&2
    else
        EXPORT_BYTES[$threads]=$(stat -c %s "$x")
        # Checks: gzip integrity, member count, and tar --compare against the tree.
        if ! gzip -t "$x" 2>"$WORK/logs/silo-export-$threads-gzip-t.txt"; then
            status="gzip -t FAILED"
            problem "$label: gzip -t fails ($(head -c 200 "$WORK/logs/silo-export-$threads-gzip-t.txt"))"
        fi
        tar -tzf "$x" 2>>"$WORK/logs/silo-export-$threads-tar-t.txt" >"$WORK/export-$threads-raw.txt" ||
            problem "$label: tar -tzf fails ($WORK/logs/silo-export-$threads-tar-t.txt)"
        members=$(wc -l <"$WORK/export-$threads-raw.txt")
        names <"$WORK/export-$threads-raw.txt" >"$WORK/export-$threads-members.txt"
        if [[ $members -ne $LAST_MEMBERS ]]; then
            if cmp -s "$WORK/last-members.txt" "$WORK/export-$threads-members.txt"; then
                NOTES+=("$label: $members members against the last archive's $LAST_MEMBERS; the same $LAST_NAMES names once the archive's leading \`./\` and its root entry \`./\` are set aside (the export has no root directory entry)")
            else
                status="MEMBERS $members != $LAST_MEMBERS"
                problem "$label: $members members; the last archive has $LAST_MEMBERS, and the names differ beyond ./ ($(diff "$WORK/last-members.txt" "$WORK/export-$threads-members.txt" | grep -c '^[<>]') lines of diff)"
                diff "$WORK/last-members.txt" "$WORK/export-$threads-members.txt" | head -n 10 >&2 || true
            fi
        fi
        if tar --compare -zf "$x" -C "$DATA" >"$WORK/logs/silo-export-$threads-compare.txt" 2>&1; then
            log "silo export ($threads thread(s)): gzip -t ok, $members members, tar --compare: identical"
        else
            [[ $status == ok ]] && status="tar --compare DIFFERS"
            problem "$label: tar --compare against the data set reports $(wc -l <"$WORK/logs/silo-export-$threads-compare.txt") differences ($WORK/logs/silo-export-$threads-compare.txt)"
            head -n 10 "$WORK/logs/silo-export-$threads-compare.txt" >&2
        fi
        VERIFY[$threads]="gzip -t ok, $members members, tar --compare $([[ $status == ok ]] && echo identical || echo "**$status**")"
    fi
    record export "$label" "$TREE_BYTES" "$T_WALL" "$T_CPU" "$T_RSS" "$status"
    log "$(printf '%-40s wall %7ss  cpu %7ss  %s MB/s' "silo export ($threads)" "$T_WALL" "$T_CPU" "$(mbps "$TREE_BYTES" "$T_WALL")")"
    rm -f "$x"
done

# --------------------------------------------------------------------------- report
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
GZ_WALL=$(awk -F'\t' '$2 ~ /^gzip -dc A >/ { print $4 }' "$RESULTS")
IMPORT_MBPS=$(mbps "$ARCHIVE_BYTES" "$IMPORT_WALL")
GZ_MBPS=$(mbps "$ARCHIVE_BYTES" "$GZ_WALL")
R_IMPORT=$(ratio "$IMPORT_MBPS" "$GZ_MBPS")
TAR_MBPS=$(mbps "$TREE_BYTES" "$TAR_WALL")
R_EXPORT1=$(ratio "$(mbps "$TREE_BYTES" "${EXPORT_WALL[1]:-0}")" "$TAR_MBPS")
R_EXPORT2=$(ratio "$(mbps "$TREE_BYTES" "${EXPORT_WALL[2]:-0}")" "$TAR_MBPS")
[[ ${EXPORT_BYTES[1]:-} ]] || R_EXPORT1="–"
[[ ${EXPORT_BYTES[2]:-} ]] || R_EXPORT2="–"

silo_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then silo_rev="$silo_rev + uncommitted changes"; fi

report=$WORK/report.md
{
    echo "# Legacy archives: silo import/export vs gzip and tar"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(nproc) CPUs (nproc), $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'), kernel $(uname -r)"
    echo "- Versions: silo: $("$SILO_BIN" --version 2>&1 | sed -n 1p) (source $silo_rev); $(tar --version | sed -n 1p); $(gzip --version | sed -n 1p); $(python3 --version 2>&1)"
    echo "- Archives: $ARCHIVES daily \`o4o_backup_YYYYMMDD_020000.tar.gz\` from $FIRST_DAY, each \`tar -czf NAME --exclude=./db/dump.sql -C DIR .\` (GNU tar, gzip default level 6) after \`mutate-dataset.sh DIR\` and \`gzip -c db/dump.sql > db/dump.sql.gz\`; data set \`generate-dataset.sh DIR $SCALE\` (generated in $GEN_SECONDS s; archives written in $ARCHIVE_SECONDS s of tar). First archive $(mb "$FIRST_BYTES") MB, last $(mb "$LAST_BYTES") MB with $LAST_MEMBERS members; $(mb "$ARCHIVE_BYTES") MB in all"
    echo "- Import: \`silo init\`, then one \`silo import --json$([[ $EXPAND -eq 1 ]] && echo " --expand-dumps") archives/\` (oldest first; $([[ $EXPAND -eq 1 ]] && echo "db/dump.sql.gz members stored decompressed as db/dump.sql" || echo "db/dump.sql.gz stored as it is")); baselines \`gzip -dc A > /dev/null\` and \`gzip -dc A | tar -t > /dev/null\` run once per archive and summed. MB/s = archive (compressed) bytes / wall"
    echo "- Export: the newest snapshot with \`silo export latest -o X.tar.gz\` (level 6) with 1 and 2 gzip threads, beside \`tar -czf Y.tar.gz -C DIR .\` of the tree the snapshot holds (DIR as for the last archive, the dump $([[ $EXPAND -eq 1 ]] && echo "as db/dump.sql" || echo "as db/dump.sql.gz")): $(mb "$TREE_BYTES") MB of uncompressed tar stream, $DATA_FILES files. MB/s = uncompressed tar bytes / wall"
    echo "- Method: warm page cache (archives and tree read once first); wall/CPU/peak RSS from \`/usr/bin/time -f '%e %U %S %M'\`, CPU = user + sys (of the whole pipeline for the baselines); repository = \`du -sb\` (cache excluded)"
    echo
    echo "| step | MB | wall s | CPU s | peak RSS MiB | MB/s | status |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    awk -F'\t' '{ printf "| %s | %.1f | %.2f | %.2f | %.1f | %s | %s |\n", $2, $3 / 1e6, $4, $5, $6 / 1024, ($4 > 0 ? sprintf("%.1f", $3 / $4 / 1e6) : "–"), $7 }' "$RESULTS"
    echo
    echo "| figure | value | target | met |"
    echo "|---|---:|---:|---|"
    echo "| archives, total | $(mb "$ARCHIVE_BYTES") MB | | |"
    echo "| repository after import (\`du -sb\`) | $(mb "$REPO_BYTES") MB | | |"
    echo "| repository / archives | $(ratio "$REPO_BYTES" "$ARCHIVE_BYTES") | | |"
    echo "| silo import, archive MB/s (bytes / wall of the one run) | $IMPORT_MBPS | | |"
    echo "| silo import, per-archive MB/s from \`--json\` (min / median / max) | $PA_MIN / $PA_MED / $PA_MAX | | |"
    echo "| gzip -dc, archive MB/s | $GZ_MBPS | | |"
    echo "| gzip -dc \\| tar -t, archive MB/s | $(mbps "$ARCHIVE_BYTES" "$(awk -F'\t' '$2 ~ /tar -t/ { print $4 }' "$RESULTS")") | | |"
    echo "| **silo import / gzip -dc** | **$R_IMPORT** | ≥ $TARGET_IMPORT | $(meets "$R_IMPORT" "$TARGET_IMPORT") |"
    echo "| tar -czf, MB/s of tree | $TAR_MBPS | | |"
    echo "| **silo export 1 thread / tar -czf** | **$R_EXPORT1** | ≥ $TARGET_EXPORT1 | $(meets "$R_EXPORT1" "$TARGET_EXPORT1") |"
    echo "| **silo export 2 threads / tar -czf** | **$R_EXPORT2** | ≥ $TARGET_EXPORT2 | $(meets "$R_EXPORT2" "$TARGET_EXPORT2") |"
    echo "| export sizes: tar -czf / silo 1 thread / silo 2 threads | $(mb "$(stat -c %s "$EXP/baseline.tar.gz" 2>/dev/null || echo 0)") / $(mb "${EXPORT_BYTES[1]:-0}") / $(mb "${EXPORT_BYTES[2]:-0}") MB | | |"
    echo
    echo "- Export checks (the last archive has $LAST_MEMBERS members, the tar -czf baseline $BASE_MEMBERS): 1 thread: ${VERIFY[1]:-not verified}; 2 threads: ${VERIFY[2]:-not verified}"
    for note in "${NOTES[@]}"; do echo "- Note: $note"; done
    echo "- Sum of silo's per-archive \`duration_seconds\`: $PA_SUM s of the run's $IMPORT_WALL s wall; snapshots in the repository: $snapshots"
    echo
    echo "<details><summary>Per archive (silo import --json)</summary>"
    echo
    echo "| archive | archive MB | members | content MB | stored new MB | s | MB/s |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %.1f | %d | %.1f | %.1f | %.2f | %.1f |\n", $1, $2 / 1e6, $3, $4 / 1e6, $5 / 1e6, $6, $2 / ($6 > 0 ? $6 : 1e-9) / 1e6 }' "$PER"
    echo
    echo "</details>"
    problems_section
} >"$report"

publish_report "$report" "$OUT"
log "results written to $OUT"
if [[ $KEEP_WORK -eq 0 ]]; then rm -rf "$WORK"; else log "scratch kept in $WORK"; fi
[[ ${#PROBLEMS[@]} -eq 0 ]]
