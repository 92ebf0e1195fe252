#!/usr/bin/env python3
"""Real-world accuracy benchmark: files atrest's authors did not make.

benches/realworld.sh downloads Debian packages and PyPI sdists/wheels and
extracts each into WORKDIR/x/{deb,pypi}/NAME. This script then

    python3 benches/realworld.py build DIR   # pick + label files -> DIR/corpus, DIR/labels.tsv
    ATREST=path python3 benches/realworld.py scan DIR    # -> DIR/report.json
    python3 benches/realworld.py score DIR   # recall / false positives, misses listed

Labels: `audio` (a recording: speech, music, effects, telephony prompts,
video with a sound track, an archive or compressed stream holding one),
`biometric` (a biometric sample in a record format), `neither`, and two
unscored ones that are reported with atrest's verdict but not counted:
`doubt` (tag-only or zero-sample files, deliberately broken test files that
nothing decodes) and `out-of-scope` (instrument sample banks, tracker
modules, speech-synthesis unit databases, face photographs in plain JPEG).

A label comes from the extension AND a second opinion: ffprobe must find an
audio stream with a duration for `audio`; file(1) names the rest. Where the
two disagree the file is `doubt` unless OVERRIDES (reviewed by hand, with the
reason) says otherwise.
"""
import concurrent.futures
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter, defaultdict

CAP = 40  # files per (source, extension): keeps one package from dominating

AUDIO_FAMILY = {
    "wav": "wav", "bwf": "wav", "w64": "wav",
    "mp3": "mpeg-audio", "mp2": "mpeg-audio", "mpa": "mpeg-audio",
    "ogg": "ogg", "oga": "ogg", "opus": "ogg", "spx": "ogg", "oggflac": "ogg",
    "flac": "flac",
    "m4a": "mp4-audio", "m4b": "mp4-audio", "3g2": "mp4-audio", "aac": "aac",
    "aif": "aiff", "aiff": "aiff", "aifc": "aiff",
    "au": "au", "snd": "au",
    "wma": "asf", "asf": "asf",
    "ape": "ape", "mpc": "musepack", "wv": "wavpack", "tta": "tta", "tak": "tak",
    "ofr": "optimfrog", "ofs": "optimfrog", "shn": "shorten",
    "dsf": "dsd", "dff": "dsd",
    "ac3": "ac3", "eac3": "ac3", "amr": "amr", "caf": "caf", "sph": "sphere", "voc": "voc",
    "gsm": "gsm-headerless", "g722": "g722-headerless",
    "raw": "pcm-headerless", "pcm": "pcm-headerless", "sln": "pcm-headerless",
    "ulaw": "g711-headerless", "alaw": "g711-headerless", "ul": "g711-headerless", "al": "g711-headerless",
}
HEADERLESS = {"gsm", "g722", "raw", "pcm", "sln", "ulaw", "alaw", "ul", "al"}
VIDEO_EXT = {"mp4", "m4v", "mkv", "webm", "avi", "mov", "flv", "mpg", "mpeg", "ogv", "oggtheora", "3gp", "ts", "wmv", "mka"}
BIOMETRIC_EXT = {"wsq", "an2", "eft", "nist", "fmr", "fir", "fac", "iir", "sdi", "vir"}
TAG_ONLY_EXT = {"id3", "apev2"}
SAMPLE_BANK_EXT = {"pat": "gus-patch", "sf2": "soundfont", "sf3": "soundfont", "xm": "tracker-module",
                   "mod": "tracker-module", "it": "tracker-module", "s3m": "tracker-module"}
ARCHIVE_EXT = {"zip", "jar", "whl", "tar", "tgz"}
COMPRESSED_EXT = {"gz", "bz2", "xz", "zst", "lz4", "dz"}

NEG_FAMILY = {}
for fam, exts in {
    "font": "ttf otf ttc pfb pfm t1 afm pcf bdf woff woff2 eot font",
    "image": "png jpg jpeg gif bmp svg webp tif tiff ico icns xpm xbm tga dds psd eps avif avifs jp2 j2k jpf sgi blp "
             "pcx ppm pgm pbm pnm fli flc mpo cur ani heif qoi ras xcf dib dcx im fpx pcd wal gbr ggr apng rgb bw icon "
             "wmf emf im1 gd ftc ftu msp pxr sprite",
    "text-or-source": "txt rst md html xml json csv po pot py pyi pyx pxd pxi c h cc cpp hpp js css scss less sh bat "
                      "ini cfg conf toml yaml yml in ui glsl desktop theme service scm tex ipynb template gram fsg "
                      "lab ctl fileids transcription dic aff alias multi def pl l y rules patch override debian",
    "gettext-catalog": "mo qm",
    "python-bytecode-or-pickle": "pyc pickle pkl",
    "numeric-array": "npy npz mat sav arff nc fits h5 mfc logspec f0 cepview",
    "ml-model": "onnx safetensors jit tiktoken traineddata htsvoice",
}.items():
    for e in exts.split():
        NEG_FAMILY[e] = fam

