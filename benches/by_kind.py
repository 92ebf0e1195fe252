#!/usr/bin/env python3
"""by_kind.py TREE ATREST [ROUNDS] : where a tree's time goes, kind by kind.

Splits TREE (one of benches/compare.sh's trees) by file extension into
folders of hard links under $TMPDIR, then times, on one thread and in
interleaved rounds (median of ROUNDS, default 3), the read floor, the floor
that also inflates gzip (where compare.sh built it) and atrest on each
folder. One thread makes the columns add up: the sum over the kinds is the
tree. The last lines turn the totals into the budget the 1.3× goal leaves
atrest: the floor's wall time × 1.3, less atrest's own system time and the
user time inflating gzip takes, spread over the objects. FLOOR and FLOOR_Z
may be set as for interleave.py."""
import os
import shutil
import statistics
import sys
import tempfile

from timing import interleaved

if len(sys.argv) < 3:
    sys.exit("usage: by_kind.py TREE ATREST [ROUNDS]")
tree, atrest = os.path.abspath(sys.argv[1]), sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
root = os.path.dirname(os.path.dirname(tree))
floor = os.environ.get("FLOOR", os.path.join(root, "bin", "readfloor"))
floor_z = os.environ.get("FLOOR_Z", os.path.join(root, "bin", "readfloor-z"))
if not os.access(floor, os.X_OK):
    sys.exit(f"by_kind.py: no read floor at {floor}; run benches/compare.sh first")

work = tempfile.mkdtemp(prefix="atrest-kinds-")
counts = {}
for dirpath, _, names in os.walk(tree):
    for name in names:
        kind = name.rsplit(".", 1)[-1] if "." in name else "(none)"
        folder = os.path.join(work, kind)
        if kind not in counts:
            os.mkdir(folder)
            counts[kind] = 0
        src = os.path.join(dirpath, name)
        # Flattened names keep two files of one name apart.
        dst = os.path.join(folder, os.path.relpath(src, tree).replace("/", "_"))
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
        counts[kind] += 1


def medians(cmds):
    times = interleaved(cmds, rounds)
    return {n: [statistics.median(t[i] for t in ts) * 1000 for i in range(3)] for n, ts in times.items()}

totals = {}
print("| kind | files | atrest wall | user | system | floor wall | user | system | floor + gunzip user | × floor |")
print("| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |")
try:
    for kind in sorted(counts, key=lambda k: -counts[k]):
        folder = os.path.join(work, kind)
        cmds = {
            "atrest": [atrest, "scan", folder, "-j", "1", "--format", "json", "-o", os.devnull,
                       "--fail-on", "never", "--progress", "never"],
            "floor": [floor, folder, "1"],
        }
        if os.access(floor_z, os.X_OK):
            cmds["floor_z"] = [floor_z, folder, "1"]
        m = medians(cmds)
        for name, v in m.items():
            totals[name] = [a + b for a, b in zip(totals.get(name, [0, 0, 0]), v)]
        a, f = m["atrest"], m["floor"]
        z = f"{m['floor_z'][1]:.0f} ms" if "floor_z" in m else ""
        print(f"| {kind} | {counts[kind]} | {a[0]:.0f} ms | {a[1]:.0f} ms | {a[2]:.0f} ms | "
              f"{f[0]:.0f} ms | {f[1]:.0f} ms | {f[2]:.0f} ms | {z} | {a[0] / f[0]:.2f} |")
finally:
    shutil.rmtree(work)

a, f = totals["atrest"], totals["floor"]
n = sum(counts.values())
z = f"{totals['floor_z'][1]:.0f} ms" if "floor_z" in totals else ""
print(f"| all | {n} | {a[0]:.0f} ms | {a[1]:.0f} ms | {a[2]:.0f} ms | {f[0]:.0f} ms | "
      f"{f[1]:.0f} ms | {f[2]:.0f} ms | {z} | {a[0] / f[0]:.2f} |")
budget = 1.3 * f[0]
print(f"\nAt 1.3× the floor one thread has {budget:.0f} ms; atrest's system time takes {a[2]:.0f} ms, "
      f"leaving {budget - a[2]:.0f} ms of user time (atrest uses {a[1]:.0f} ms).")
if "floor_z" in totals:
    inflate = totals["floor_z"][1] - f[1]
    left = budget - a[2] - inflate
    print(f"Inflating the gzip members takes {inflate:.0f} ms of it, which leaves {left:.0f} ms: "
          f"{left * 1000 / n:.2f} µs an object for the walk, the reads' bookkeeping, every detector "
          f"and the report (the floor's own user time is {f[1]:.0f} ms, {f[1] * 1000 / n:.2f} µs an object).")
