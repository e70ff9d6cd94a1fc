#!/usr/bin/env bash
# `make run`: initialise a demo repository, back up the sample site twice with a change in
# between, show snapshots, sizes and deduplication, and restore one file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
silo="$here/.build/release/silo"
demo=${SILO_DEMO_DIR:-/tmp/silo-demo}
export SILO_REPOSITORY="$demo/repo"
export SILO_PASSWORD=${SILO_PASSWORD:-silo-demo-password}
export SILO_CACHE_DIR="$demo/cache"

rm -rf "$demo"
mkdir -p "$demo"
cp -a "$here/fixtures/sample-site" "$demo/site"

echo "== repository $SILO_REPOSITORY (demo password: $SILO_PASSWORD)"
"$silo" init
echo
echo "== first backup of $demo/site"
"$silo" backup "$demo/site" --tag demo
echo
echo "== a change: new log lines and an edited .env"
for i in $(seq 1 200); do echo "127.0.0.1 - - [29/Jan/2025:16:00:$((i % 60))] \"GET /api/health HTTP/1.1\" 200 2" ; done >> "$demo/site/logs/access.log"
echo "FEATURE_FLAGS=new-checkout" >> "$demo/site/.env"
echo
echo "== second backup (only the changed files are read)"
"$silo" backup "$demo/site" --tag demo
echo
echo "== snapshots"
"$silo" snapshots
echo
echo "== what changed"
"$silo" diff "$("$silo" snapshots --json | sed -n 1p | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')" latest
echo
echo "== repository statistics"
"$silo" stats
echo
echo "== restore one file (.env) from the first snapshot into $demo/restored"
first=$("$silo" snapshots --json | sed -n 1p | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
"$silo" restore "$first" --target "$demo/restored" --include "$demo/site/.env"
cat "$demo/restored$demo/site/.env"
echo
echo "== check"
"$silo" check --read-data
echo
echo "== the whole policy from one configuration: silo config init, then silo run (twice: the second finds nothing due)"
export SILO_STATE_DIR="$demo/state"
unset SILO_REPOSITORY
"$silo" config init --platform "$demo/site" --output "$demo/silo.yaml"
# The demo has no database: the platform's template names one; leave it out here.
python3 - "$demo/silo.yaml" "$demo/configured-repo" <<'PY'
import re, sys
path, repo = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"(?m)^  location: .*$", "  location: " + repo, text, count=1)
text = re.sub(r"(?ms)^  database:\n(?:    .*\n|\s*#.*\n)*", "", text)
open(path, "w").write(text)
PY
"$silo" --config "$demo/silo.yaml" config validate
"$silo" --config "$demo/silo.yaml" init -q
"$silo" run --config "$demo/silo.yaml"
"$silo" run --config "$demo/silo.yaml"
"$silo" --config "$demo/silo.yaml" history
