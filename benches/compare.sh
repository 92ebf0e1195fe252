#!/usr/bin/env bash
# Compares atrest with the read floor and with peer tools on two trees built by
# benches/compare_tree.py: "mixed" (100,000 files, ~1.2 GB) and "tiny"
# (1,000,000 files of 200-1,500 bytes).
#
#   bash benches/compare.sh [WORKDIR] [compare_tree.py options]
#   bash benches/compare.sh "$TMPDIR/ac" --files 5000 --tiny-files 50000   # small
#   bash benches/compare.sh "$TMPDIR/ac" --scale 0.02                      # CI smoke
#
# WORKDIR defaults to ${TMPDIR:-/tmp}/atrest-compare; trees, a Python venv with
# the PyPI peers (yara-x, magika), helpers and results.md all live there.
# Environment: ATREST (binary; default target/release/atrest, built if
# missing), THREADS (2), RUNS (3), SAMPLE (10000), TREES ("mixed tiny"),
# PIP_INSTALL=0 to use the venv as it is.
#
# Per tree, every tool runs RUNS times in one invocation, round-robin (so the
# load of a shared machine falls on all of them alike), on a warm page cache,
# each round after an untimed pass of the floor.
# The table gives the median wall time, the peak RSS of the largest process
# (GNU time %M) and the cost per object relative to the read floor. Magika and
# libmagic run on a fixed sample of SAMPLE files and are scaled per object.
#
# The read floor: walk the tree and read the first 64 KiB of every file (what
# atrest reads first; it reads more only where it needs a middle or tail
# window, an archive member or a decoded payload -- see "bytes read" below the
# table) with the same thread count. Three versions are timed:
#   floor (C)         a 60-line C program compiled here: one thread walks with
#                     readdir and hands batches of paths to THREADS readers
#                     that open, read 64 KiB and close. No process spawns, no
#                     copies to stdout: the honest floor, and the reference for
#                     the "x floor" column.
#   floor + gunzip    the same program, also inflating every gzip head (all
#                     members, up to 1 MiB out): the part of atrest's work no
#                     scan that looks inside can skip. Built with libdeflate
#                     for whole members, as atrest inflates them, where its
#                     headers are installed; with zlib alone otherwise, about
#                     half as fast (the table names which).
#   floor (find|head) find -print0 | xargs -0 -P THREADS -n 256 head -c 65536,
#                     as in benches/walk_vs_scan.sh: needs nothing but
#                     coreutils, but pays one exec per 256 files and copies
#                     every byte to /dev/null. Used as reference without cc.
# A tool that is not installed gets a "skipped (not installed)" row.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${TMPDIR:-/tmp}/atrest-compare
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then WORK=$1; shift; fi
mkdir -p "$WORK/bin"
WORK=$(cd "$WORK" && pwd)
BIN=${ATREST:-$ROOT/target/release/atrest}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
SAMPLE=${SAMPLE:-10000}
TREES=${TREES:-mixed tiny}
RULES=$ROOT/benches/peers/atrest-equivalent.yar
VENV=$WORK/venv
RAW=$WORK/runs.tsv

if [ ! -x "$BIN" ]; then
  echo "building atrest ($BIN not found)" >&2
  cargo build --release --manifest-path "$ROOT/Cargo.toml" >/dev/null
fi
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (Debian package 'time')" >&2; exit 2; }

# ---------------------------------------------------------------- trees
python3 "$ROOT/benches/compare_tree.py" "$WORK" --trees "$(echo $TREES | tr ' ' ,)" "$@"

# ---------------------------------------------------------------- helpers
have_cc=0 have_z=0
if command -v cc >/dev/null; then
  cat >"$WORK/bin/readfloor.c" <<'C'
