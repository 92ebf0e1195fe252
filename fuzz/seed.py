#!/usr/bin/env python3
"""Seeds fuzz/corpus/TARGET from the repository's fixtures and a hostile tree
made by tests/hostile/make.py, for the ten targets in fuzz/README.md.

    python3 fuzz/seed.py HOSTILE_TREE [--fixtures fixtures] [--max-bytes 262144]

Every target reads its first byte as a flag (declared size true or a lie;
for `streams` also which decoder), so each seed is written with flag bytes
that pick the format the file is and leave the size true. Files larger than
--max-bytes are left out: libFuzzer's -max_len follows the largest seed, and
one 5 MB seed slows every execution. Standard library only; the corpus
folders are not committed (fuzz/.gitignore).
"""

import argparse
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))

STREAMS = {".gz": 0, ".tgz": 0, ".zst": 1, ".xz": 2, ".bz2": 3, ".lz4": 4}
TARGETS = {
    "sevenz": (".7z",),
    "tar": (".tar",),
    "zip": (".zip", ".jar", ".docx", ".xlsx", ".pptx", ".odt", ".apk", ".epub"),
    "streams": tuple(STREAMS),
    "mp4": (".mp4", ".m4a", ".mov", ".3gp", ".m4v", ".m4b"),
    "matroska": (".mkv", ".mka", ".webm"),
    "asf": (".wma", ".wmv", ".asf"),
    "ole": (".doc", ".xls", ".ppt", ".msg", ".msi"),
    "pdf": (".pdf",),
    "encoded": (".txt", ".json", ".sql", ".csv", ".xml", ".eml", ".html", ".log", ".jsonl", ".ndjson"),
}


def files(roots):
    for root in roots:
        for d, _, names in os.walk(root):
            for n in sorted(names):
                p = os.path.join(d, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("hostile")
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(HERE), "fixtures"))
    ap.add_argument("--max-bytes", type=int, default=256 << 10)
    args = ap.parse_args()
    counts = dict.fromkeys(TARGETS, 0)
    for path in files([args.fixtures, args.hostile]):
        low = path.lower()
        if os.path.getsize(path) > args.max_bytes:
            continue
        with open(path, "rb") as f:
            data = f.read()
        for target, exts in TARGETS.items():
            ext = next((e for e in exts if low.endswith(e)), None)
            if ext is None:
                continue
            flag = STREAMS[ext] if target == "streams" else 0
            seed = bytes([flag]) + data
            if target == "encoded":
                seed = data  # the text itself, no flag byte
            out = os.path.join(HERE, "corpus", target)
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
                f.write(seed)
            counts[target] += 1
    for target, n in counts.items():
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    main()
