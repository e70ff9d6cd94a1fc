#!/usr/bin/env bash
# Every target must name, in Package.swift, each module of the package (or product) its files
# import (docs/ARCHITECTURE.md). SwiftPM's `--explicit-target-dependency-import-check error`
# only catches an import outside a target's transitive dependencies; this also catches one that
# merely comes along through another dependency, so the declared graph is the real one.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package dump-package | python3 -c '
import json, os, re, sys
package = json.load(sys.stdin)
targets = {t["name"]: t for t in package["targets"]}
products = {"ArgumentParser", "Yams"}
known = set(targets) | products
failed = False
for name, target in targets.items():
    if target["type"] == "system":
        continue
    path = target.get("path") or (("Tests/" if target["type"] == "test" else "Sources/") + name)
    declared = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                declared.add(dependency[kind][0])
    imported = set()
    for root, _, files in os.walk(path):
        for file in files:
            if file.endswith(".swift"):
                with open(os.path.join(root, file)) as source:
                    for line in source:
                        match = re.match(r"\s*(?:@testable\s+|@_spi\(\w+\)\s+)?(?:(?:public|package|internal)\s+)?import\s+(\w+)", line)
                        if match:
                            imported.add(match.group(1))
    for module in sorted((imported & known) - declared - {name}):
        print(f"error: target {name} imports {module} without declaring it a dependency in Package.swift")
        failed = True
sys.exit(1 if failed else 0)
'
