#!/usr/bin/env python3
"""Builds the two trees that benches/compare.sh scans (stdlib only, seeded).

  mixed  100,000 files, about 1.2 GB: 70 % text (txt/log/json/csv, 1-40 KB),
         WAV speech (50 KB-1 MB), random .bin, .gz of text, PNG, and
         MP3/Ogg Vorbis/FLAC/M4A speech clips.
  tiny   1,000,000 files of 200-1,500 bytes: 1 % WAV speech, the rest
         text/json/log and binary (random and structured), at most 1,000 files
         per directory.

  python3 benches/compare_tree.py WORKDIR                      # full size
  python3 benches/compare_tree.py WORKDIR --scale 0.02         # CI smoke: 2,000 + 20,000 files
  python3 benches/compare_tree.py WORKDIR --files 5000 --tiny-files 50000 --trees mixed,tiny

Trees go to WORKDIR/trees/{mixed,tiny}; WORKDIR/trees/NAME.json records the
parameters and what was made, and a tree whose parameters match is not built
again (--force rebuilds). Speech comes from espeak-ng (one short clip per
voice, varied here by gain, resampling and concatenation); without it, a
speech-like source-filter signal. Compressed clips are encoded once with
ffmpeg (else sox, else the repository's fixtures) and copied under many names.
The same seed, tools and tool versions give the same bytes.
"""
import argparse
import array
import gzip
import hashlib
import io
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Shares of the mixed tree (they add up to 1). Text is 70 %.
MIXED_SHARES = [
    ("txt", 0.14), ("log", 0.24), ("json", 0.18), ("csv", 0.14),
    ("wav", 0.005), ("bin", 0.098), ("gz", 0.08), ("png", 0.09),
    ("mp3", 0.014), ("ogg", 0.008), ("flac", 0.0025), ("m4a", 0.0025),
]
TINY_SHARES = [
    ("wav", 0.01), ("txt", 0.24), ("json", 0.30), ("log", 0.15),
    ("bin", 0.15), ("dat", 0.15),
]
VOICES = ["en+m3", "en-us+f2", "de+m1", "fr+f3", "es+m2", "it+f1"]
PHRASES = [
    "Hello, this is a reminder about your appointment on Thursday at three fifteen.",
    "Please call me back when you get this message, the number is five five five, two one nine.",
    "Your order has shipped and should arrive by Monday. Press one to speak to an agent.",
    "I'm calling about the invoice from last week, there seems to be a mistake in the total.",
    "Good morning, the meeting has been moved to the small conference room on the second floor.",
    "Thank you for calling, all of our representatives are busy, please stay on the line.",
]
RATES = [8000, 11025, 16000, 22050]
GAINS = [0.3, 0.7, 1.5]

WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her she there been one all we their has would when "
         "if so no will can more about up out what said them into some time only could new these "
         "two may first then do any like my now over such our man me even most made after also "
         "did many before must through back years where much your way well down should because "
         "each just those people how too little state good very make world still own see men work "
         "long get here between both life being under never day same another know while last might "
         "us great old year off come since against go came right used take three customer order "
         "invoice report meeting project budget quarter review account service system data team "
         "update release server network storage backup policy access audit record call message "
         "schedule contract payment delivery support ticket issue feature version deploy").split()
FIRST = ("Alex Sam Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Robin Drew Kim Lee Pat "
         "Chris Dana Jesse Kai Noa Eli Ari Max Sky Ray Lou Val Ash Rio Sasha").split()
LAST = ("Smith Garcia Muller Rossi Dubois Novak Silva Jensen Kowalski Tanaka Okafor Larsen "
        "Moreau Fischer Ricci Costa Nilsen Horvat Ivanova Brown Weber Lopez Martin Bauer").split()
LEVELS = ["INFO"] * 12 + ["DEBUG"] * 6 + ["WARN"] * 2 + ["ERROR"]
PATHS = ["/api/v1/orders", "/api/v1/users", "/api/v2/calls", "/health", "/login", "/static/app.js",
         "/api/v1/recordings", "/metrics", "/api/v1/invoices", "/search"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "python-requests/2.31",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2)", "okhttp/4.12.0"]