# Hand review of what the extension and the second opinion could not settle.
# (source glob, path glob) -> (label, family or None to keep, reason)
OVERRIDES = [
    # Headerless speech: decoded by hand with `sox -t raw -r 16000 -e signed -b 16 -c 1 F -n stat`
    # (speech-like RMS 0.03-0.13, ~1 kHz rough frequency; the big-endian reading is noise).
    ("pypi:pocketsphinx", "*.raw", "audio", "pcm-headerless", "s16le speech, checked with sox stat"),
    ("pypi:webrtcvad", "*/test-audio.raw", "audio", "pcm-headerless", "s16le speech, checked with sox stat"),
    ("pypi:soundfile", "*/mono.raw", "doubt", None, "10 bytes"),
    ("deb:frozen-bubble-data", "*/plasma.raw", "neither", "raw-image", "640x480 8-bit plasma image for a screen effect"),
    # Formats ffmpeg does not decode, or decodes only with the right demuxer.
    ("pypi:mutagen", "*/silence-2s-44100-16.of[rs]", "audio", "optimfrog", "OptimFROG 2 s (ffmpeg has no decoder)"),
    ("pypi:mutagen", "*/adif.aac", "audio", "aac", "AAC ADIF, cut at 4 KiB (file(1): MPEG ADIF)"),
    ("pypi:mutagen", "*/5644800-2ch-s01-silence-dst.dff", "audio", "dsd", "DSDIFF with DST compression (file(1) agrees)"),
    ("pypi:scipy", "*/test-44100Hz-2ch-32bit-float-be.wav", "audio", "wav/rifx", "RIFX big-endian WAVE, 3.5 KiB of samples"),
    ("pypi:scipy", "*/test-44100Hz-be-1ch-4bytes.wav", "audio", "wav/rifx", "RIFX big-endian WAVE, 17 KiB of samples"),
    # A game's sound catalogue: an offset table, then 73 RIFF WAVE files back to back.
    ("deb:openttd-opensfx", "*/opensfx.cat", "audio", "container-of-wav", "OpenTTD sound catalogue of embedded WAVs"),
    # Speech-synthesis unit databases: LPC residuals or sampled phoneme fragments, not recordings.
    ("deb:festvox-*", "*.group", "out-of-scope", "speech-unit-db", "festival diphone group file (LPC coefficients + residuals)"),
    ("deb:espeak-ng-data", "*/phondata", "out-of-scope", "speech-unit-db", "espeak phoneme data (formant tables + short sampled consonants)"),
    # Portable FloatMap images, not Printer Font Metrics.
    ("pypi:pillow", "*.pfm", "neither", "image", "Portable FloatMap image (Pillow test image)"),
    # Face photographs: biometric in law, but plain JPEGs are no record format atrest claims.
    ("pypi:face-recognition", "*/test_images/*.jpg", "out-of-scope", "face-photo", "face photograph, plain JPEG"),
    ("pypi:nistitl", "*/portrait.jpg", "out-of-scope", "face-photo", "face photograph, plain JPEG"),
    # file(1) misreads a trigram table as "GTA audio index".
    ("deb:libkkc-data", "*.3gram", "neither", "language-model", "libkkc trigram language model"),
]
# Files taken whatever the per-extension cap says (matched on "SOURCE/PATH"):
# speech-technology data, and whole test-data folders (scipy, mutagen, pocketsphinx ...).
ALWAYS = ["*/espeak-ng-data/phon*", "*/kal_diphone/group/*", "*/opensfx.cat", "deb:pocketsphinx-en-us/*",
          "*/tests/data/*", "*/test/data/*.raw"]

SKIP_DIRS = ("/.git/",)


def sh(*args, timeout=60):
    try:
        return subprocess.run(args, capture_output=True, timeout=timeout).stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return ""


