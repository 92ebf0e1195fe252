#!/usr/bin/env python3
"""Accuracy benchmark: builds a labeled corpus unlike the fixtures, scans it
with atrest and prints recall (must-flag kinds) and false-positive rate
(must-not-flag kinds), per kind.

Speech comes from real recordings shipped by Debian (alsa-utils' channel
announcements, sound-theme-freedesktop's voice prompts) and from espeak-ng in
eight languages; everything else is derived with Debian tools: ffmpeg, sox,
gzip, bzip2, xz, zstd, lz4, zip, tar, 7z, age, gpg, openssl, qpdf.

    python3 benches/accuracy.py build DIR     # corpus in DIR/corpus, labels in DIR/labels.tsv
    python3 benches/accuracy.py score DIR     # reads DIR/report.json
Use benches/accuracy.sh, which does both around a release build.
"""
import base64
import binascii
import glob
import gzip
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# What each kind must produce. flag: a finding of category audio or
# biometric with no encryption; weak / partial: a finding graded so;
# clean: no finding at all.
KINDS = {
    "audio-codec": "flag", "audio-renamed": "flag", "audio-truncated": "flag",
    "audio-long": "flag", "compressed": "flag", "archived": "flag", "encoded": "flag",
    "raw-pcm": "flag", "video-with-audio": "flag", "biometric": "flag",
    "weak": "weak", "partial": "partial",
    "encrypted": "clean", "ordinary": "clean", "compressed-ordinary": "clean",
    "video-no-audio": "clean", "encoded-ordinary": "clean", "system-files": "clean",
}

AUDIO_NAMES = (".wav", ".mp3", ".ogg", ".oga", ".flac", ".opus", ".au", ".snd", ".aiff", ".spx", ".m4a", ".raw", ".pcm")


class Corpus:
    def __init__(self, root):
        self.dir = os.path.join(root, "corpus")
        self.work = os.path.join(root, "work")
        self.labels = []
        self.rng = random.Random(20261126)
        for d in (self.dir, self.work):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        self.n = 0

    def path(self, kind, name):
        self.n += 1
        rel = f"{kind}/{self.n:04d}-{name}"
        os.makedirs(os.path.join(self.dir, kind), exist_ok=True)
        self.labels.append((rel, kind))
        return os.path.join(self.dir, rel)

    def put(self, kind, name, data):
        with open(self.path(kind, name), "wb") as f:
            f.write(data)

    def tmp(self, name):
        return os.path.join(self.work, name)


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def ff(*args):
    run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def masters(c):
    """Mono 16 kHz WAV speech masters: real recordings first."""
    sources = sorted(glob.glob("/usr/share/sounds/alsa/*_*.wav"))
    sources += sorted(glob.glob("/usr/share/sounds/freedesktop/stereo/audio-channel-*.oga"))
    out = []
    for i, src in enumerate(sources):
        dst = c.tmp(f"real{i}.wav")
        ff("-i", src, "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", dst)
        out.append(dst)
    sentences = [
        ("en-us", "My account number is four four one two, please transfer the balance today."),
        ("de", "Bitte rufen Sie mich morgen früh wegen der Rechnung zurück."),
        ("fr", "Je confirme le rendez-vous de jeudi à quinze heures trente."),
        ("es", "Mi contraseña de voz es la frase que digo cada mañana."),
        ("it", "Il pagamento è stato autorizzato dal direttore ieri sera."),
        ("pl", "Proszę potwierdzić przelew na konto oszczędnościowe."),
        ("pt", "A reunião foi adiada para a próxima semana, obrigado."),
        ("nl", "Het pakket wordt morgen tussen negen en twaalf bezorgd."),
    ]
    for i, (voice, text) in enumerate(sentences):
        raw, dst = c.tmp(f"tts{i}-raw.wav"), c.tmp(f"tts{i}.wav")
        run("espeak-ng", "-v", voice, "-w", raw, text)
        noise = c.tmp("noise.wav")
        run("sox", raw, "-r", "16000", "-c", "1", "-b", "16", c.tmp("clean.wav"))
        run("sox", c.tmp("clean.wav"), noise, "synth", "pinknoise", "vol", "0.003")
        run("sox", "-m", c.tmp("clean.wav"), noise, "-b", "16", dst)
        out.append(dst)
    return out


