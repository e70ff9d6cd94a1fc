#!/usr/bin/env bash
# mutate-dataset.sh DIR
#
# Applies "four hours of a web platform" to a data set made by generate-dataset.sh:
#   - rewrites ~2% of the rows of pgbench_accounts, users and posts in db/dump.sql where they
#     stand (balances, last logins, view counts, some post bodies), touches half the tellers and
#     branches, and appends the rows such traffic inserts (events +1%, pgbench_history);
#   - edits ~1% of the small files under app/ (a changed line or an appended one);
#   - appends four hours of traffic to the live logs (rotated logs stay as they are);
#   - adds 2 new media files.
# Deterministic: the n-th mutation of a data set of a given scale is always the same change.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATAGEN="$HERE/lib/datagen.py"
MARKER=.silo-bench-dataset

log() { printf '[mutate %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'mutate-dataset: error: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 64; }
DIR=$1
[[ -f $DIR/$MARKER ]] || die "$DIR is not a data set made by generate-dataset.sh"
SCALE=$(sed -n 's/^scale=//p' "$DIR/$MARKER")
GEN=$(( $(sed -n 's/^mutations=//p' "$DIR/$MARKER") + 1 ))
SEED=$((7000 + GEN))

log "mutation #$GEN (scale $SCALE)"
python3 "$DATAGEN" mutate-dump "$DIR/db/dump.sql" 0.02 "$GEN" "$SEED"
python3 "$DATAGEN" mutate-tree "$DIR/app" 0.01 "$SEED"
python3 "$DATAGEN" mutate-logs "$DIR/logs" "$SCALE" "$GEN" "$SEED"

# Two new uploads: a photo and a video, sized with the scale (at least 100 KB each).
month=$(printf '%02d' $(( (GEN - 1) % 12 + 1 )))
mkdir -p "$DIR/media/uploads/2024/$month"
i=0
for spec in "jpg 3500000" "mp4 12000000"; do
    read -r ext base <<<"$spec"
    size=$(awk -v n="$base" -v s="$SCALE" 'BEGIN { v = int(n * s); print (v < 102400 ? 102400 : v) }')
    head -c "$size" /dev/zero |
        openssl enc -aes-256-ctr -pbkdf2 -iter 1 -nosalt -pass "pass:silo-bench-new-$GEN-$i" \
            >"$DIR/media/uploads/2024/$month/new_${GEN}_$i.$ext"
    i=$((i + 1))
done

printf 'scale=%s\nmutations=%s\n' "$SCALE" "$GEN" >"$DIR/$MARKER"
log "done"