/* readfloor DIR THREADS: walk DIR (one thread, readdir) and read the first
 * 64 KiB of every regular file with THREADS reader threads. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define HEAD 65536
#define BATCH 128
#define QCAP 64
typedef struct { int n; char *p[BATCH]; } batch;
static batch *q[QCAP];
static int qh, qn, done;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ne = PTHREAD_COND_INITIALIZER, nf = PTHREAD_COND_INITIALIZER;
static unsigned long long files, bytes;
static batch *cur;
static void push(batch *b) {
  pthread_mutex_lock(&mu);
  while (qn == QCAP) pthread_cond_wait(&nf, &mu);
  q[(qh + qn++) % QCAP] = b;
  pthread_cond_signal(&ne);
  pthread_mutex_unlock(&mu);
}
static void add(char *p) {
  if (!cur) { cur = malloc(sizeof *cur); cur->n = 0; }
  cur->p[cur->n++] = p;
  if (cur->n == BATCH) { push(cur); cur = 0; }
}
static void walk(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  size_t dl = strlen(dir);
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    size_t nl = strlen(e->d_name);
    char *p = malloc(dl + nl + 2);
    memcpy(p, dir, dl); p[dl] = '/'; memcpy(p + dl + 1, e->d_name, nl + 1);
    int t = e->d_type;
    if (t == DT_UNKNOWN) {
      struct stat st;
      t = lstat(p, &st) ? DT_UNKNOWN : S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (t == DT_DIR) { walk(p); free(p); }
    else if (t == DT_REG) add(p);
    else free(p);
  }
  closedir(d);
}
#ifdef GUNZIP
#include <zlib.h>
/* Inflates a gzip head (every member, as atrest does) up to 1 MiB of
 * output into a scratch buffer: the decompression no scan can skip. */
static unsigned long long zlib_gunzip(unsigned char *in, size_t n, unsigned char *out) {
  z_stream s; memset(&s, 0, sizeof s);
  if (inflateInit2(&s, 15 + 16) != Z_OK) return 0;
  s.next_in = in; s.avail_in = n;
  unsigned long long total = 0;
  for (;;) {
    s.next_out = out; s.avail_out = HEAD;
    int rc = inflate(&s, Z_NO_FLUSH);
    total += HEAD - s.avail_out;
    if (rc == Z_STREAM_END && s.avail_in > 0 && total < (1u << 20)) { inflateReset(&s); continue; }
    if (rc != Z_OK || total >= (1u << 20)) break;
  }
  inflateEnd(&s);
  return total;
}
#ifdef LIBDEFLATE
#include <libdeflate.h>
/* As atrest does: whole members in the head with libdeflate (about twice
 * zlib's speed), zlib's streaming inflate for a member the head cuts. */
static unsigned long long gunzip(unsigned char *in, size_t n, unsigned char *out) {
  static __thread struct libdeflate_decompressor *d;
  static __thread unsigned char *big;
  if (!d) { d = libdeflate_alloc_decompressor(); big = malloc(1u << 20); }
  unsigned long long total = 0;
  size_t at = 0;
  while (at < n && total < (1u << 20)) {
    size_t used = 0, got = 0;
    if (libdeflate_gzip_decompress_ex(d, in + at, n - at, big, (1u << 20) - total, &used, &got) != LIBDEFLATE_SUCCESS)
      return total + zlib_gunzip(in + at, n - at, out);
    total += got; at += used;
  }
  return total;
}
#else
#define gunzip zlib_gunzip
#endif
static unsigned long long inflated;
#endif
static void *reader(void *arg) {
  (void)arg;
  char *buf = malloc(HEAD);
  unsigned long long f = 0, b = 0;
#ifdef GUNZIP
  unsigned char *out = malloc(HEAD);
  unsigned long long z = 0;
#endif
  for (;;) {
    pthread_mutex_lock(&mu);
    while (!qn && !done) pthread_cond_wait(&ne, &mu);
    if (!qn) { pthread_mutex_unlock(&mu); break; }
    batch *x = q[qh]; qh = (qh + 1) % QCAP; qn--;
    pthread_cond_signal(&nf);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < x->n; i++) {
      int fd = open(x->p[i], O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
      if (fd >= 0) {
        size_t got = 0; ssize_t r;
        while (got < HEAD && (r = read(fd, buf + got, HEAD - got)) > 0) got += r;
        close(fd); f++; b += got;
#ifdef GUNZIP
        if (got >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b)
          z += gunzip((unsigned char *)buf, got, out);
#endif
      }
      free(x->p[i]);
    }
    free(x);
  }
  pthread_mutex_lock(&mu); files += f; bytes += b; pthread_mutex_unlock(&mu);
#ifdef GUNZIP
  pthread_mutex_lock(&mu); inflated += z; pthread_mutex_unlock(&mu);
  free(out);
#endif
  free(buf);
  return 0;
}
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: readfloor DIR THREADS\n"); return 2; }
  int n = atoi(argv[2]);
  pthread_t th[256];
  if (n < 1 || n > 256) return 2;
  for (int i = 0; i < n; i++) pthread_create(&th[i], 0, reader, 0);
  walk(argv[1]);
  if (cur) push(cur);
  pthread_mutex_lock(&mu); done = 1; pthread_cond_broadcast(&ne); pthread_mutex_unlock(&mu);
  for (int i = 0; i < n; i++) pthread_join(th[i], 0);
  printf("%llu files %llu bytes\n", files, bytes);
