#!/usr/bin/env bash
# Checks the model of the backup / prune / lease protocol (docs/model/prune.pml) with spin:
# every interleaving, exhaustively. Exits 0 when the search completed without error; 1 when it
# found an error (then prints the counterexample, one line per step) or could not complete;
# 3 when spin or gcc is missing.
#
#   scripts/check-model.sh                  the protocol as meant
#   scripts/check-model.sh -D OLD_SWEEP     a variant (several -D NAME or -DNAME may be given)
#
# See docs/model/README.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model="$root/docs/model/prune.pml"

defines=()
while [ $# -gt 0 ]; do
	case "$1" in
		-D) [ $# -ge 2 ] || { echo "check-model: -D needs a name" >&2; exit 2; }; defines+=("-D$2"); shift 2 ;;
		-D*) defines+=("$1"); shift ;;
		*) echo "usage: $0 [-D NAME]..." >&2; exit 2 ;;
	esac
done

for tool in spin gcc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check-model: $tool is not installed; \`make test\` installs it (Debian package $tool)" >&2
		exit 3
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/silo-model.XXXXXX")
trap 'rm -rf "$work"' EXIT
# spin writes pan.* and the trail beside the model it is given: work on a copy.
cp "$model" "$work/prune.pml"
cd "$work"

label="prune.pml${defines[*]:+ ${defines[*]}}"
spin "${defines[@]}" -a prune.pml >spin.log 2>&1 || { cat spin.log >&2; echo "check-model: spin -a failed" >&2; exit 1; }
# -w: pan.c's own code trips gcc's overflow warnings (harmless); MEMLIM (MB) stops a runaway search;
# COLLAPSE stores states compressed (INDEX_FILES with the sweep at once needs about a third of the memory).
gcc -O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM=1024 -o pan pan.c >gcc.log 2>&1 || { cat gcc.log >&2; echo "check-model: gcc failed" >&2; exit 1; }
# -m: depth limit, far above the ~110 steps of the longest run; -w22: hash table of 4M slots.
set +e
./pan -m100000 -w22 >pan.log 2>&1
status=$?
set -e
cat pan.log

errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.log | tail -1)
states=$(sed -n 's/^ *\([0-9][0-9]*\) states, stored.*/\1/p' pan.log | tail -1)
seconds=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' pan.log | tail -1)

if [ -n "$errors" ] && [ "$errors" != 0 ]; then
	echo
	echo "=== counterexample ($label), replayed by spin -t ==="
	spin "${defines[@]}" -t prune.pml 2>&1 | grep -v -E '^ *[0-9]+ processes created$|^ *$' || true
	echo "check-model: $label: ERROR: $errors error(s) found (states: $states)"
	exit 1
fi
if [ $status -ne 0 ] || [ "$errors" != 0 ] || [ -z "$states" ] \
	|| grep -q -E 'max search depth too small|Search not completed|out of memory|MEMLIM|pan: error' pan.log; then
	echo "check-model: $label: INCOMPLETE search (pan exit $status): the result proves nothing" >&2
	exit 1
fi
echo "check-model: $label: no error, exhaustive: $states states, ${seconds:-?} s"
