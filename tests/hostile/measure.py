#!/usr/bin/env python3
"""Scans every file of a hostile tree (made by make.py) one at a time, then
the whole tree once, and writes a Markdown table of what happened.

    python3 tests/hostile/measure.py --bin BINARY TREE [--timeout 20] [-o OUT.md]

Each file runs as `/usr/bin/time -f '%e s %M KB' timeout T BINARY scan FILE
--format json` (time outside timeout, so a run that is killed still reports
its wall time and peak memory). Standard library only.

Outcome per file:
  crash   exit 101 (panic), 134 (abort, e.g. a failed allocation) or another signal
  hang    killed by the timeout (exit 124)
  ok      the report parsed; F/L/E = findings, limits and errors in it
and `meets` says whether that matches the manifest's expected outcome:
  limit: >= 1 limit; error: >= 1 error; finding: >= 1 finding;
  clean-or-limit: no crash or hang (findings there are flagged `fp?`);
  and `NO (cost)` when a run took over 5 s or 512 MB.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

SLOW_S, BIG_KB = 5.0, 512 * 1024  # a single small file should never cost more
SIGNALS = {134: "SIGABRT", 137: "SIGKILL", 139: "SIGSEGV", 136: "SIGFPE", 135: "SIGBUS"}


def unescape(name):
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name.encode())


def run(binary, target, timeout):
    cmd = ["/usr/bin/time", "-f", "@@TIME %e s %M KB", "timeout", str(timeout), binary, "scan", target,
           "--format", "json"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace")
    m = re.search(r"@@TIME ([0-9.]+) s (\d+) KB", err)
    wall, rss = (float(m.group(1)), int(m.group(2))) if m else (None, None)
    err = re.sub(r"(Command (exited with non-zero status|terminated by signal) \d+\n)?@@TIME.*\n?", "", err)
    return p.returncode, wall, rss, p.stdout, err.strip()


def outcome(code, stdout, err):
    if code == 124:
        return "hang", None
    if code == 2:
        return "refused", None
    if code == 101:
        return "crash", "panic"
    if code >= 128 or code in SIGNALS:
        return "crash", SIGNALS.get(code, f"signal {code - 128}")
    try:
        report = json.loads(stdout)
    except ValueError:
        return "crash", f"exit {code}, no report"
    return "ok", report


def why(err):
    alloc = re.search(r"memory allocation of \d+ bytes failed", err)
    if alloc:
        return alloc.group(0)
    panic = re.search(r"panicked at (?:[^\n]*/)?([^/\s]+/src/[^\s]+|[^/\s]+):\n([^\n]*)", err)
    if panic:
        return f"panic at {panic.group(1)}: {panic.group(2)}"[:110]
    for pat in (r"memory allocation of \d+ bytes failed", r"capacity overflow", r"panicked at [^\n]*",
                r"attempt to [^\n]*overflow", r"index out of bounds[^\n]*"):
        m = re.search(pat, err)
        if m:
            return m.group(0)[:90]
    return err.splitlines()[-1][:90] if err else ""


def meets(expected, kind, report, wall, rss):
    if kind != "ok":
        return "NO"
    if (wall or 0) > SLOW_S or (rss or 0) > BIG_KB:
        return "NO (cost)"
    f, l, e = (len(report.get(k) or []) for k in ("findings", "limits", "errors"))
    if expected == "limit":
        return "yes" if l else "NO"
    if expected == "error":
        return "yes" if e else "NO"
    if expected == "finding":
        return "yes" if f else "NO"
    return "fp?" if f else "yes"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tree")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("-o", "--output")
    ap.add_argument("--tree-timeout", type=int, default=600)
    args = ap.parse_args()
    rows = []
    with open(os.path.join(args.tree, "MANIFEST.tsv"), encoding="ascii") as f:
        manifest = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    for name, cls, what, expected in manifest:
        path = os.path.join(os.fsencode(args.tree), unescape(name))
        code, wall, rss, stdout, err = run(args.bin, os.fsdecode(path), args.timeout)
        kind, rep = outcome(code, stdout, err)
        if kind == "ok":
            f, l, e = (len(rep.get(k) or []) for k in ("findings", "limits", "errors"))
            kinds = sorted({x.get("limit", "") for x in rep.get("limits") or []})
            detail = f"F{f} L{l} E{e}" + (f" ({', '.join(kinds)})" if kinds else "")
        elif kind == "refused":
            detail = f"usage error: {why(err)}"
        elif kind == "hang":
            detail = f"killed after {args.timeout} s"
        else:
            reason = why(err)
            detail = reason if reason.startswith(rep) else f"{rep}: {reason}"
        row = (name, cls, expected, code, wall, rss, kind, detail, meets(expected, kind, rep, wall, rss))
        rows.append(row)
        print("\t".join(str(x) for x in row), file=sys.stderr, flush=True)

    t0 = time.time()
    code, wall, rss, stdout, err = run(args.bin, args.tree, args.tree_timeout)
    kind, rep = outcome(code, stdout, err)
    if kind == "ok":
        tree = "exit %d, %s s, %s KB: %d findings, %d limits, %d errors, complete=%s" % (
            code, wall, rss, len(rep["findings"]), len(rep["limits"]), len(rep["errors"]), rep.get("complete"))
    else:
        tree = "exit %d, %s s, %s KB: %s (%s)" % (code, wall, rss, kind, why(err) if kind == "crash" else
                                                  f"killed after {args.tree_timeout} s")
    print("whole tree:", tree, f"({time.time() - t0:.0f} s)", file=sys.stderr)

    out = []
    out.append("| file | class | expected | exit | wall s | max RSS MB | outcome | report / reason | meets |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, cls, expected, code, wall, rss, kind, detail, ok in rows:
        name_md = name.replace("|", "\\|")
        rss_mb = "" if rss is None else f"{rss / 1024:.0f}"
        mark = {"crash": "**CRASH**", "hang": "**HANG**", "refused": "refused"}.get(kind, "ok")
        out.append(f"| `{name_md}` | {cls} | {expected} | {code} | {wall} | {rss_mb} | {mark} | "
                   f"{detail.replace('|', '/')} | {ok} |")
    text = "\n".join(out) + "\n\nWhole tree in one run: " + tree + "\n"
    summary = {}
    for r in rows:
        summary[r[6]] = summary.get(r[6], 0) + 1
    text += "\nPer-file outcomes: " + ", ".join(f"{v} {k}" for k, v in sorted(summary.items())) + \
        f"; meeting the expected outcome: {sum(1 for r in rows if r[8] == 'yes')} of {len(rows)}.\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
