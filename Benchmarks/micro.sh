#!/usr/bin/env bash
# Micro-benchmarks: Silo's stages from Swift beside the C libraries' own tools, one core.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v zstd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zstd >/dev/null; }
swift build -c release --product silo-bench >/dev/null
echo "## Silo (Swift, release build, one core)"
.build/release/silo-bench
echo
echo "## C libraries on the same machine"
openssl speed -evp sha256 -bytes 1048576 -seconds 2 2>/dev/null | awk '/^sha256/ {printf "%-44s %10.0f MB/s\n", "openssl speed -evp sha256 (1 MiB)", $2/1000}'
openssl speed -evp aes-256-gcm -bytes 1048576 -seconds 2 2>/dev/null | awk '/^AES-256-GCM/ {printf "%-44s %10.0f MB/s\n", "openssl speed -evp aes-256-gcm (1 MiB)", $2/1000}'
openssl speed -hmac sha256 -bytes 1048576 -seconds 2 2>/dev/null | awk '/^hmac/ {printf "%-44s %10.0f MB/s\n", "openssl speed -hmac sha256 (1 MiB)", $NF/1000}'
tmp=$(mktemp)
python3 - "$tmp" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    i = 0; n = 0
    while n < 64 << 20:
        line = f"{i}\tuser{i % 9973}@example.com\t{{\"cart\": [{i % 17}, {i % 101}], \"total\": {(i % 10000) / 100}}}\t2025-01-29 12:00:{i % 60}\n"
        f.write(line); n += len(line); i += 1
PY
zstd -b3 -B1048576 "$tmp" 2>&1 | tr '\r' '\n' | grep 'MB/s,' | tail -1 | awk '{for (i=1;i<=NF;i++) if ($i ~ /MB\/s/) {printf "%-44s %10.0f MB/s\n", "zstd -b3 -B1M compress (text)", $(i-1); exit}}'
rm -f "$tmp"
