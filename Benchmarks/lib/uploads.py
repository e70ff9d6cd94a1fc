#!/usr/bin/env python3
"""An uploads tree for system-restore.sh: DIR TOTAL_BYTES FILES [SEED].

Photos, avatars, product images and a few videos are incompressible (seeded random bytes);
documents (.txt, .csv, .json, .html, .svg) are text from a 5,000-word vocabulary, which gzip -6
brings to about 45 %. Documents take about 40 % of the bytes. Files go into about 140
directories (YYYY/MM, avatars/XX, documents/DEPT/YYYY, products/CATEGORY); sizes are drawn from
log-normal distributions and scaled so that the tree holds TOTAL_BYTES. The same arguments give
byte-identical files. Prints "FILES BYTES COMPRESSIBLE_BYTES DIRECTORIES".
"""
import os
import random
import sys


def main():
    root, total, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 18
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 11))) for _ in range(5000)]

    months = [f"{y}/{m:02d}" for y in range(2022, 2027) for m in range(1, 13)]
    avatars = [f"avatars/{i:02x}" for i in range(32)]
    documents = [f"documents/{d}/{y}" for d in ("sales", "legal", "support", "hr", "invoices") for y in range(2022, 2027)]
    products = [f"products/{c}" for c in ("shoes", "bags", "books", "toys", "garden", "kitchen", "tools", "music", "games", "sport",
                                           "beauty", "baby", "pets", "office", "auto", "phones", "cameras", "audio", "tv", "misc")]
    # kind: (share of files, directories, extensions, median size, sigma, compressible)
    kinds = [
        ("photo", 0.50, months, ("jpg", "png", "webp"), 180_000, 0.9, False),
        ("avatar", 0.10, avatars, ("jpg", "png"), 20_000, 0.5, False),
        ("product", 0.10, products, ("jpg", "webp"), 90_000, 0.6, False),
        ("video", 0.01, months, ("mp4", "zip"), 4_000_000, 0.6, False),
        ("doc", 0.29, documents + months, ("txt", "csv", "json", "html", "svg"), 150_000, 1.0, True),
    ]
    plan = []
    for i in range(count):
        pick, acc = rng.random(), 0.0
        for kind in kinds:
            acc += kind[1]
            if pick < acc:
                break
        name, _, dirs, exts, median, sigma, compressible = kind
        size = max(256, int(rng.lognormvariate(0, sigma) * median))
        plan.append((f"{rng.choice(dirs)}/{name}_{i:06d}.{rng.choice(exts)}", size, compressible))
    # Documents get 40 % of the bytes, the rest the other 60 %.
    doc_raw = sum(s for _, s, c in plan if c) or 1
    bin_raw = sum(s for _, s, c in plan if not c) or 1
    doc_scale, bin_scale = 0.40 * total / doc_raw, 0.60 * total / bin_raw

    written = compressible_bytes = 0
    made = set()
    for path, size, compressible in plan:
        size = max(64, int(size * (doc_scale if compressible else bin_scale)))
        full = os.path.join(root, path)
        parent = os.path.dirname(full)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(full, "wb") as f:
            if compressible:
                left = size
                while left > 0:
                    line = (" ".join(rng.choices(words, k=min(20000, left // 4 + 1))) + "\n").encode()
                    f.write(line[:left])
                    left -= min(left, len(line))
                compressible_bytes += size
            else:
                f.write(rng.randbytes(size))
        written += size
    print(count, written, compressible_bytes, len(made))


if __name__ == "__main__":
    main()