def ext_of(name):
    base = os.path.basename(name).lower()
    return base.rsplit(".", 1)[1] if "." in base.strip(".") else ""


def ffprobe(path, fmt=None):
    args = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    if fmt:
        args += ["-f", fmt]
    out = sh(*args, path, timeout=30)
    try:
        j = json.loads(out or "{}")
    except json.JSONDecodeError:
        return None
    fmt_name = j.get("format", {}).get("format_name")
    if not fmt_name:
        return None
    dur = j.get("format", {}).get("duration")
    audio = [s for s in j.get("streams", []) if s.get("codec_type") == "audio"]
    video = [s for s in j.get("streams", []) if s.get("codec_type") == "video" and s.get("disposition", {}).get("attached_pic") != 1]
    adur = max([float(s.get("duration") or 0) for s in audio] + [float(dur or 0)]) if audio else 0.0
    return {
        "format": fmt_name,
        "probe_score": j.get("format", {}).get("probe_score"),
        "audio": ",".join(s.get("codec_name", "?") for s in audio),
        "video": ",".join(s.get("codec_name", "?") for s in video),
        "duration": round(adur, 3),
    }


def file_magic(paths):
    out = {}
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        res = sh("file", "-b", "-N", "--", *chunk, timeout=600).rstrip("\n").split("\n")
        if len(res) != len(chunk):
            res = [sh("file", "-b", "--", p).strip() for p in chunk]
        out.update(zip(chunk, (r.strip() for r in res)))
    return out


def archive_members(path, ext):
    try:
        if ext in ("zip", "jar", "whl") or zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                return [(i.filename, i.file_size) for i in z.infolist()]
        with tarfile.open(path) as t:
            return [(m.name, m.size) for m in t.getmembers() if m.isfile()]
    except Exception:
        return None


def collect(root):
    """Every regular file under x/, sampled to CAP per (source, extension)."""
    groups = defaultdict(list)
    for kind in ("deb", "pypi"):
        base = os.path.join(root, "x", kind)
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            if name.endswith(".tmp"):
                continue
            top = os.path.join(base, name)
            for dirpath, _, files in os.walk(top):
                if any(s in dirpath + "/" for s in SKIP_DIRS):
                    continue
                for f in files:
                    p = os.path.join(dirpath, f)
                    if os.path.islink(p) or not os.path.isfile(p) or os.path.getsize(p) == 0:
                        continue
                    rel = os.path.relpath(p, top)
                    groups[(f"{kind}:{name}", ext_of(f))].append(rel)
    picked = []
    for (source, ext), rels in sorted(groups.items()):
        rels.sort(key=lambda r: hashlib.sha1(r.encode()).hexdigest())
        keep = set(rels[:CAP]) | {r for r in rels if any(fnmatch.fnmatch(f"{source}/{r}", g) for g in ALWAYS)}
        for rel in sorted(keep):
            picked.append((source, ext, rel))
    return picked


def srcdir(root, source):
    kind, name = source.split(":", 1)
    return os.path.join(root, "x", kind, name)