#ifdef GUNZIP
  printf("%llu bytes inflated\n", inflated);
#endif
  return 0;
}
C
  if cc -O2 -pthread -o "$WORK/bin/readfloor" "$WORK/bin/readfloor.c"; then have_cc=1; fi
  # The same inflating every gzip head: with libdeflate where its headers
  # are installed (Debian libdeflate-dev), as atrest inflates them, else
  # with zlib alone (zlib1g-dev), which is slower and flatters atrest.
  if cc -O2 -pthread -DGUNZIP -DLIBDEFLATE -o "$WORK/bin/readfloor-z" "$WORK/bin/readfloor.c" -ldeflate -lz 2>/dev/null; then
    have_z=1; echo libdeflate >"$WORK/bin/readfloor-z.inflater"
  elif cc -O2 -pthread -DGUNZIP -o "$WORK/bin/readfloor-z" "$WORK/bin/readfloor.c" -lz 2>/dev/null; then
    have_z=1; echo zlib >"$WORK/bin/readfloor-z.inflater"
  fi
fi

# YARA-X's Python module holds the GIL while it scans, so THREADS processes.
cat >"$WORK/bin/yrx_scan.py" <<'PY'
import multiprocessing as mp, os, sys
import yara_x
rules_src, root, procs = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3])
scanner = None
def init():
    global scanner
    scanner = yara_x.Scanner(yara_x.compile(rules_src))
def scan(path):
    try:
        names = [r.identifier for r in scanner.scan_file(path).matching_rules]
    except Exception:
        return 0, 1
    return int(any(n.startswith("audio_") for n in names)), 0
def paths():
    for d, _, fs in os.walk(root):
        for f in fs:
            yield os.path.join(d, f)
if __name__ == "__main__":
    with mp.get_context("fork").Pool(procs, init) as pool:
        audio = errors = 0
        for a, e in pool.imap_unordered(scan, paths(), chunksize=256):
            audio += a; errors += e
    print(f"audio {audio} errors {errors}")
PY

