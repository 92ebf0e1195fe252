#!/usr/bin/env python3
"""interleave.py TREE ROUNDS ATREST... : builds of atrest and the read floor
over one tree, run in turn, round after round (each round in the opposite
order of the last), so that a machine whose load drifts slows them alike.
Prints the median wall, user and system time of each, its ratio to the
floor and to the floor that also inflates gzip heads (where
benches/compare.sh built one), and the lowest and highest ratio to the
floor of a single round. THREADS (default 2), FLOOR (default
ROOT/bin/readfloor, ROOT being the directory above TREE's `trees/`) and
FLOOR_Z (default ROOT/bin/readfloor-z) may be set; THREADS=1 with a folder
of one kind of file measures that kind alone."""
import os
import statistics
import sys

from timing import interleaved

if len(sys.argv) < 4:
    sys.exit("usage: interleave.py TREE ROUNDS ATREST...")
tree, rounds, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
threads = os.environ.get("THREADS", "2")
root = os.path.dirname(os.path.dirname(os.path.abspath(tree)))
floor = os.environ.get("FLOOR", os.path.join(root, "bin", "readfloor"))
floor_z = os.environ.get("FLOOR_Z", os.path.join(root, "bin", "readfloor-z"))
cmds = {b: [b, "scan", tree, "-j", threads, "--format", "json", "-o", os.devnull,
            "--fail-on", "never", "--progress", "never"] for b in bins}
if os.access(floor, os.X_OK):
    cmds["floor"] = [floor, tree, threads]
if os.access(floor_z, os.X_OK):
    cmds["floor + gunzip"] = [floor_z, tree, threads]
order = list(cmds)


times = interleaved(cmds, rounds)
base = statistics.median(t[0] for t in times["floor"]) if "floor" in times else None
base_z = statistics.median(t[0] for t in times["floor + gunzip"]) if "floor + gunzip" in times else None
print("| command | wall | user | system | × floor | × floor + gunzip | rounds' × floor, lowest–highest |")
print("| --- | --: | --: | --: | --: | --: | --: |")
for name in order:
    wall, user, system = (statistics.median(t[i] for t in times[name]) for i in range(3))
    ratio = f"{wall / base:.3f}" if base else ""
    ratio_z = f"{wall / base_z:.3f}" if base_z else ""
    # Each round's own ratio (against the floor's run in that round): how
    # far one run can stray, which the median hides.
    spread = ""
    if base and not name.startswith("floor"):
        rounds = [t[0] / f[0] for t, f in zip(times[name], times["floor"])]
        spread = f"{min(rounds):.3f}–{max(rounds):.3f}"
    print(f"| `{os.path.basename(name)}` | {wall * 1000:.1f} ms | {user * 1000:.0f} ms | {system * 1000:.0f} ms | {ratio} | {ratio_z} | {spread} |")