CODECS = [
    ("wav", ["-c:a", "pcm_s16le"]), ("u8.wav", ["-c:a", "pcm_u8"]),
    ("s24.wav", ["-c:a", "pcm_s24le"]), ("f32.wav", ["-c:a", "pcm_f32le"]),
    ("ulaw.wav", ["-ar", "8000", "-c:a", "pcm_mulaw"]), ("alaw.wav", ["-ar", "8000", "-c:a", "pcm_alaw"]),
    ("adpcm.wav", ["-c:a", "adpcm_ms"]), ("stereo.wav", ["-ac", "2", "-c:a", "pcm_s16le"]),
    ("44k.wav", ["-ar", "44100", "-c:a", "pcm_s16le"]),
    ("flac", []), ("mp3", ["-b:a", "48k"]), ("noid3.mp3", ["-b:a", "32k", "-id3v2_version", "0"]),
    ("mp2", ["-c:a", "mp2", "-b:a", "64k"]), ("aac", ["-c:a", "aac", "-f", "adts"]),
    ("m4a", ["-c:a", "aac", "-b:a", "32k"]), ("ogg", ["-c:a", "libvorbis"]),
    ("opus", ["-c:a", "libopus", "-b:a", "16k"]), ("spx", ["-c:a", "libspeex", "-ar", "16000"]),
    ("wma", ["-c:a", "wmav2"]), ("aiff", []), ("aifc", ["-c:a", "pcm_alaw", "-ar", "8000", "-f", "aiff"]),
    ("au", []), ("caf", ["-c:a", "pcm_s16le"]), ("w64", []), ("rf64.wav", ["-rf64", "always"]),
    ("webm", ["-c:a", "libopus"]), ("mka", ["-c:a", "flac"]), ("wv", ["-c:a", "wavpack"]),
    ("tta", ["-c:a", "tta", "-f", "tta"]), ("ac3", ["-c:a", "ac3", "-b:a", "96k"]),
    ("3gp", ["-c:a", "aac", "-ar", "16000", "-f", "3gp"]), ("mov", ["-c:a", "aac"]),
    ("hls.ts", ["-c:a", "aac", "-f", "mpegts"]),
]
SOX = [("voc", []), ("sph", []), ("amr", ["-r", "8000", "-t", "amr-nb"]), ("gsm", ["-r", "8000", "-e", "gsm-full-rate", "-t", "wav"]), ("raw.gsm", ["-r", "8000", "-t", "gsm"])]