def label_one(root, source, ext, rel, magic):
    """-> (label, family, detail, basis)"""
    path = os.path.join(srcdir(root, source), rel)
    m = magic.get(path, "")
    for sglob, pglob, label, family, reason in OVERRIDES:
        if fnmatch.fnmatch(source, sglob) and fnmatch.fnmatch(rel, pglob):
            fam = family or (AUDIO_FAMILY.get(ext) or NEG_FAMILY.get(ext) or "other")
            return label, fam, "", "override: " + reason
    inner = ext
    if ext in COMPRESSED_EXT:
        inner = ext_of(rel[: -len(ext) - 1])
        if inner in AUDIO_FAMILY or inner in VIDEO_EXT:
            return "doubt", "compressed-audio", m[:60], "compressed audio: review"
        return "neither", "compressed-" + (NEG_FAMILY.get(inner) or "data"), m[:60], "ext+file"
    if ext in ARCHIVE_EXT or (m.startswith("Zip archive") and ext not in NEG_FAMILY):
        members = archive_members(path, ext) or []
        av = [n for n, s in members if s > 0 and (ext_of(n) in AUDIO_FAMILY or ext_of(n) in VIDEO_EXT)]
        if av:
            return "audio", "archive-with-audio", f"{len(av)}/{len(members)} media members, e.g. {av[0]}", "archive listing"
        return "neither", "archive", f"{len(members)} members", "archive listing"
    if ext in BIOMETRIC_EXT:
        return "biometric", "biometric-" + ext, m[:60], "ext"
    if ext in TAG_ONLY_EXT:
        fp = ffprobe(path)
        if fp and fp["audio"] and fp["duration"] > 0:
            return "audio", "mpeg-audio", f"{fp['format']} {fp['audio']} {fp['duration']}s", "ffprobe finds frames after the tag"
        return "doubt", "tag-only", m[:60], "a tag without audio frames"
    if ext in SAMPLE_BANK_EXT:
        return "out-of-scope", SAMPLE_BANK_EXT[ext], m[:60], "instrument samples, not a recording"
    if ext in AUDIO_FAMILY or ext in VIDEO_EXT:
        fmt = {"gsm": "gsm", "g722": "g722"}.get(ext)
        fp = ffprobe(path, fmt)
        if ext in VIDEO_EXT:
            if fp and fp["audio"] and fp["duration"] > 0:
                return "audio", "video-with-audio", f"{fp['format']} a={fp['audio']} v={fp['video']} {fp['duration']}s", "ext+ffprobe"
            if fp and not fp["audio"]:
                return "neither", "video-no-audio", f"{fp['format']} v={fp['video']}", "ext+ffprobe"
            return "doubt", "video-with-audio", str(fp), "ffprobe cannot decode"
        fam = AUDIO_FAMILY[ext]
        if fp and fp["audio"] and fp["duration"] > 0 and ext not in HEADERLESS:
            if fam == "ogg" or fam == "wav" or fam == "mp4-audio":
                fam = f"{fam}/{fp['audio']}"
            return "audio", fam, f"{fp['format']} {fp['audio']} {fp['duration']}s", "ext+ffprobe"
        if ext == "gsm":
            with open(path, "rb") as f:
                b = f.read()
            n = len(b) // 33
            if n and len(b) % 33 == 0 and all(b[i * 33] >> 4 == 0xD for i in range(n)):
                return "audio", fam, f"{n} GSM 06.10 frames", "ext+frame signature (0xD_ every 33 bytes)"
        if ext == "g722" and fp and fp["duration"] > 0 and source.startswith("deb:asterisk"):
            # No signature to check: Asterisk's prompt packages say what they hold.
            return "audio", fam, f"{fp['duration']}s as G.722", "ext+package (asterisk prompts)"
        if ext in HEADERLESS:
            return "doubt", fam, m[:60], "headerless: review"
        if fp and fp["audio"]:
            return "doubt", fam, f"{fp['format']} {fp['audio']} 0 s", "no samples (ffprobe duration 0)"
        return "doubt", fam, f"ffprobe: no audio; file: {m[:60]}", "nothing decodes it"
    # Not an audio name: file(1) names it; ffprobe double-checks unknown binaries.
    fam = NEG_FAMILY.get(ext)
    if "text" in m.lower() or fam == "text-or-source":
        with open(path, "rb") as f:
            head = f.read(1 << 20)
        if b"data:audio/" in head:
            return "audio", "encoded-in-text", "data:audio/ URI", "text holding a base64 data:audio URI"
    if fam is None:
        low = m.lower()
        if low.startswith("elf"):
            fam = "elf"
        elif "image" in low or "bitmap" in low:
            fam = "image"
        elif "font" in low:
            fam = "font"
        elif "sqlite" in low or "berkeley db" in low or "database" in low:
            fam = "database"
        elif "text" in low:
            fam = "text-or-source"
        elif "compressed" in low or "archive" in low:
            fam = "compressed-data"
        elif "audio" in low or "sound" in low or "wave" in low:
            fp = ffprobe(path)
            return "doubt", "audio-unnamed", f"file: {m[:60]}; ffprobe: {fp}", "file(1) says audio"
        else:
            fam = "other-binary"
    if fam in ("other-binary", "numeric-array", "database"):
        fp = ffprobe(path)
        # ffprobe guesses a format for almost anything at low probe scores;
        # only a confident guess with real duration is worth a second look.
        if fp and fp["audio"] and (fp["probe_score"] or 0) >= 50 and fp["duration"] > 0.5:
            return "doubt", "audio-unnamed", f"ffprobe: {fp}; file: {m[:60]}", "ffprobe finds audio"
    return "neither", fam, m[:60], "ext+file"