if [ "${PIP_INSTALL:-1}" != 0 ]; then
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV" || true; fi
  if [ -x "$VENV/bin/pip" ]; then
    for pkg in yara-x magika; do
      mod=${pkg//-/_}
      "$VENV/bin/python" -c "import $mod" 2>/dev/null ||
        "$VENV/bin/pip" install -q "$pkg" >&2 || echo "pip install $pkg failed" >&2
    done
  fi
fi
have_yrx=0; "$VENV/bin/python" -c "import yara_x" 2>/dev/null && have_yrx=1
MAGIKA=""; [ -x "$VENV/bin/magika" ] && MAGIKA=$VENV/bin/magika
command -v magika >/dev/null && [ -z "$MAGIKA" ] && MAGIKA=$(command -v magika)

versions() {
  echo "- atrest: $("$BIN" --version 2>/dev/null | head -1)"
  [ $have_yrx = 1 ] && echo "- yara-x (Python module): $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("yara-x"))')"
  command -v yara >/dev/null && echo "- YARA: $(yara -v)"
  [ -n "$MAGIKA" ] && echo "- magika: $("$MAGIKA" --version 2>/dev/null | head -1)"
  command -v file >/dev/null && echo "- libmagic: $(file --version 2>/dev/null | head -1)"
  echo "- machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
}

# ---------------------------------------------------------------- one timed run
# run TREE TOOL ROUND CMD: appends "tree tool round wall rss rc" to $RAW.
run() {
  local tree=$1 tool=$2 round=$3 cmd=$4 rc=0 out=/dev/null
  # The first round keeps stdout (reports, matches) for the table's counts;
  # the others write to /dev/null.
  [ "$round" = 1 ] && out=$WORK/$tree.$tool.out
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$WORK/time.out" bash -c "$cmd" >"$out" 2>"$WORK/$tree.$tool.err" || rc=$?
  t1=$(date +%s%N)
  # GNU time writes "Command exited with non-zero status N" before the number.
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tree" "$tool" "$round" "$(((t1 - t0) / 1000))e-6" \
    "$(tail -1 "$WORK/time.out")" "$rc" >>"$RAW"
}

for tree in $TREES; do
  T=$WORK/trees/$tree
  [ -d "$T" ] || { echo "no tree $T" >&2; exit 2; }
  (cd "$T" && find . -type f | LC_ALL=C sort | sed "s|^\.|$T|") >"$WORK/$tree.files"
  N=$(wc -l <"$WORK/$tree.files")
  awk -v n="$N" -v s="$SAMPLE" 'BEGIN { k = n / s; if (k < 1) k = 1; next_ = 0 }
       NR - 1 >= next_ { print; next_ += k }' "$WORK/$tree.files" | head -n "$SAMPLE" >"$WORK/$tree.sample"
  NS=$(wc -l <"$WORK/$tree.sample")
  echo "== $tree: $N files, sample $NS; warming the page cache" >&2
  xargs -d '\n' -n 1000 cat <"$WORK/$tree.files" >/dev/null

  declare -A CMD=() OBJ=() NOTE=()
  tools=()
  add() { tools+=("$1"); OBJ[$1]=$2; CMD[$1]=$3; NOTE[$1]=${4:-}; }
  skip() { tools+=("$1"); OBJ[$1]=$2; CMD[$1]=""; NOTE[$1]="skipped (not installed)"; }
  if [ $have_cc = 1 ]; then add floor-c "$N" "'$WORK/bin/readfloor' '$T' $THREADS"; else skip floor-c "$N"; fi
  if [ $have_z = 1 ]; then add floor-z "$N" "'$WORK/bin/readfloor-z' '$T' $THREADS" "inflates gzip heads"; else skip floor-z "$N"; fi
  add floor-find "$N" "find '$T' -type f -print0 | xargs -0 -P $THREADS -n 256 head -q -c 65536 >/dev/null"
  add atrest "$N" "'$BIN' scan '$T' --format json -j $THREADS --fail-on never --progress never"
  if [ $have_yrx = 1 ]; then
    add yara-x "$N" "'$VENV/bin/python' '$WORK/bin/yrx_scan.py' '$RULES' '$T' $THREADS" "Python module, $THREADS processes"
  else skip yara-x "$N"; fi
  if command -v yara >/dev/null; then
    add yara "$N" "yara -p $THREADS -r -N -w '$RULES' '$T'"
  else skip yara "$N"; fi
  if [ -n "$MAGIKA" ]; then
    add magika "$NS" "xargs -d '\n' -n 2000 '$MAGIKA' --no-colors --format '%m' <'$WORK/$tree.sample'" "sample of $NS"
  else skip magika "$NS"; fi
  if command -v file >/dev/null; then
    add libmagic "$NS" "xargs -d '\n' -P $THREADS -n 256 file -b --mime-type <'$WORK/$tree.sample'" "sample of $NS"
  else skip libmagic "$NS"; fi

  : >"$RAW"
  for ((r = 1; r <= RUNS; r++)); do
    # An untimed floor pass first: after the sampled tools, the first timed
    # walk of a round ran 1.5-1.8x slower than the same program right after
    # it (the C floor with and without zlib on the tiny tree, which holds no
    # gzip: 0.81-0.97 s against 0.55-0.59 s), which flattered every ratio.
    if [ $have_cc = 1 ]; then "$WORK/bin/readfloor" "$T" "$THREADS" >/dev/null; fi
    for tool in "${tools[@]}"; do
      [ -n "${CMD[$tool]}" ] || continue
      echo "   round $r/$RUNS: $tool" >&2
      run "$tree" "$tool" "$r" "${CMD[$tool]}"
    done
  done

  for tool in "${tools[@]}"; do
    printf '%s\t%s\t%s\n' "$tool" "${OBJ[$tool]}" "${NOTE[$tool]}"
  done >"$WORK/tools.tsv"
  {
    echo
    echo "### $tree: $N files, $(du -sh --apparent-size "$T" | cut -f1)B ($(date -u +%Y-%m-%dT%H:%MZ), $THREADS threads, median of $RUNS)"
    echo
    python3 - "$WORK" "$tree" "$N" <<'PY'
import json, os, statistics, sys
work, tree, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}
for line in open(os.path.join(work, "runs.tsv")):
    t, tool, r, wall, rss, rc = line.rstrip("\n").split("\t")
    runs.setdefault(tool, []).append((float(wall), int(rss), int(rc)))
tools = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "tools.tsv"))]
def out(tool):
    try:
        return open(os.path.join(work, f"{tree}.{tool}.out")).read()
    except OSError:
        return ""