def build(root):
    c = Corpus(root)
    speech = masters(c)
    pick = lambda i: speech[i % len(speech)]  # noqa: E731
    encoded = {}  # a few ready-made encodings, reused by later kinds

    for j, (ext, args) in enumerate(CODECS):
        for k in range(4):
            m = pick(j * 4 + k)
            dst = c.path("audio-codec", f"s{k}.{ext}")
            ff("-i", m, *args, dst)
            encoded.setdefault(ext, dst)
    for j, (ext, args) in enumerate(SOX):
        for k in range(3):
            dst = c.path("audio-codec", f"x{k}.{ext}")
            run("sox", pick(j * 3 + k), *args, dst)
            encoded.setdefault(ext, dst)
    for ext in ["oga"]:
        for src in sorted(glob.glob("/usr/share/sounds/freedesktop/stereo/[bcd]*.oga"))[:6]:
            c.put("audio-codec", os.path.basename(src), read(src))

    # Renamed: content sniffing must not care about names.
    for i, ext in enumerate(["wav", "mp3", "flac", "ogg", "m4a", "amr", "opus", "wma", "aiff", "au", "ac3", "webm"]):
        for k, alias in enumerate(["bin", "dat", "", "jpg", "txt"]):
            if (i + k) % 2:
                continue
            c.put("audio-renamed", f"r{i}{k}" + (f".{alias}" if alias else ""), read(encoded[ext]))

    # Truncated: an upload cut short, or a ranged copy of a head.
    for ext in ["wav", "mp3", "flac", "ogg", "m4a", "aac", "wma", "amr", "wv", "opus", "caf", "aiff", "mka", "spx"]:
        data = read(encoded[ext])
        c.put("audio-truncated", f"half.{ext}", data[: len(data) * 6 // 10])
        c.put("audio-truncated", f"head.{ext}", data[:6000])

    # Long recordings: windows far from the head.
    long_master = c.tmp("long.wav")
    run("sox", *speech[:12], long_master)
    run("sox", long_master, c.tmp("long2.wav"), "repeat", "3")
    for ext, args in [("wav", []), ("mp3", ["-b:a", "64k"]), ("flac", []), ("ogg", []), ("m4a", ["-c:a", "aac"]), ("opus", ["-c:a", "libopus"])]:
        ff("-i", c.tmp("long2.wav"), *args, c.path("audio-long", f"long.{ext}"))

    # Compressed streams.
    comp = {"gz": ["gzip", "-c"], "bz2": ["bzip2", "-c"], "xz": ["xz", "-c"], "zst": ["zstd", "-q", "-c"], "lz4": ["lz4", "-q", "-c"]}
    for i, ext in enumerate(["wav", "flac", "mp3", "u8.wav", "au", "amr"]):
        for suffix, cmd in comp.items():
            c.put("compressed", f"c{i}.{ext}.{suffix}", run(*cmd, encoded[ext]))

    # Archives, nested.
    def zip_of(files, method=zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            for name, data in files:
                z.writestr(name, data)
        return buf.getvalue()

    def tar_of(files, mode="w"):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode=mode) as t:
            for name, data in files:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    readme = b"Call recordings for quality assurance.\n" * 20
    for i, ext in enumerate(["wav", "mp3", "flac", "m4a", "ogg", "amr"]):
        audio = read(encoded[ext])
        files = [("README.txt", readme), (f"calls/2026/{i}/call.{ext}", audio)]
        c.put("archived", f"a{i}.zip", zip_of(files))
        c.put("archived", f"a{i}-stored.zip", zip_of(files, zipfile.ZIP_STORED))
        c.put("archived", f"a{i}.tar", tar_of(files))
        c.put("archived", f"a{i}.tar.gz", tar_of(files, "w:gz"))
        c.put("archived", f"a{i}.tar.xz", tar_of(files, "w:xz"))
        c.put("archived", f"a{i}-nested.tar.gz", tar_of([("inner.zip", zip_of(files))], "w:gz"))
        c.put("archived", f"a{i}-bz.zip", zip_of(files, zipfile.ZIP_BZIP2))
        c.put("archived", f"a{i}-audio-first-stored.zip", zip_of(files[::-1], zipfile.ZIP_STORED))
        w = c.tmp(f"sz{i}")
        os.makedirs(f"{w}/calls", exist_ok=True)
        with open(f"{w}/calls/call.{ext}", "wb") as f:
            f.write(audio)
        with open(f"{w}/README.txt", "wb") as f:
            f.write(readme)
        run("7z", "a", "-bso0", f"{w}/solid.7z", f"{w}/README.txt", f"{w}/calls")
        run("7z", "a", "-bso0", "-ms=off", "-m0=bzip2", f"{w}/other.7z", f"{w}/calls", f"{w}/README.txt")
        c.put("archived", f"a{i}-solid.7z", read(f"{w}/solid.7z"))
        c.put("archived", f"a{i}-bzip2.7z", read(f"{w}/other.7z"))

    # Encoded in text.
    for i, (ext, mime) in enumerate([("mp3", "audio/mpeg"), ("wav", "audio/wav"), ("ogg", "audio/ogg"), ("m4a", "audio/mp4"), ("amr", "audio/amr"), ("opus", "audio/ogg"), ("webm", "audio/webm")]):
        data = read(encoded[ext])
        b64 = base64.b64encode(data).decode()
        c.put("encoded", f"e{i}-{ext}.json", json.dumps({"id": i, "msg": {"audio": f"data:{mime};base64,{b64}"}}).encode())
        c.put("encoded", f"e{i}-{ext}.php.json", json.dumps({"blob": b64}).replace("/", "\\/").encode())
        c.put("encoded", f"e{i}-{ext}.html", f'<html><body><p>Listen:</p><audio controls src="data:{mime};base64,{b64}"></audio></body></html>'.encode())
        c.put("encoded", f"e{i}-{ext}.b64", base64.encodebytes(data))
        c.put("encoded", f"e{i}-{ext}.urlsafe.txt", base64.urlsafe_b64encode(data).rstrip(b"="))
        hexed = binascii.hexlify(data)
        c.put("encoded", f"e{i}-{ext}.hex", b"\n".join(hexed[k:k + 60] for k in range(0, len(hexed), 60)))
        c.put("encoded", f"e{i}-{ext}.sql", b"INSERT INTO notes (id, audio) VALUES (%d, X'" % i + hexed + b"');\n")

    # Headerless PCM.
    for j, (fmt, ext, extra) in enumerate([("s16le", "pcm", []), ("s16be", "raw", []), ("u8", "u8", []), ("mulaw", "ul", ["-ar", "8000"]), ("alaw", "al", ["-ar", "8000"]), ("f32le", "f32", []), ("s24le", "s24", []), ("s16le", "stereo.pcm", ["-ac", "2"])]):
        for k in range(3):
            ff("-i", pick(j * 3 + k), *extra, "-f", fmt, c.path("raw-pcm", f"p{k}.{ext}"))

    # Video with sound, and the same video without.
    videos = [
        ("mp4", ["-c:v", "libx264"], ["-c:a", "aac"]), ("mov", ["-c:v", "mpeg4"], ["-c:a", "aac"]),
        ("mkv", ["-c:v", "mpeg4"], ["-c:a", "libvorbis"]), ("webm", ["-c:v", "libvpx"], ["-c:a", "libopus"]),
        ("avi", ["-c:v", "mpeg4"], ["-c:a", "libmp3lame"]), ("flv", ["-c:v", "flv"], ["-c:a", "libmp3lame", "-ar", "22050"]),
        ("3gp", ["-c:v", "h263", "-s", "176x144"], ["-c:a", "aac", "-ar", "16000"]),
        ("wmv", ["-c:v", "wmv2"], ["-c:a", "wmav2"]), ("mpg", ["-c:v", "mpeg2video"], ["-c:a", "mp2"]),
        ("ts", ["-c:v", "libx264"], ["-c:a", "aac"]), ("m2ts", ["-c:v", "libx264", "-mpegts_m2ts_mode", "1"], ["-c:a", "ac3"]),
    ]
    for j, (ext, vargs, aargs) in enumerate(videos):
        for k, src in enumerate(["mandelbrot=size=176x144:rate=10", "testsrc=size=176x144:rate=10"]):
            ff("-f", "lavfi", "-i", src, "-i", pick(j * 2 + k), "-t", "2", *vargs, *aargs, "-shortest",
               c.path("video-with-audio", f"v{k}.{ext}"))
        ff("-f", "lavfi", "-i", "cellauto=size=176x144:rate=10", "-t", "2", *vargs, "-an", c.path("video-no-audio", f"n{j}.{ext}"))

    # Biometric records from the fixture generator, other seeds and faces.
    for seed in range(101, 106):
        face = c.tmp(f"face{seed}.jpg")
        ff("-f", "lavfi", "-i", f"mandelbrot=size=64x64:start_scale={seed / 100}", "-frames:v", "1", face)
        bio = c.tmp(f"bio{seed}")
        run("python3", os.path.join(ROOT, "fixtures", "make_biometric.py"), bio, face, str(seed))
        for p in sorted(glob.glob(f"{bio}/biometric/*/*")):
            c.put("biometric", f"b{seed}-{os.path.basename(p)}", read(p))
        for p in sorted(glob.glob(f"{bio}/partial/*/*")):
            c.put("partial", f"b{seed}-{os.path.basename(p)}", read(p))

    # Weak protection.
    pw = "correct horse"
    for i, ext in enumerate(["wav", "mp3", "flac", "m4a"]):
        w = c.tmp(f"weak{i}")
        os.makedirs(w, exist_ok=True)
        shutil.copy(encoded[ext], f"{w}/voice.{ext}")
        run("zip", "-q", "-j", "-P", pw, f"{w}/z.zip", f"{w}/voice.{ext}")
        c.put("weak", f"zipcrypto{i}.zip", read(f"{w}/z.zip"))
        c.put("encrypted", f"salted{i}.enc", run("openssl", "enc", "-aes-256-cbc", "-salt", "-pass", f"pass:{pw}", "-in", encoded[ext]))
        c.put("encrypted", f"salted{i}.b64", run("openssl", "enc", "-aes-128-cbc", "-a", "-salt", "-pass", f"pass:{pw}{i}", "-in", encoded[ext]))
    office = c.tmp("office")
    for seed in (201, 202):
        run("python3", os.path.join(ROOT, "fixtures", "make_office.py"), f"{office}{seed}", str(seed))
        for p in sorted(glob.glob(f"{office}{seed}/encrypted/office/*")):
            c.put("weak", f"o{seed}-{os.path.basename(p)}", read(p))
        for p in sorted(glob.glob(f"{office}{seed}/other/office/*")):
            c.put("ordinary", f"o{seed}-{os.path.basename(p)}", read(p))
    pdf = minimal_pdf()
    with open(c.tmp("plain.pdf"), "wb") as f:
        f.write(pdf)
    c.put("ordinary", "plain.pdf", pdf)
    if shutil.which("qpdf"):
        for bits, extra in [("40", []), ("128", ["--use-aes=n"])]:
            run("qpdf", "--allow-weak-crypto", "--encrypt", "u", "o", bits, *extra, "--", c.tmp("plain.pdf"), c.tmp(f"rc4-{bits}.pdf"))
            c.put("weak", f"rc4-{bits}.pdf", read(c.tmp(f"rc4-{bits}.pdf")))
        run("qpdf", "--encrypt", "u", "o", "256", "--", c.tmp("plain.pdf"), c.tmp("aes.pdf"))
        c.put("encrypted", "aes256.pdf", read(c.tmp("aes.pdf")))

    # Partial: plaintext container, encrypted payload.
    key, iv = os.urandom(32).hex(), os.urandom(16).hex()
    ctr = lambda b: run("openssl", "enc", "-aes-256-ctr", "-nosalt", "-K", key, "-iv", iv, input=b)  # noqa: E731
    for ext in ["wav", "u8.wav", "f32.wav", "stereo.wav"]:
        d = read(encoded[ext])
        at = d.index(b"data") + 8
        c.put("partial", f"enc-payload-{ext}", d[:at] + ctr(d[at:]))
    d = read(encoded["aiff"])
    at = d.index(b"SSND") + 16
    c.put("partial", "enc-payload.aiff", d[:at] + ctr(d[at:]))
    d = read(encoded["au"])
    at = int.from_bytes(d[4:8], "big")
    c.put("partial", "enc-payload.au", d[:at] + ctr(d[at:]))
    d = read(encoded["mp3"])
    at = 10 + ((d[6] << 21) | (d[7] << 14) | (d[8] << 7) | d[9])
    c.put("partial", "id3-then-ciphertext.mp3", d[:at] + ctr(d[at:]))
    for k in range(3):
        ff("-i", pick(k), "-c:a", "aac", "-f", "ipod", "-encryption_scheme", "cenc-aes-ctr",
           "-encryption_key", os.urandom(16).hex(), "-encryption_kid", os.urandom(16).hex(), c.path("partial", f"cenc{k}.m4a"))

    # Strong encryption: never a finding, whatever is inside.
    run("age-keygen", "-o", c.tmp("age.key"))
    recip = run("age-keygen", "-y", c.tmp("age.key")).decode().strip()
    gnupg = c.tmp("gnupg")
    os.makedirs(gnupg, mode=0o700)
    env = dict(os.environ, GNUPGHOME=gnupg)
    run("gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", "Bench <b@example.invalid>", "rsa2048", "encrypt", "never", env=env)
    for i, ext in enumerate(["wav", "mp3", "flac", "m4a", "opus", "amr"]):
        src = encoded[ext]
        c.put("encrypted", f"k{i}.{ext}.age", run("age", "-r", recip, src))
        c.put("encrypted", f"k{i}.{ext}.age.asc", run("age", "-r", recip, "-a", src))
        c.put("encrypted", f"k{i}.{ext}.gpg", run("gpg", "--batch", "--quiet", "--passphrase", pw, "--pinentry-mode", "loopback", "-c", "-o", "-", src, env=env))
        c.put("encrypted", f"k{i}.{ext}.pk.gpg", run("gpg", "--batch", "--quiet", "--trust-model", "always", "-r", "b@example.invalid", "-e", "-o", "-", src, env=env))
        c.put("encrypted", f"k{i}.{ext}.asc", run("gpg", "--batch", "--quiet", "--trust-model", "always", "-r", "b@example.invalid", "-a", "-e", "-o", "-", src, env=env))
        c.put("encrypted", f"k{i}.{ext}.ctr", ctr(read(src)))
        w = c.tmp(f"strong{i}")
        os.makedirs(w, exist_ok=True)
        shutil.copy(src, f"{w}/voice.{ext}")
        run("7z", "a", "-bso0", f"-p{pw}", f"{w}/a.7z", f"{w}/voice.{ext}")
        run("7z", "a", "-bso0", f"-p{pw}", "-mhe=on", f"{w}/h.7z", f"{w}/voice.{ext}")
        run("7z", "a", "-bso0", "-tzip", "-mem=AES256", f"-p{pw}", f"{w}/a.zip", f"{w}/voice.{ext}")
        for n in ["a.7z", "h.7z", "a.zip"]:
            c.put("encrypted", f"k{i}-{n}", read(f"{w}/{n}"))
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", c.tmp("k.pem"), "-out", c.tmp("c.pem"), "-subj", "/CN=bench", "-days", "1")
    for ext in ["wav", "mp3"]:
        c.put("encrypted", f"cms.{ext}.p7m", run("openssl", "cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", "-in", encoded[ext], c.tmp("c.pem")))
    for n in [512, 4096, 65536, 300000]:
        c.put("encrypted", f"random{n}.bin", os.urandom(n))
    c.put("encrypted", "age-in.json", json.dumps({"backup": base64.b64encode(run("age", "-r", recip, encoded["wav"])).decode()}).encode())

    # Ordinary files of every sort.
    docs = sorted(glob.glob("/usr/share/doc/*/copyright"))
    for p in c.rng.sample(docs, min(30, len(docs))):
        c.put("ordinary", p.split("/")[-2] + ".copyright", read(p))
    bins = [p for p in sorted(glob.glob("/usr/bin/*")) if os.path.isfile(p) and not os.path.islink(p)]
    for p in c.rng.sample(bins, 30):
        c.put("ordinary", "bin-" + os.path.basename(p), read(p))
    libs = [p for p in glob.glob("/usr/lib/x86_64-linux-gnu/*.so*") if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) < 4 << 20]
    for p in c.rng.sample(sorted(libs), min(20, len(libs))):
        c.put("ordinary", "lib-" + os.path.basename(p), read(p))
    pys = sorted(glob.glob("/usr/lib/python3/dist-packages/**/*.py", recursive=True)) or sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True))
    for p in c.rng.sample(pys, min(20, len(pys))):
        c.put("ordinary", "py-" + os.path.basename(p), read(p))
    for i, src in enumerate(["testsrc2", "mandelbrot", "smptebars", "rgbtestsrc", "cellauto"]):
        ff("-f", "lavfi", "-i", f"{src}=size=320x240", "-frames:v", "1", c.path("ordinary", f"img{i}.png"))
        ff("-f", "lavfi", "-i", f"{src}=size=320x240", "-frames:v", "1", c.path("ordinary", f"img{i}.jpg"))
        ff("-f", "lavfi", "-i", f"{src}=size=160x120", "-frames:v", "1", c.path("ordinary", f"img{i}.bmp"))
    rows = "\n".join(f"{i},{c.rng.random():.6f},{c.rng.randint(0, 10**6)},user{i}@example.invalid" for i in range(3000))
    c.put("ordinary", "data.csv", rows.encode())
    c.put("ordinary", "utf16.txt", ("Protokoll der Sitzung\n" * 500).encode("utf-16"))
    db = c.tmp("app.sqlite")
    con = sqlite3.connect(db)
    con.execute("create table t (id integer, name text, score real)")
    con.executemany("insert into t values (?, ?, ?)", [(i, f"name{i}", c.rng.random()) for i in range(5000)])
    con.commit()
    con.close()
    c.put("ordinary", "app.sqlite", read(db))
    mans = sorted(glob.glob("/usr/share/man/man1/*.gz"))
    for p in c.rng.sample(mans, min(10, len(mans))):
        c.put("compressed-ordinary", os.path.basename(p), read(p))
    for i, p in enumerate(c.rng.sample(bins, 8)):
        data = read(p)
        c.put("compressed-ordinary", f"bin{i}.xz", run("xz", "-c", p))
        c.put("compressed-ordinary", f"bin{i}.zst", run("zstd", "-q", "-c", p))
        c.put("compressed-ordinary", f"bin{i}.lz4", run("lz4", "-q", "-c", p))
        c.put("compressed-ordinary", f"bin{i}.bz2", run("bzip2", "-c", p))
        c.put("compressed-ordinary", f"bin{i}.gz", gzip.compress(data))
    c.put("compressed-ordinary", "src.tar.gz", tar_of([(os.path.basename(p), read(p)) for p in pys[:30]], "w:gz"))
    c.put("compressed-ordinary", "docs.zip", zip_of([(p.split("/")[-2], read(p)) for p in docs[:30]]))

    # Encoded things that are not audio.
    tokens = [{"token": base64.urlsafe_b64encode(os.urandom(c.rng.choice([24, 32, 48, 96]))).decode(), "sha256": os.urandom(32).hex()} for _ in range(40)]
    c.put("encoded-ordinary", "tokens.json", json.dumps(tokens, indent=1).encode())
    png = read(glob.glob(f"{c.dir}/ordinary/*img0.png")[0])
    c.put("encoded-ordinary", "avatar.html", f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">'.encode())
    c.put("encoded-ordinary", "cert.pem", run("openssl", "x509", "-in", c.tmp("c.pem")))
    c.put("encoded-ordinary", "key.pem", read(c.tmp("k.pem")))
    c.put("encoded-ordinary", "bin.b64", base64.encodebytes(read(bins[0])[:40000]))
    c.put("encoded-ordinary", "text.b64", base64.encodebytes(read(docs[0])))
    c.put("encoded-ordinary", "random.hex", binascii.hexlify(os.urandom(20000)))
    c.put("encoded-ordinary", "gzip.b64", base64.encodebytes(gzip.compress(read(docs[1]))))
    c.put("encoded-ordinary", "ssh-keys.txt", b"\n".join(b"ssh-ed25519 " + base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0 " + os.urandom(32)) + b" user@host" for _ in range(20)))

    # Whatever this machine's /usr holds (fonts, locales, icons, timezone
    # data, libraries, caches), sampled at random: the bulk of a real share.
    pool = []
    for base in ("/usr/share", "/usr/lib"):
        for dirpath, _, names in os.walk(base):
            if "sounds" in dirpath or "/alsa" in dirpath:
                continue
            for n in names:
                p = os.path.join(dirpath, n)
                if n.lower().endswith(AUDIO_NAMES) or os.path.islink(p) or not os.path.isfile(p):
                    continue
                pool.append(p)
    for p in c.rng.sample(sorted(pool), min(1500, len(pool))):
        if os.path.getsize(p) <= 8 << 20:
            c.put("system-files", os.path.basename(p), read(p))

    with open(os.path.join(root, "labels.tsv"), "w") as f:
        for rel, kind in c.labels:
            f.write(f"{rel}\t{kind}\n")
    shutil.rmtree(c.work)
    print(f"{len(c.labels)} objects in {c.dir}", file=sys.stderr)


def minimal_pdf():
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>"]
    stream = b"BT /F1 12 Tf 20 100 Td (Quarterly report) Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def score(root):
    labels = [line.rstrip("\n").split("\t") for line in open(os.path.join(root, "labels.tsv"))]
    report = json.load(open(os.path.join(root, "report.json")))
    findings = defaultdict(list)
    for f in report["findings"]:
        rel = os.path.relpath(f["location"], os.path.join(root, "corpus"))
        findings[rel].append(f)
    stats = defaultdict(lambda: [0, 0])
    misses = defaultdict(list)
    for rel, kind in labels:
        want = KINDS[kind]
        got = findings.get(rel, [])
        if want == "flag":
            ok = any(f["category"] in ("audio", "biometric") and f["encryption"] == "none" for f in got)
        elif want in ("weak", "partial"):
            ok = any(f["encryption"] == want for f in got)
        else:
            ok = not got
        stats[kind][0] += 1
        stats[kind][1] += ok
        if not ok:
            misses[kind].append(rel)
    print(f"{'kind':22} {'expect':8} {'objects':>7} {'right':>6}  measure")
    totals = defaultdict(lambda: [0, 0])
    for kind in KINDS:
        if kind not in stats:
            continue
        n, ok = stats[kind]
        want = KINDS[kind]
        group = "clean" if want == "clean" else "flag"
        totals[group][0] += n
        totals[group][1] += ok
        measure = f"false positives {100 * (n - ok) / n:5.1f} %" if want == "clean" else f"recall {100 * ok / n:5.1f} %"
        print(f"{kind:22} {want:8} {n:7} {ok:6}  {measure}")
    n, ok = totals["flag"]
    print(f"{'ALL must-flag':22} {'':8} {n:7} {ok:6}  recall {100 * ok / n:5.1f} %")
    n, ok = totals["clean"]
    print(f"{'ALL must-not-flag':22} {'':8} {n:7} {ok:6}  false positives {100 * (n - ok) / n:5.1f} %")
    s = report["summary"]
    print(f"scanned {s['objects_scanned']} objects, {s['bytes_read']} bytes read, {s['limits_hit']} limits hit")
    for kind, rels in misses.items():
        for rel in rels:
            got = [(f["rule"], f["format"], f["encryption"], f.get("member")) for f in findings.get(rel, [])]
            print(f"  wrong: {rel} ({kind}) -> {got or 'no finding'}")


if __name__ == "__main__":
    {"build": build, "score": score}[sys.argv[1]](sys.argv[2])
