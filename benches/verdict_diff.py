#!/usr/bin/env python3
"""verdict_diff.py A.jsonl B.jsonl: what changed between two scans of the
same targets, each written by

    atrest scan TARGET --format jsonl --inventory -o A.jsonl --fail-on never -q

Objects are keyed by (location, member) and compared by (format, class,
encryption); findings by (location, member, rule); limits and errors by
their whole line. Prints the counts and up to 20 lines of each difference.
Exit 0 whatever differs: the reader judges whether a change was meant."""
import json
import sys

if len(sys.argv) != 3:
    sys.exit("usage: verdict_diff.py A.jsonl B.jsonl")


def load(path):
    objects, findings, other = {}, set(), {"limit": set(), "error": set()}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            kind = r.get("kind")
            key = (r.get("location"), r.get("member"))
            if kind == "object":
                objects[key] = (r.get("format"), r.get("class"), r.get("encryption"))
            elif kind == "finding":
                findings.add(key + (r["rule"],))
            elif kind in other:
                other[kind].add(line.strip())
    return objects, findings, other


(oa, fa, xa), (ob, fb, xb) = load(sys.argv[1]), load(sys.argv[2])
changed = sorted((k for k in oa.keys() | ob.keys() if oa.get(k) != ob.get(k)), key=str)
print(f"objects {len(oa):,} vs {len(ob):,}: {len(changed)} differ")
for k in changed[:20]:
    print(f"  {k[0]} {k[1] or ''}: {oa.get(k)} -> {ob.get(k)}")
print(f"findings {len(fa):,} vs {len(fb):,}: {len(fa - fb)} only in A, {len(fb - fa)} only in B")
for tag, diff in (("A", fa - fb), ("B", fb - fa)):
    for f in sorted(diff, key=str)[:20]:
        print(f"  only {tag}: {f}")
for kind in ("limit", "error"):
    a, b = xa[kind], xb[kind]
    print(f"{kind}s {len(a):,} vs {len(b):,}: {len(a - b)} only in A, {len(b - a)} only in B")
    for tag, diff in (("A", a - b), ("B", b - a)):
        for line in sorted(diff)[:20]:
            print(f"  only {tag}: {line[:300]}")