ok_rc = {"atrest": {0, 1, 3}}
per = {}
for tool, obj, note in tools:
    if tool in runs:
        rcs = {rc for _, _, rc in runs[tool]}
        if rcs <= ok_rc.get(tool, {0}):
            per[tool] = statistics.median(w for w, _, _ in runs[tool]) / int(obj)
ref = "floor-c" if "floor-c" in per else "floor-find"
inflater = "zlib"
if os.path.exists(os.path.join(work, "bin", "readfloor-z.inflater")):
    inflater = open(os.path.join(work, "bin", "readfloor-z.inflater")).read().strip()
names = {"floor-c": "read floor (C, 64 KiB heads)", "floor-z": f"read floor + gunzip (C, {inflater})", "floor-find": "read floor (find, xargs head)",
         "atrest": "atrest scan", "yara-x": "YARA-X", "yara": "YARA 4", "magika": "Magika",
         "libmagic": "libmagic (file --mime-type)"}
def audio(tool):
    o = out(tool)
    if tool == "atrest":
        try:
            s = json.loads(o)["summary"]
            return f"{s['by_class']['audio']}", s
        except Exception:
            return "?", None
    if tool == "yara":
        return str(len({l.split(" ", 1)[1] for l in o.splitlines() if l.startswith("audio_")})), None
    if tool == "yara-x":
        return (o.split()[1] if o.startswith("audio") else "?"), None
    if tool in ("magika", "libmagic"):
        return str(sum(1 for l in o.splitlines() if l.strip().startswith("audio/"))), None
    return "", None
print("| tool | objects timed | wall s (median) | µs / object | peak RSS MiB | × floor | audio flagged | notes |")
print("|---|--:|--:|--:|--:|--:|--:|---|")
summary = None
for tool, obj, note in tools:
    name = names.get(tool, tool)
    if tool not in runs:
        print(f"| {name} | {int(obj):,} | – | – | – | – | – | {note} |")
        continue
    rs = runs[tool]
    wall = statistics.median(w for w, _, _ in rs)
    rss = max(m for _, m, _ in rs) / 1024
    bad = sorted({rc for _, _, rc in rs} - ok_rc.get(tool, {0}))
    if bad:
        note = (note + "; " if note else "") + f"failed (exit {bad[0]})"
    ratio = f"{per[tool] / per[ref]:.2f}" if tool in per and per.get(ref) else "–"
    a, s = audio(tool)
    if s:
        summary = s
    print(f"| {name} | {int(obj):,} | {wall:.3f} | {wall / int(obj) * 1e6:,.1f} | {rss:,.0f} | {ratio} | {a} | {note} |")
print()
notes = [f"× floor = (µs/object) ÷ (µs/object of {names[ref]}); sampled tools are scaled per object. "
         "Peak RSS is the largest single process (GNU time %M), max over the runs."]
if summary:
    notes.append(f"atrest read {summary['bytes_read'] / max(1, summary['objects_scanned']):,.0f} bytes/object "
                 f"(the floor reads ≤ 65,536): findings {summary['findings']}, by class {summary['by_class']}, "
                 f"errors {summary['errors']}.")
fl = out("floor-c").split()
if len(fl) >= 4:
    notes.append(f"floor read {int(fl[2]) / max(1, int(fl[0])):,.0f} bytes/object over {int(fl[0]):,} files.")
fz = out("floor-z").split()
if len(fz) >= 5 and per.get("floor-z") and per.get("atrest"):
    notes.append(f"floor + gunzip inflated {int(fz[4]):,} bytes; atrest ÷ (floor + gunzip) = "
                 f"{per['atrest'] / per['floor-z']:.2f}.")
stamp = os.path.join(work, "trees", f"{tree}.json")
if os.path.exists(stamp):
    k = json.load(open(stamp))["kinds"]
    audio_kinds = {x: v["files"] for x, v in k.items() if x in ("wav", "mp3", "ogg", "flac", "m4a")}
    notes.append(f"audio files in the tree: {sum(audio_kinds.values())} {audio_kinds} "
                 f"(\"audio flagged\" of sampled tools counts audio/* MIME types in the sample).")
for n_ in notes:
    print(f"- {n_}")
PY
  } | tee -a "$WORK/results.md.part"
  unset CMD OBJ NOTE
done
{
  echo
  echo "## atrest vs read floor and peers ($(date -u +%Y-%m-%d))"
  echo
  versions
  cat "$WORK/results.md.part"
} >>"$WORK/results.md"
rm -f "$WORK/results.md.part"
echo >&2
echo "appended to $WORK/results.md" >&2