def log_uniform(rng, lo, hi):
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


# ---------------------------------------------------------------- text pools

def _ts(rng, t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{rng.randrange(1000):03d}Z"


def make_pools(rng, size=4 << 20):
    """Large strings of lines (or records separated by \\0), sliced per file."""
    pools = {}

    lines, n, t = [], 0, 1_700_000_000
    while n < size:
        t += rng.randint(0, 3)
        lvl = rng.choice(LEVELS)
        k = rng.randrange(8)
        if k == 0:
            msg = f"GET {rng.choice(PATHS)}/{rng.randrange(10**6)} {rng.choice([200]*9+[404, 500])} {rng.randint(1, 900)}ms"
        elif k == 1:
            msg = f"user {rng.randrange(10**5)} logged in from 192.0.2.{rng.randrange(256)}"
        elif k == 2:
            msg = f"cache miss key=session:{rng.getrandbits(64):016x}"
        elif k == 3:
            msg = (f"upload complete object=recordings/2024/{rng.randint(1, 12):02d}/"
                   f"{rng.getrandbits(128):032x}.wav bytes={rng.randint(10**4, 10**7)}")
        elif k == 4:
            msg = f"retrying connection to db-{rng.randrange(4)}:5432 attempt {rng.randint(1, 5)}"
        elif k == 5:
            msg = f"job {rng.randrange(10**6)} finished in {rng.uniform(0, 90):.3f}s rows={rng.randrange(10**5)}"
        elif k == 6 and lvl == "ERROR":
            msg = ("unhandled exception\nTraceback (most recent call last):\n"
                   f'  File "/srv/app/worker.py", line {rng.randint(10, 900)}, in run\n'
                   f"    result = handler(payload)\nValueError: invalid literal for int(): '{rng.choice(WORDS)}'")
        else:
            msg = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        line = f"{_ts(rng, t)} {lvl:5} [worker-{rng.randrange(16)}] {rng.choice(['api', 'db', 'auth', 'jobs', 'storage'])}: {msg}\n"
        if rng.random() < 0.3:  # an nginx access log line in between
            line += (f'198.51.100.{rng.randrange(256)} - - [{time.strftime("%d/%b/%Y:%H:%M:%S", time.gmtime(t))} +0000] '
                     f'"GET {rng.choice(PATHS)} HTTP/1.1" {rng.choice([200]*8+[301, 404])} {rng.randint(100, 90000)} '
                     f'"-" "{rng.choice(AGENTS)}"\n')
        lines.append(line)
        n += len(line)
    pools["log"] = "".join(lines)

    recs, n = [], 0
    while n < size:
        k = rng.randrange(3)
        if k == 0:
            r = {"id": rng.randrange(10**9), "customer": {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                 "email": f"user{rng.randrange(10**6)}@example.com"},
                 "items": [{"sku": f"SKU-{rng.randrange(10**5):05d}", "qty": rng.randint(1, 9),
                            "price": round(rng.uniform(1, 500), 2)} for _ in range(rng.randint(1, 4))],
                 "status": rng.choice(["new", "paid", "shipped", "refunded"]),
                 "created": _ts(rng, 1_700_000_000 + rng.randrange(10**7))}
        elif k == 1:
            r = {"event": rng.choice(["call.started", "call.ended", "voicemail.saved"]),
                 "call_id": f"{rng.getrandbits(128):032x}", "duration_s": rng.randint(0, 3600),
                 "recording_url": f"s3://calls/{rng.getrandbits(64):016x}.wav",
                 "agent": rng.choice(FIRST), "queue": rng.choice(["sales", "support", "billing"]),
                 "tags": rng.sample(WORDS, rng.randint(0, 4))}
        else:
            r = {"device": f"sensor-{rng.randrange(500)}", "ts": 1_700_000_000 + rng.randrange(10**7),
                 "temp_c": round(rng.gauss(21, 3), 2), "humidity": round(rng.uniform(20, 80), 1),
                 "battery": rng.randint(0, 100), "ok": rng.random() < 0.95}
        s = json.dumps(r, indent=2) if rng.random() < 0.4 else json.dumps(r)
        recs.append(s)
        n += len(s) + 2
    pools["json"] = "\0".join(recs) + "\0"

    for name, header, row in [
        ("csv0", "id,date,customer,amount,currency,status\n",
         lambda: f"{rng.randrange(10**8)},2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                 f"{rng.choice(FIRST)} {rng.choice(LAST)},{rng.uniform(1, 9999):.2f},"
                 f"{rng.choice(['EUR', 'USD', 'GBP'])},{rng.choice(['ok', 'pending', 'failed'])}\n"),
        ("csv1", "ts,device,temp_c,humidity,battery\n",
         lambda: f"{1_700_000_000 + rng.randrange(10**7)},sensor-{rng.randrange(500)},"
                 f"{rng.gauss(21, 3):.2f},{rng.uniform(20, 80):.1f},{rng.randint(0, 100)}\n"),
        ("csv2", "call_id,start,duration_s,agent,queue,recording_path\n",
         lambda: f"{rng.getrandbits(64):016x},{_ts(rng, 1_700_000_000 + rng.randrange(10**7))},"
                 f"{rng.randint(0, 3600)},{rng.choice(FIRST)},{rng.choice(['sales', 'support'])},"
                 f"/mnt/calls/{rng.getrandbits(64):016x}.wav\n"),
    ]:
        rows, n = [], 0
        while n < size // 3:
            s = row()
            rows.append(s)
            n += len(s)
        pools[name] = (header, "".join(rows))

    paras, n = [], 0
    while n < size:
        sents = []
        for _ in range(rng.randint(2, 8)):
            w = [rng.choice(WORDS) for _ in range(rng.randint(5, 22))]
            sents.append(" ".join(w).capitalize() + rng.choice([".", ".", ".", "?", "!"]))
        p = " ".join(sents)
        if rng.random() < 0.2:
            p = f"# {' '.join(rng.choice(WORDS) for _ in range(3)).title()}\n\n" + p
        paras.append(p + "\n\n")
        n += len(paras[-1])
    pools["txt"] = "".join(paras)

    # Structured binary records (a device dump): counters, floats, flags.
    recs = bytearray()
    c = 0
    while len(recs) < size // 4:
        c += rng.randint(1, 9)
        recs += struct.pack("<IHhfB3x", c, rng.randrange(500), rng.randint(-400, 400),
                            rng.gauss(21, 3), rng.randrange(4))
    pools["dat"] = bytes(recs)
    return pools


def text_file(rng, pools, kind, size):
    """A slice of a pool cut at record boundaries, about `size` bytes."""
    if kind == "csv":
        header, body = pools[rng.choice(["csv0", "csv1", "csv2"])]
        start = body.index("\n", rng.randrange(len(body) - size - 1)) + 1 if len(body) > size + 1 else 0
        chunk = body[start:start + size]
        chunk = chunk[:chunk.rfind("\n") + 1] or chunk
        return (header + chunk).encode()
    if kind == "json":
        body = pools["json"]
        start = body.index("\0", rng.randrange(len(body) - size - 1)) + 1
        chunk = body[start:start + size]
        cut = chunk.rfind("\0")
        chunk = chunk[:cut] if cut > 0 else chunk.rstrip("\0")
        if rng.random() < 0.25:  # JSON lines
            return (chunk.replace("\n", "").replace("  ", "").replace("\0", "\n") + "\n").encode()
        return ("[\n" + chunk.replace("\0", ",\n") + "\n]\n").encode()
    body = pools[kind]
    start = rng.randrange(len(body) - size - 1)
    start = body.find("\n", start) + 1
    chunk = body[start:start + size]
    cut = chunk.rfind("\n")
    return (chunk[:cut + 1] if cut > 0 else chunk).encode()


# ---------------------------------------------------------------- speech

def espeak_clips(cache):
    """One clip per voice: (rate, array('h')). None when espeak-ng is missing."""
    if not shutil.which("espeak-ng"):
        return None
    clips = []
    for i, voice in enumerate(VOICES):
        path = os.path.join(cache, f"voice{i}.wav")
        if not os.path.exists(path):
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(150 + 10 * i), "-w", path + ".tmp",
                            PHRASES[i % len(PHRASES)]], check=True, capture_output=True)
            os.replace(path + ".tmp", path)
        with wave.open(path) as w:
            assert w.getsampwidth() == 2 and w.getnchannels() == 1
            a = array.array("h", w.readframes(w.getnframes()))
            if sys.byteorder == "big":
                a.byteswap()
            clips.append((w.getframerate(), a))
    return clips