def build(root):
    picked = collect(root)
    paths = [os.path.join(srcdir(root, s), r) for s, _, r in picked]
    magic = file_magic(paths)
    corpus = os.path.join(root, "corpus")
    shutil.rmtree(corpus, ignore_errors=True)
    rows = []

    def work(item):
        s, e, r = item
        return item, label_one(root, s, e, r, magic)

    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        for (source, ext, rel), (label, family, detail, basis) in ex.map(work, picked):
            src = os.path.join(srcdir(root, source), rel)
            crel = os.path.join(source.replace(":", "/"), rel)
            dst = os.path.join(corpus, crel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
            rows.append((crel, label, family, source, ext or "-", os.path.getsize(src), basis, detail.replace("\t", " ").replace("\n", " ")))
    rows.sort()
    with open(os.path.join(root, "labels.tsv"), "w") as f:
        f.write("path\tlabel\tfamily\tsource\text\tsize\tbasis\tdetail\n")
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")
    c = Counter(r[1] for r in rows)
    print(f"{len(rows)} files in {corpus}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())), file=sys.stderr)


def scan(root):
    atrest = os.environ.get("ATREST")
    if not atrest:
        sys.exit("set ATREST=path/to/atrest")
    # Run from DIR so locations read corpus/<source>/<path>.
    r = subprocess.run([os.path.abspath(atrest), "scan", "corpus", "--format", "json", "--inventory",
                        "--fail-on", "never", "-o", "report.json"], cwd=root)
    if r.returncode not in (0, 1, 3):
        sys.exit(f"atrest exited {r.returncode}")


def load(root):
    labels = []
    with open(os.path.join(root, "labels.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            labels.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    report = json.load(open(os.path.join(root, "report.json")))
    findings = defaultdict(list)
    for x in report["findings"]:
        findings[os.path.relpath(x["location"], "corpus")].append(x)
    verdict, members = {}, defaultdict(list)
    for o in report.get("objects", []):
        rel = os.path.relpath(o["location"], "corpus")
        if o.get("member") is None:
            verdict[rel] = o
        else:
            members[rel].append(o)
    return labels, findings, verdict, members, report


def mechanism(row, fs, v, mems):
    """The known cause of a miss or false positive (see benches/REALWORLD.md)."""
    fam = row["family"]
    if row["label"] in ("audio", "biometric"):
        if fam == "g722-headerless":
            return "headerless G.722 (Asterisk prompts) not recognised"
        if fam in ("tak", "optimfrog"):
            return f"{fam} signature not recognised"
        if fam == "aac" and v and v.get("format") == "binary":
            return "AAC ADIF header not recognised"
        if any(m.get("format") in ("mp4", "mov") and m.get("class") != "audio" for m in mems + [v or {}]):
            return "MP4 moov bigger than the 64 KiB head: the sound trak's hdlr lies beyond it"
        if fam == "pcm-headerless":
            return "headerless PCM: pieces that are mostly pauses fail the s16 byte-lane test"
        return "unexplained"
    ev = fs[0].get("evidence") or {}
    if ev.get("codec") == "mp1":
        return "MPEG Layer I frame chain found in periodic records (0xFF fields every 16 bytes)"
    if fs[0]["format"] == "raw-pcm":
        if str(ev.get("codec", "")).startswith("f32"):
            return "raw-pcm f32: smooth float tables (model weights, LM scores, float images) pass the f32 test"
        return "raw-pcm: uncompressed raster image rows read as PCM"
    return "unexplained"


def flagged(fs):
    return [x for x in fs if x["category"] in ("audio", "biometric")]


def describe(rel, findings, verdict):
    fs = flagged(findings.get(rel, []))
    if fs:
        x = fs[0]
        ev = json.dumps(x.get("evidence"), separators=(",", ":"))
        mem = f" member={x['member']}" if x.get("member") else ""
        return f"{x['rule']} format={x['format']} enc={x['encryption']}{mem} evidence={ev[:300]}"
    v = verdict.get(rel)
    if not v:
        return "not in inventory"
    return f"format={v.get('format')} class={v.get('class')} enc={v.get('encryption')} state={v.get('state')}"


def score(root):
    labels, findings, verdict, members, report = load(root)
    by_fam = defaultdict(lambda: [0, 0])
    by_src = defaultdict(lambda: [0, 0, 0, 0])  # audio n, hit, neither n, fp
    misses, fps, unscored = [], [], []
    totals = defaultdict(lambda: [0, 0])
    for row in labels:
        rel, label = row["path"], row["label"]
        hit = bool(flagged(findings.get(rel, [])))
        if label in ("audio", "biometric"):
            key = (label, row["family"])
            by_fam[key][0] += 1
            by_fam[key][1] += hit
            totals[label][0] += 1
            totals[label][1] += hit
            by_src[row["source"]][0] += 1
            by_src[row["source"]][1] += hit
            if not hit:
                misses.append(row)
        elif label == "neither":
            key = ("neither", row["family"])
            by_fam[key][0] += 1
            by_fam[key][1] += hit
            totals["neither"][0] += 1
            totals["neither"][1] += hit
            by_src[row["source"]][2] += 1
            by_src[row["source"]][3] += hit
            if hit:
                fps.append(row)
        else:
            unscored.append((row, hit))

    print("== must flag (recall) and must not flag (false-positive rate), per family")
    print(f"{'label':10} {'family':34} {'files':>6} {'flagged':>8}  measure")
    for (label, fam), (n, h) in sorted(by_fam.items()):
        meas = f"FP     {100 * h / n:5.1f} %" if label == "neither" else f"recall {100 * h / n:5.1f} %"
        print(f"{label:10} {fam:34} {n:6} {h:8}  {meas}")
    # The rate that matters for a share of binaries: text never reaches the PCM or frame tests.
    binary = [(n, h) for (label, fam), (n, h) in by_fam.items()
              if label == "neither" and fam not in ("text-or-source", "gettext-catalog") and not fam.startswith("compressed-")]
    totals["neither, binary families"] = [sum(n for n, _ in binary), sum(h for _, h in binary)]
    for label in ("audio", "biometric", "neither", "neither, binary families"):
        n, h = totals[label]
        if n:
            meas = f"FP     {100 * h / n:5.1f} %" if label.startswith("neither") else f"recall {100 * h / n:5.1f} %"
            print(f"{'ALL ' + label:45} {n:6} {h:8}  {meas}")

    print("\n== per source (audio+biometric recall; neither FP)")
    print(f"{'source':40} {'rec n':>6} {'hit':>5} {'recall':>7} {'neg n':>6} {'FP':>4} {'FP %':>6}")
    for src, (n, h, nn, fp) in sorted(by_src.items()):
        rec = f"{100 * h / n:6.1f}%" if n else "      -"
        fpr = f"{100 * fp / nn:5.1f}%" if nn else "     -"
        print(f"{src:40} {n:6} {h:5} {rec:>7} {nn:6} {fp:4} {fpr:>6}")

    mech = Counter()
    for row in misses + fps:
        rel = row["path"]
        mech[("miss" if row in misses else "FP", mechanism(row, flagged(findings.get(rel, [])), verdict.get(rel), members.get(rel, [])))] += 1
    print("\n== misses and false positives by mechanism")
    for (kind, m), n in sorted(mech.items(), key=lambda t: (t[0][0], -t[1])):
        print(f"{kind:5} {n:4}  {m}")

    print(f"\n== misses ({len(misses)}): label, family, path, size -> atrest verdict")
    for row in sorted(misses, key=lambda r: (r["family"], r["path"])):
        print(f"MISS {row['label']:9} {row['family']:24} {row['path']} ({row['size']} B; {row['detail'][:70]}) -> {describe(row['path'], findings, verdict)}")
    print(f"\n== false positives ({len(fps)})")
    for row in sorted(fps, key=lambda r: (r["family"], r["path"])):
        print(f"FP   {row['family']:24} {row['path']} ({row['size']} B; {row['detail'][:60]}) -> {describe(row['path'], findings, verdict)}")
    print(f"\n== unscored ({len(unscored)}): doubt / out-of-scope, with atrest's verdict")
    for row, hit in sorted(unscored, key=lambda t: (t[0]["label"], t[0]["family"], t[0]["path"])):
        print(f"{row['label']:12} {row['family']:20} {'FLAGGED' if hit else 'clean  '} {row['path']} ({row['basis']}) -> {describe(row['path'], findings, verdict)}")
    s = report["summary"]
    print(f"\nscanned {s['objects_scanned']} objects, {s['bytes_read']} bytes read, {s['limits_hit']} limits hit, {s['errors']} errors")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("build", "scan", "score"):
        sys.exit(__doc__)
    {"build": build, "scan": scan, "score": score}[sys.argv[1]](sys.argv[2])