def synthetic_clips(rng, n=len(VOICES), rate=22050):
    """Speech-like stand-in: a glottal pulse train with a wandering pitch through
    two formant resonators, gated into syllables and pauses."""
    clips = []
    for v in range(n):
        f0 = rng.uniform(90, 230)
        out = array.array("h")
        y1 = y2 = z1 = z2 = 0.0
        phase = 0.0
        for syl in range(rng.randint(10, 16)):
            dur = int(rate * rng.uniform(0.12, 0.3))
            f1, f2 = rng.uniform(300, 900), rng.uniform(900, 2500)
            r = 0.97
            a1, a2 = 2 * r * math.cos(2 * math.pi * f1 / rate), -r * r
            b1, b2 = 2 * r * math.cos(2 * math.pi * f2 / rate), -r * r
            for i in range(dur):
                phase += (f0 * (1 + 0.1 * math.sin(i / rate * 6))) / rate
                x = 1.0 if phase >= 1 else 0.0
                phase -= int(phase)
                x += rng.uniform(-0.02, 0.02)
                y = x + a1 * y1 + a2 * y2
                y2, y1 = y1, y
                z = y + b1 * z1 + b2 * z2
                z2, z1 = z1, z
                env = math.sin(math.pi * i / dur)
                out.append(max(-32768, min(32767, int(z * 300 * env))))
            out.extend([0] * int(rate * rng.uniform(0.02, 0.25)))
        clips.append((rate, out))
    return clips


def resample(a, src, dst):
    if src == dst:
        return array.array("h", a)
    n = int(len(a) * dst / src)
    step = src / dst
    last = len(a) - 1
    out = array.array("h", bytes(2 * n))
    for i in range(n):
        x = i * step
        j = int(x)
        f = x - j
        k = j + 1 if j < last else last
        out[i] = int(a[j] + (a[k] - a[j]) * f)
    return out


def speech_variants(clips):
    """{rate: [pcm bytes (s16le)]}: every clip at every rate and gain."""
    var = {}
    for rate in RATES:
        lst = []
        for src, a in clips:
            r = resample(a, src, rate)
            for g in GAINS:
                if g <= 1:
                    b = array.array("h", [int(s * g) for s in r])
                else:
                    b = array.array("h", [max(-32768, min(32767, int(s * g))) for s in r])
                if sys.byteorder == "big":
                    b.byteswap()
                lst.append(b.tobytes())
        var[rate] = lst
    return var


def noise_floor(rng, rate):
    a = array.array("h", [int(rng.gauss(0, 25)) for _ in range(rate)])
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


def speech_pcm(rng, variants, noise, rate, nbytes):
    parts, n = [], 0
    while n < nbytes:
        v = rng.choice(variants[rate])
        parts.append(v)
        gap = noise[rate]
        g = 2 * rng.randrange(len(gap) // 4)
        parts.append(gap[:g])
        n += len(v) + g
    return b"".join(parts)[:nbytes & ~1]


def wav_bytes(pcm, rate, channels=1, info=None):
    extra = b""
    if info:
        txt = info.encode() + b"\0"
        if len(txt) % 2:
            txt += b"\0"
        sub = b"INFO" + b"ICMT" + struct.pack("<I", len(txt)) + txt
        extra = b"LIST" + struct.pack("<I", len(sub)) + sub
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + extra + b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


def make_wav(rng, variants, noise, nbytes):
    rate = rng.choice(RATES)
    stereo = rng.random() < 0.15
    pcm_len = max(64, nbytes - 44)
    if stereo:
        half = pcm_len // 4 * 2
        l = array.array("h", speech_pcm(rng, variants, noise, rate, half))
        r = array.array("h", speech_pcm(rng, variants, noise, rate, half))
        st = array.array("h", bytes(4 * len(l)))
        st[0::2] = l
        st[1::2] = r
        pcm = st.tobytes()
    else:
        pcm = speech_pcm(rng, variants, noise, rate, pcm_len)
    info = f"call {rng.getrandbits(64):016x}" if rng.random() < 0.3 else None
    return wav_bytes(pcm, rate, 2 if stereo else 1, info)


# ---------------------------------------------------------------- compressed audio

ENCODED_SECONDS = [3, 8, 20, 45]
ENCODED_WEIGHTS = [0.45, 0.3, 0.18, 0.07]


def encoded_clips(rng, cache, variants, noise, notes):
    """{fmt: [(seconds, bytes)]} for mp3/ogg/flac/m4a, encoded once and cached."""
    src = []
    for s in ENCODED_SECONDS:
        path = os.path.join(cache, f"long{s}.wav")
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(wav_bytes(speech_pcm(rng, variants, noise, 16000, 16000 * 2 * s), 16000))
            os.replace(path + ".tmp", path)
        src.append((s, path))
    ff = shutil.which("ffmpeg")
    sox = shutil.which("sox")
    cmds = {
        "mp3": [("ffmpeg", ["-c:a", "libmp3lame", "-b:a", "32k"]), ("sox", ["-C", "32"])],
        "ogg": [("ffmpeg", ["-c:a", "libvorbis", "-q:a", "1"]), ("sox", ["-C", "1"])],
        "flac": [("ffmpeg", ["-c:a", "flac"]), ("sox", [])],
        "m4a": [("ffmpeg", ["-c:a", "aac", "-b:a", "40k"])],
    }
    out = {}
    for fmt, ways in cmds.items():
        got = []
        for tool, opts in ways:
            if not (ff if tool == "ffmpeg" else sox):
                continue
            got = []
            for s, path in src:
                dst = os.path.join(cache, f"long{s}.{tool}.{fmt}")
                if not os.path.exists(dst):
                    if tool == "ffmpeg":
                        cmd = [ff, "-nostdin", "-loglevel", "error", "-y", "-i", path, "-map_metadata", "-1",
                               "-fflags", "+bitexact", "-flags:a", "+bitexact"] + opts + [dst + f".tmp.{fmt}"]
                    else:
                        cmd = [sox, path] + opts + [dst + f".tmp.{fmt}"]
                    if subprocess.run(cmd, capture_output=True).returncode != 0:
                        got = []
                        break
                    os.replace(dst + f".tmp.{fmt}", dst)
                with open(dst, "rb") as f:
                    got.append((s, f.read()))
            if got:
                notes[fmt] = tool
                break
        if not got:  # the repository's own fixtures
            d = os.path.join(REPO, "fixtures", "audio", fmt)
            if os.path.isdir(d):
                for name in sorted(os.listdir(d)):
                    with open(os.path.join(d, name), "rb") as f:
                        got.append((0, f.read()))
                if got:
                    notes[fmt] = "repository fixtures"
        if got:
            out[fmt] = got
        else:
            notes[fmt] = "none (files made as random .bin instead)"
    return out


# ---------------------------------------------------------------- PNG

def png_bytes(rng, size_scale):
    w = log_uniform(rng, 32, 640)
    h = log_uniform(rng, 32, 480)
    ctype, bpp = rng.choice([(2, 3), (2, 3), (6, 4), (0, 1)])
    stride = w * bpp
    a, b = rng.randint(1, 7), rng.randint(1, 5)
    base = bytes((i * a // b + (i // stride) * 3) & 255 for i in range(stride + 512))
    noisy = rng.choice([0.0, 0.0, 0.0, 0.02, 0.1, 0.3]) * min(1.0, size_scale)
    rows = []
    for y in range(h):
        if noisy and rng.random() < noisy:
            rows.append(b"\0" + rng.randbytes(stride))
        else:
            o = (y * b) % 512
            rows.append(b"\1" + base[o:o + stride])  # filter "sub" bytes: smooth and compressible
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- trees

def shares_list(rng, shares, n):
    kinds = []
    for kind, share in shares:
        kinds += [kind] * int(round(share * n))
    kinds = (kinds + [shares[1][0]] * n)[:n]
    rng.shuffle(kinds)
    return kinds


def put(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


NAMES = {"txt": "notes", "log": "app", "json": "record", "csv": "export", "wav": "call",
         "bin": "blob", "gz": "archive", "png": "img", "mp3": "voicemail", "ogg": "memo",
         "flac": "interview", "m4a": "dictation", "dat": "dump"}


def build_mixed(root, n, size_scale, rng, pools, variants, noise, encoded):
    stats = {}
    kinds = shares_list(rng, MIXED_SHARES, n)
    per_dir = 400
    for i, kind in enumerate(kinds):
        if i % per_dir == 0:
            d = os.path.join(root, f"share{i // (per_dir * 25):02d}", f"batch{(i // per_dir) % 25:03d}")
            os.makedirs(d, exist_ok=True)
        ext = kind
        if kind in ("txt", "log", "json", "csv"):
            data = text_file(rng, pools, kind, max(200, int(log_uniform(rng, 1024, 40 * 1024) * size_scale)))
        elif kind == "wav":
            data = make_wav(rng, variants, noise, int(log_uniform(rng, 50_000, 1_000_000) * size_scale))
        elif kind == "gz":
            sub = rng.choice(["log", "json", "csv", "txt"])
            text = text_file(rng, pools, sub, max(200, int(log_uniform(rng, 2048, 60 * 1024) * size_scale)))
            data = gzip.compress(text, 6, mtime=0)
            ext = f"{sub}.gz"
        elif kind == "png":
            data = png_bytes(rng, size_scale)
        elif kind in encoded:
            clips = encoded[kind]
            if clips[0][0]:
                data = rng.choices(clips, weights=ENCODED_WEIGHTS[:len(clips)])[0][1]
            else:
                data = rng.choice(clips)[1]
        else:  # "bin", and audio kinds no encoder could make
            kind = ext = "bin"
            data = rng.randbytes(max(64, int(log_uniform(rng, 512, 32 * 1024) * size_scale)))
        put(os.path.join(d, f"{NAMES[kind]}-{i:06d}.{ext}"), data)
        s = stats.setdefault(kind, [0, 0])
        s[0] += 1
        s[1] += len(data)
    return stats


def build_tiny(root, n, size_scale, rng, pools, variants):
    stats = {}
    kinds = shares_list(rng, TINY_SHARES, n)
    lo, hi = max(64, int(200 * size_scale)), max(128, int(1500 * size_scale))
    speech8k = variants[8000]
    for i, kind in enumerate(kinds):
        if i % 1000 == 0:
            d = os.path.join(root, f"t{i // 100_000:02d}", f"{(i // 1000) % 100:02d}")
            os.makedirs(d, exist_ok=True)
        size = rng.randint(lo, hi)
        if kind == "wav":
            v = rng.choice(speech8k)
            pcm_len = (size - 44) & ~1
            off = 2 * rng.randrange(max(1, (len(v) - pcm_len) // 2))
            data = wav_bytes(v[off:off + pcm_len], 8000)
        elif kind == "bin":
            data = rng.randbytes(size)
        elif kind == "dat":
            p = pools["dat"]
            off = 16 * rng.randrange((len(p) - size) // 16)
            data = p[off:off + size]
        else:
            data = text_file(rng, pools, kind, size)
        put(os.path.join(d, f"f{i:07d}.{kind}"), data)
        s = stats.setdefault(kind, [0, 0])
        s[0] += 1
        s[1] += len(data)
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="fraction of the full-size file counts (100,000 mixed, 1,000,000 tiny)")
    ap.add_argument("--files", type=int, help="files in the mixed tree (overrides --scale)")
    ap.add_argument("--tiny-files", type=int, help="files in the tiny tree (overrides --scale)")
    ap.add_argument("--size-scale", type=float, default=1.0, help="multiplies every file size")
    ap.add_argument("--trees", default="mixed,tiny", help="comma-separated: mixed, tiny")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="rebuild even when parameters match")
    args = ap.parse_args()

    counts = {"mixed": args.files if args.files is not None else int(round(100_000 * args.scale)),
              "tiny": args.tiny_files if args.tiny_files is not None else int(round(1_000_000 * args.scale))}
    trees_dir = os.path.join(args.workdir, "trees")
    cache = os.path.join(args.workdir, "media")
    os.makedirs(trees_dir, exist_ok=True)
    os.makedirs(cache, exist_ok=True)

    wanted = [t.strip() for t in args.trees.split(",") if t.strip()]
    for t in wanted:
        if t not in counts:
            ap.error(f"unknown tree {t!r}")
    with open(os.path.abspath(__file__), "rb") as f:  # any change to this file rebuilds
        generator_id = hashlib.sha256(f.read()).hexdigest()[:12]
    todo = []
    for t in wanted:
        params = {"generator": generator_id, "files": counts[t], "size_scale": args.size_scale,
                  "seed": args.seed}
        stamp = os.path.join(trees_dir, f"{t}.json")
        if not args.force and os.path.isdir(os.path.join(trees_dir, t)) and os.path.exists(stamp):
            with open(stamp) as f:
                if json.load(f).get("params") == params:
                    print(f"{t}: up to date ({counts[t]} files)", file=sys.stderr)
                    continue
        todo.append((t, params))
    if not todo:
        return

    t0 = time.time()
    rng = random.Random(args.seed)
    notes = {}
    clips = espeak_clips(cache)
    notes["speech"] = "espeak-ng " + ",".join(VOICES) if clips else "synthetic (espeak-ng not found)"
    if not clips:
        clips = synthetic_clips(rng)
    variants = speech_variants(clips)
    noise = {r: noise_floor(rng, r) for r in RATES}
    pools = make_pools(rng)
    encoded = encoded_clips(rng, cache, variants, noise, notes) if "mixed" in dict(todo) else {}
    prep = time.time() - t0
    print(f"sources ready in {prep:.1f} s (speech: {notes['speech']})", file=sys.stderr)

    for t, params in todo:
        t1 = time.time()
        final = os.path.join(trees_dir, t)
        tmp = tempfile.mkdtemp(prefix=f".{t}.", dir=trees_dir)
        trng = random.Random(f"{args.seed}:{t}")
        if t == "mixed":
            stats = build_mixed(tmp, counts[t], args.size_scale, trng, pools, variants, noise, encoded)
        else:
            stats = build_tiny(tmp, counts[t], args.size_scale, trng, pools, variants)
        stamp = os.path.join(trees_dir, f"{t}.json")
        if os.path.exists(stamp):
            os.remove(stamp)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
        total = sum(b for _, b in stats.values())
        info = {"params": params, "path": final, "files": counts[t], "bytes": total,
                "build_seconds": round(time.time() - t1, 1), "prep_seconds": round(prep, 1), "notes": notes,
                "kinds": {k: {"files": c, "bytes": b} for k, (c, b) in sorted(stats.items())}}
        with open(stamp, "w") as f:
            json.dump(info, f, indent=1)
        print(f"{t}: {counts[t]} files, {total / 1e6:.1f} MB in {info['build_seconds']} s -> {final}",
              file=sys.stderr)
        for k, (c, b) in sorted(stats.items()):
            print(f"  {k:5} {c:8} files {b / 1e6:9.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
