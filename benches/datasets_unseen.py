#!/usr/bin/env python3
"""Accuracy of atrest on AI-dataset containers written by the ecosystem's own libraries.

Usage (from the repository root):
    python3 benches/datasets_unseen.py OUTDIR [--atrest BIN] [--venv DIR] [--with-lhotse]
    python3 benches/datasets_unseen.py OUTDIR --atrest BIN --score-only

Builds a labelled corpus in OUTDIR (labels.tsv: file, family, label, note;
versions.json: library versions) with the writers of Hugging Face `datasets`,
pandas/pyarrow, polars, duckdb, fastparquet, numpy, safetensors, h5py (+hdf5plugin),
kaldiio, webdataset, tfrecord (pure-Python writer), optionally lhotse (it pulls
torch: off unless --with-lhotse), and pyarrow's Parquet Modular Encryption. None of
it is written by fixtures/make_datasets.py. With --atrest BIN it then runs
    BIN scan OUTDIR --format json --inventory --fail-on never -o OUTDIR.report.json
and scores: a must-flag file needs an audio.* finding located at that file; a
must-not-flag file must have no finding at all. Prints recall and false-positive
rate per family, and every miss / false positive with atrest's verdict.

The libraries are installed from PyPI into a venv (default: $TMPDIR/atrest-datasets-
unseen-venv); the script re-executes itself inside it. Speech is synthetic: espeak-ng
(Debian: apt-get install espeak-ng sox ffmpeg flac opus-tools) reading made-up
sentences in languages and voices that make_datasets.py does not use.
"""
import argparse
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

REQUIRED = ["numpy", "pyarrow", "pandas", "polars", "datasets", "soundfile", "safetensors", "h5py"]
OPTIONAL = ["hdf5plugin", "duckdb", "fastparquet", "kaldiio", "webdataset", "tfrecord"]
LIMIT = 64 * 1024

FLAG, CLEAN = "must-flag", "must-not-flag"


# ------------------------------------------------------------- bootstrap ---

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("--atrest", help="atrest binary: scan OUTDIR and score")
    p.add_argument("--venv", help="venv directory (default: $TMPDIR/atrest-datasets-unseen-venv)")
    p.add_argument("--with-lhotse", action="store_true", help="also install lhotse (pulls torch, several GB)")
    p.add_argument("--score-only", action="store_true", help="do not rebuild OUTDIR; scan and score it")
    p.add_argument("--no-venv", action="store_true", help="use the current interpreter as is")
    return p.parse_args()


def ensure_venv(args):
    if args.no_venv or args.score_only or os.environ.get("ATREST_UNSEEN_IN_VENV") == "1":
        return
    venv = os.path.abspath(args.venv or os.path.join(tempfile.gettempdir(), "atrest-datasets-unseen-venv"))
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q"] + REQUIRED, check=True)
    skipped = []
    for pkg in OPTIONAL + (["lhotse", "urllib3"] if args.with_lhotse else []):
        r = subprocess.run([py, "-m", "pip", "install", "-q", pkg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            skipped.append(pkg)
            print(f"[install] {pkg} failed: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    env = dict(os.environ, ATREST_UNSEEN_IN_VENV="1", ATREST_UNSEEN_INSTALL_FAILED=",".join(skipped))
    os.execve(py, [py, os.path.abspath(__file__)] + sys.argv[1:], env)


# ------------------------------------------------------------ the corpus ---

class Corpus:
    def __init__(self, out, work):
        self.out, self.work = out, work
        self.labels = {}  # rel -> (family, label, note)
        self.skipped = []  # (what, why)

    def path(self, rel):
        p = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def label(self, rel, family, label, note):
        assert os.path.exists(os.path.join(self.out, rel)), rel
        self.labels[rel] = (family, label, note)

    def put(self, rel, data, family, label, note):
        with open(self.path(rel), "wb") as f:
            f.write(data)
        self.label(rel, family, label, note)

    def label_rest(self, subdir, family, note):
        """Label every not-yet-labelled file under subdir (library side files) must-not-flag."""
        base = os.path.join(self.out, subdir)
        for root, _, files in os.walk(base):
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), self.out)
                if rel not in self.labels:
                    self.label(rel, family, CLEAN, note + ": " + name)


SENTENCES = [  # (espeak-ng voice, speed, made-up sentence); none of these voices is in make_datasets.py
    ("pl+Annie", 165, "Żółty tramwaj skręca przy starym młynie o siódmej rano."),
    ("sv+klatt3", 140, "Den röda båten ligger kvar vid bryggan hela vintern."),
    ("fi+Michael", 185, "Vanha kello soi kolme kertaa ennen iltapalaa."),
    ("cs+grandma", 130, "Malý pes čeká u zelené branky na poštovní vůz."),
    ("hu+Andy", 175, "A kék ernyő a szekrény tetején maradt tegnap óta."),
    ("tr+Linda", 155, "Sarı kedi pencerenin önünde sessizce uyuyor."),
    ("ro+Gene", 200, "Trenul de seară pleacă spre munte la ora nouă."),
    ("da+Storm", 145, "Postbuddet kom med tre pakker og et brev i morges."),
    ("en-gb-scotland+male4", 160, "The ferry to the northern islands leaves before the rain arrives."),
    ("pt-br+Mario", 190, "A feira abre cedo e fecha antes do almoço de domingo."),
    ("el+Steph", 150, "Το μικρό καράβι φτάνει στο λιμάνι το απόγευμα."),
    ("id+Alex", 210, "Kereta pagi berangkat tepat pukul tujuh dari stasiun kota."),
    ("en-us-nyc+female_whisper", 150, "Leave the spare key under the third flower pot by the gate."),
    ("ca+Robert", 170, "El rellotge de la plaça marca les cinc i quart."),
]
WORDS = ("ferry island lantern meadow orchard tram station parcel letter morning winter "
         "harbour clock market square pepper violet garden ladder candle pocket seven nine").split()


def main_build(args):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import soundfile

    out = os.path.abspath(args.outdir)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    work = tempfile.mkdtemp(prefix="atrest-unseen-")
    C = Corpus(out, work)
    rng = np.random.default_rng(20261130)
    cache = {}

    def speech(i, rate=16000, seconds=1.5):
        voice, speed, text = SENTENCES[i % len(SENTENCES)]
        key = (i % len(SENTENCES), rate)
        if key not in cache:
            raw, res = os.path.join(work, "es.wav"), os.path.join(work, "res.wav")
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", raw, text], check=True)
            subprocess.run(["sox", "-V1", "-R", raw, "-r", str(rate), "-c", "1", "-b", "16", res,
                            "silence", "1", "0.02", "0.5%"], check=True)
            with wave.open(res, "rb") as w:
                x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int32)
            x = x + np.random.default_rng(77 + key[0]).normal(0, 16, len(x)).astype(np.int32)
            cache[key] = np.clip(x, -32768, 32767).astype(np.int16)
        x = cache[key]
        n = int(rate * seconds)
        return x[:n] if len(x) >= n else np.concatenate([x, np.zeros(n - len(x), np.int16)])

    def f32(x):
        return (x.astype(np.float32) / 32768.0)

    def tone(rate=16000, seconds=1.0, hz=440.0):
        t = np.arange(int(rate * seconds)) / rate
        return (0.4 * np.sin(2 * np.pi * hz * t) * 32767).astype(np.int16)

    def wav_bytes(x, rate=16000):
        b = io.BytesIO()
        soundfile.write(b, x, rate, format="WAV", subtype="PCM_16")
        return b.getvalue()

    def flac_bytes(x, rate=16000):
        b = io.BytesIO()
        soundfile.write(b, x, rate, format="FLAC", subtype="PCM_16")
        return b.getvalue()

    def encode(x, rate, args_, suffix):
        src, dst = os.path.join(work, "in.wav"), os.path.join(work, "out" + suffix)
        with open(src, "wb") as f:
            f.write(wav_bytes(x, rate))
        subprocess.run([a.replace("IN", src).replace("OUT", dst) for a in args_], check=True)
        with open(dst, "rb") as f:
            return f.read()

    def mp3_bytes(x, rate=16000):
        return encode(x, rate, ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", "IN",
                                "-c:a", "libmp3lame", "-b:a", "24k", "OUT"], ".mp3")

    def opus_bytes(x, rate=16000):
        return encode(x, rate, ["opusenc", "--quiet", "--bitrate", "16", "IN", "OUT"], ".opus")

    def vorbis_bytes(x, rate=16000):
        return encode(x, rate, ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", "IN",
                                "-c:a", "libvorbis", "-q:a", "0", "OUT"], ".ogg")

    ENC = {"wav": wav_bytes, "flac": flac_bytes, "mp3": mp3_bytes, "opus": opus_bytes}

    def text_of(k=8):
        return " ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + "."

    def embeddings(n, d=768):
        return rng.normal(0, 1, (n, d)).astype(np.float32)

    def images(n, h=24, w=24):
        yy, xx = np.mgrid[0:h, 0:w]
        return np.stack([np.stack([(xx * 10 + 30 * k) % 256, (yy * 10 + 17 * k) % 256, ((xx + yy) * 5) % 256], -1)
                         for k in range(n)]).astype(np.uint8)

    def token_ids(n, L=128):
        return rng.integers(0, 50257, (n, L)).astype(np.int64)

    def noise(n):
        return rng.normal(0, 0.3, n).astype(np.float32)

    def tabular(n=300):
        return {"id": np.arange(n, dtype=np.int64), "price": rng.gamma(2.0, 10.0, n).round(2),
                "qty": rng.integers(1, 40, n).astype(np.int32), "temp": (20 + rng.normal(0, 3, n)).astype(np.float32),
                "sku": [f"SKU-{int(v):05d}" for v in rng.integers(0, 99999, n)]}

    def hf_rows(n, ext="wav", start=0, rate=16000, seconds=1.2):
        return [{"bytes": ENC[ext](speech(start + k, rate, seconds), rate), "path": f"utt{start + k:04d}.{ext}"} for k in range(n)]

    def late(rel, marker):
        """The first base64 audio must start after the first 64 KiB of the file."""
        pos = open(os.path.join(out, rel), "rb").read().find(marker.encode())
        assert pos > LIMIT, (rel, pos)

    # ---- 1. plain audio files (the encodings themselves) -----------------
    fam = "audio-files"
    C.put("audio/pl-22k.wav", wav_bytes(speech(0, 22050, 1.2), 22050), fam, FLAG, "WAV PCM16 22.05 kHz, Polish")
    C.put("audio/sv-16k.flac", flac_bytes(speech(1)), fam, FLAG, "FLAC 16 kHz, Swedish klatt3")
    C.put("audio/fi-16k.mp3", mp3_bytes(speech(2)), fam, FLAG, "MP3 24 kb/s, Finnish")
    C.put("audio/cs-16k.opus", opus_bytes(speech(3)), fam, FLAG, "Ogg/Opus (opusenc), Czech")
    C.put("audio/hu-16k.ogg", vorbis_bytes(speech(4)), fam, FLAG, "Ogg/Vorbis (ffmpeg), Hungarian")
    C.put("audio/tone-1k.wav", wav_bytes(tone(16000, 1.0, 1000.0)), "tones", FLAG, "WAV of a 1 kHz sine (a tone is audio)")
    C.put("audio/notes.txt", ("\n".join(text_of(12) for _ in range(40))).encode(), fam, CLEAN, "plain text")

    # ---- 2. Hugging Face datasets ----------------------------------------
    fam = "hf-datasets"
    try:
        import datasets as hfd
        from datasets import Audio, Dataset, Features, Value
        ListT = getattr(hfd, "List", None) or hfd.Sequence
        hfd.disable_progress_bars()

        def hf_audio_ds(ext, n=3, start=0):
            # datasets >= 4 wants torchcodec to *encode* through from_dict(features=...): build the
            # arrow struct first, then cast to Audio() (no decoding; the stored schema is the same).
            d = Dataset.from_dict({"audio": hf_rows(n, ext, start), "text": [text_of() for _ in range(n)]})
            return d.cast(Features({"audio": Audio(sampling_rate=16000), "text": Value("string")}))

        d = hf_audio_ds("wav", 3, 0)
        d.save_to_disk(os.path.join(out, "hf/save_to_disk-wav"))
        for rel in sorted(os.listdir(os.path.join(out, "hf/save_to_disk-wav"))):
            if rel.endswith(".arrow"):
                C.label(f"hf/save_to_disk-wav/{rel}", fam, FLAG, "save_to_disk shard: Audio() WAV bytes")
        C.label_rest("hf/save_to_disk-wav", fam, "save_to_disk side file")

        d = hf_audio_ds("flac", 4, 3)
        d.save_to_disk(os.path.join(out, "hf/save_to_disk-flac-2shards"), num_shards=2)
        for rel in sorted(os.listdir(os.path.join(out, "hf/save_to_disk-flac-2shards"))):
            if rel.endswith(".arrow"):
                C.label(f"hf/save_to_disk-flac-2shards/{rel}", fam, FLAG, "save_to_disk, 2 shards: Audio() FLAC bytes")
        C.label_rest("hf/save_to_disk-flac-2shards", fam, "save_to_disk side file")

        w = [f32(speech(k, 16000, 1.0)) for k in range(2)]
        d = Dataset.from_dict({"input_values": w, "label": [0, 1]},
                              features=Features({"input_values": ListT(Value("float32")), "label": Value("int64")}))
        d.save_to_disk(os.path.join(out, "hf/save_to_disk-waveform"))
        for rel in sorted(os.listdir(os.path.join(out, "hf/save_to_disk-waveform"))):
            if rel.endswith(".arrow"):
                C.label(f"hf/save_to_disk-waveform/{rel}", fam, FLAG, "save_to_disk: List(float32) waveform `input_values`")
        C.label_rest("hf/save_to_disk-waveform", fam, "save_to_disk side file")

        e = Dataset.from_dict({"embedding": list(embeddings(8)), "id": list(range(8))},
                              features=Features({"embedding": ListT(Value("float32")), "id": Value("int64")}))
        e.save_to_disk(os.path.join(out, "hf/save_to_disk-embeddings"))
        C.label_rest("hf/save_to_disk-embeddings", fam, "embeddings [8,768] save_to_disk (not audio)")

        for ext in ("wav", "mp3", "opus"):
            hf_audio_ds(ext, 3, 5).to_parquet(C.path(f"hf/to_parquet-{ext}.parquet"))
            C.label(f"hf/to_parquet-{ext}.parquet", fam, FLAG, f"Dataset.to_parquet, Audio() {ext.upper()} bytes")
        Dataset.from_dict({"text": [text_of() for _ in range(200)]}).to_parquet(C.path("hf/to_parquet-text.parquet"))
        C.label("hf/to_parquet-text.parquet", fam, CLEAN, "Dataset.to_parquet, transcripts only")
        Dataset.from_dict({"input_ids": list(token_ids(30))}).to_parquet(C.path("hf/to_parquet-tokens.parquet"))
        C.label("hf/to_parquet-tokens.parquet", fam, CLEAN, "Dataset.to_parquet, token ids")

        # map() cache file in an explicit cache_file_name, and load_dataset's cache dir.
        src = hf_audio_ds("flac", 3, 8)
        src.map(lambda t: {"n_chars": len(t)}, input_columns=["text"], cache_file_name=C.path("hf/map-cache/cache-audio.arrow"))
        C.label("hf/map-cache/cache-audio.arrow", fam, FLAG, "map(cache_file_name=...) of an Audio() FLAC dataset")
        Dataset.from_dict({"embedding": list(embeddings(6))}).map(
            lambda ex: {"norm": float(np.linalg.norm(ex["embedding"]))},
            cache_file_name=C.path("hf/map-cache/cache-embeddings.arrow"))
        C.label("hf/map-cache/cache-embeddings.arrow", fam, CLEAN, "map() cache of embeddings")
        staging = os.path.join(work, "hf-src.parquet")
        hf_audio_ds("wav", 3, 11).to_parquet(staging)
        hfd.load_dataset("parquet", data_files=staging, cache_dir=os.path.join(out, "hf/load_dataset-cache"), split="train")
        for root, _, files in os.walk(os.path.join(out, "hf/load_dataset-cache")):
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), out)
                if name.endswith(".arrow"):
                    C.label(rel, fam, FLAG, "load_dataset('parquet') cache .arrow: Audio() WAV bytes")
        C.label_rest("hf/load_dataset-cache", fam, "load_dataset cache side file")

        # HF text exporters: JSON lines / CSV with base64 audio as a string column
        rows = [text_of(10) for _ in range(1000)]
        b64 = [""] * 1000 + [base64.b64encode(flac_bytes(speech(k))).decode() for k in range(2)]
        Dataset.from_dict({"text": rows + ["x", "y"], "audio_b64": b64}).to_json(C.path("hf/to_json-b64-late.jsonl"))
        late("hf/to_json-b64-late.jsonl", "ZkxhQ")
        C.label("hf/to_json-b64-late.jsonl", "text-base64", FLAG, "Dataset.to_json: base64 FLAC in rows 701-702 (after 64 KiB)")
        Dataset.from_dict({"text": rows + ["x", "y"], "audio_b64": b64}).to_csv(C.path("hf/to_csv-b64-late.csv"), index=False)
        late("hf/to_csv-b64-late.csv", "ZkxhQ")
        C.label("hf/to_csv-b64-late.csv", "text-base64", FLAG, "Dataset.to_csv: base64 FLAC in the last 2 rows (after 64 KiB)")
    except Exception as ex:  # noqa: BLE001
        C.skipped.append(("datasets", repr(ex)))
        raise

    # ---- 3. pandas + pyarrow parquet --------------------------------------
    import pandas as pd
    fam = "pandas-pyarrow-parquet"
    base_rows = hf_rows(3, "wav", 2)
    df = pd.DataFrame({"audio": base_rows, "sentence": [text_of() for _ in range(3)], "client_id": ["a1", "b2", "c3"]})
    for codec in ("snappy", "gzip", "zstd", "lz4", "brotli", "none"):
        df.to_parquet(C.path(f"pandas/struct-{codec}.parquet"), engine="pyarrow", compression=None if codec == "none" else codec)
        C.label(f"pandas/struct-{codec}.parquet", fam, FLAG, f"pandas to_parquet, struct{{bytes,path}} WAV, {codec}")
    df.to_parquet(C.path("pandas/struct-pagev2.parquet"), engine="pyarrow", data_page_version="2.0")
    C.label("pandas/struct-pagev2.parquet", fam, FLAG, "pandas to_parquet, data_page_version 2.0")
    df.to_parquet(C.path("pandas/struct-pagev2-zstd-nodict.parquet"), engine="pyarrow", data_page_version="2.0",
                  compression="zstd", use_dictionary=False)
    C.label("pandas/struct-pagev2-zstd-nodict.parquet", fam, FLAG, "page v2, zstd, dictionary off")
    pd.DataFrame({"wav": [r["bytes"] for r in hf_rows(2, "flac", 4)], "id": [1, 2]}).to_parquet(
        C.path("pandas/binary-flac.parquet"), engine="pyarrow")
    C.label("pandas/binary-flac.parquet", fam, FLAG, "pandas bytes column of FLAC files")
    pd.DataFrame(tabular()).to_parquet(C.path("pandas/tabular.parquet"), engine="pyarrow")
    C.label("pandas/tabular.parquet", fam, CLEAN, "tabular")
    pd.DataFrame({"text": [text_of() for _ in range(400)]}).to_parquet(C.path("pandas/text.parquet"), engine="pyarrow")
    C.label("pandas/text.parquet", fam, CLEAN, "text")

    # ---- 4. pyarrow direct: audio placement variety -----------------------
    fam = "pyarrow-parquet"
    aud_t = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    n_null = 60
    later = [None] * n_null + hf_rows(2, "wav", 6)
    t = pa.table({"id": pa.array(range(len(later)), pa.int64()), "audio": pa.array(later, aud_t),
                  "text": [text_of() for _ in later]})
    pq.write_table(t, C.path("pyarrow/later-row-group-null.parquet"), row_group_size=10)
    C.label("pyarrow/later-row-group-null.parquet", fam, FLAG, f"first {n_null} rows audio=null (6 row groups), WAV in row group 7")
    later2 = [{"bytes": None, "path": f"clips/{k}.mp3"} for k in range(n_null)] + hf_rows(2, "mp3", 7)
    t = pa.table({"audio": pa.array(later2, aud_t)})
    pq.write_table(t, C.path("pyarrow/later-row-group-path-only.parquet"), row_group_size=12, compression="zstd")
    C.label("pyarrow/later-row-group-path-only.parquet", fam, FLAG, "60 path-only rows, MP3 bytes from row group 6, zstd")
    t = pa.table({"audio": pa.array([b""] * n_null + [flac_bytes(speech(7))], pa.binary())})
    pq.write_table(t, C.path("pyarrow/later-row-group-empty-bytes.parquet"), row_group_size=10)
    C.label("pyarrow/later-row-group-empty-bytes.parquet", fam, FLAG, f"{n_null} rows of empty bytes (not null), FLAC in row group 7")
    t = pa.table({"id": list(range(9)), "audio": pa.array([b"n/a"] * 8 + [wav_bytes(speech(8))], pa.binary())})
    pq.write_table(t, C.path("pyarrow/audio-in-row-8-one-group.parquet"), use_dictionary=False)
    C.label("pyarrow/audio-in-row-8-one-group.parquet", fam, FLAG, "one row group; rows 0-7 hold b'n/a', WAV in row 8 (no dictionary)")
    k = 80
    t = pa.table({"a_text": [text_of() for _ in range(k)], "b_ids": pa.array(range(k), pa.int32()),
                  "c_score": rng.random(k), "d_lang": ["sv"] * k, "e_flag": [True] * k, "f_dur": rng.random(k),
                  "g_path": [f"x/{i}.wav" for i in range(k)],
                  "question_audio": pa.array([None] * (k - 1) + [wav_bytes(speech(8))], pa.binary()),
                  "answer_audio": pa.array([None] * (k - 2) + [flac_bytes(speech(9)), flac_bytes(speech(10))], pa.binary())})
    pq.write_table(t, C.path("pyarrow/wide-two-audio-columns.parquet"), row_group_size=20)
    C.label("pyarrow/wide-two-audio-columns.parquet", fam, FLAG, "9 columns, two binary audio columns last, audio only in the last row group")
    t = pa.table({"meta": pa.array([{"speaker": "s1", "clip": {"bytes": wav_bytes(speech(11)), "path": "a.wav"}},
                                    {"speaker": "s2", "clip": {"bytes": wav_bytes(speech(12)), "path": "b.wav"}}])})
    pq.write_table(t, C.path("pyarrow/nested-struct-in-struct.parquet"))
    C.label("pyarrow/nested-struct-in-struct.parquet", fam, FLAG, "struct{speaker, clip: struct{bytes,path}} WAV")
    t = pa.table({"wave": pa.array([f32(speech(k, 16000, 1.0)) for k in range(2)], pa.list_(pa.float32())), "sr": [16000, 16000]})
    pq.write_table(t, C.path("pyarrow/list-float32.parquet"))
    C.label("pyarrow/list-float32.parquet", fam, FLAG, "list<float32> waveform, pyarrow defaults (dictionary on)")
    pq.write_table(t, C.path("pyarrow/list-float32-nodict-gzip.parquet"), use_dictionary=False, compression="gzip")
    C.label("pyarrow/list-float32-nodict-gzip.parquet", fam, FLAG, "list<float32> waveform, no dictionary, gzip")
    t = pa.table({"pcm": pa.array([speech(k, 16000, 1.0) for k in range(3, 5)], pa.list_(pa.int16()))})
    pq.write_table(t, C.path("pyarrow/list-int16.parquet"), compression="zstd")
    C.label("pyarrow/list-int16.parquet", fam, FLAG, "list<int16> waveform, zstd")
    t = pa.table({"pcm": pa.array([None] * 40 + [speech(5, 16000, 1.0)], pa.list_(pa.int16()))})
    pq.write_table(t, C.path("pyarrow/list-int16-later-row-group.parquet"), row_group_size=8)
    C.label("pyarrow/list-int16-later-row-group.parquet", fam, FLAG, "list<int16>: 40 null rows, waveform in row group 6")
    t = pa.table({"wave": pa.array([f32(tone(16000, 1.0, 330.0))], pa.list_(pa.float32()))})
    pq.write_table(t, C.path("pyarrow/tone-list-float32.parquet"))
    C.label("pyarrow/tone-list-float32.parquet", "tones", FLAG, "list<float32> 330 Hz sine (a tone is audio)")
    emb = embeddings(24)
    pq.write_table(pa.table({"emb": pa.FixedSizeListArray.from_arrays(pa.array(emb.ravel()), 768)}), C.path("pyarrow/embeddings-768.parquet"))
    C.label("pyarrow/embeddings-768.parquet", fam, CLEAN, "float32 [24,768] normal embeddings, fixed_size_list")
    pq.write_table(pa.table({"emb": pa.array(list(emb), pa.list_(pa.float32()))}), C.path("pyarrow/embeddings-768-list.parquet"), use_dictionary=False)
    C.label("pyarrow/embeddings-768-list.parquet", fam, CLEAN, "float32 [24,768] embeddings, list<float>, no dictionary")
    pq.write_table(pa.table({"noise": pa.array([noise(16000)], pa.list_(pa.float32()))}), C.path("pyarrow/noise-list-float32.parquet"))
    C.label("pyarrow/noise-list-float32.parquet", fam, CLEAN, "list<float32> gaussian noise (16000 samples)")
    pq.write_table(pa.table({"input_ids": pa.array(list(token_ids(40)), pa.list_(pa.int64()))}), C.path("pyarrow/token-ids.parquet"))
    C.label("pyarrow/token-ids.parquet", fam, CLEAN, "list<int64> token ids")
    pq.write_table(pa.table({"pixels": pa.array(list(images(8).reshape(8, -1)), pa.list_(pa.uint8()))}), C.path("pyarrow/image-uint8.parquet"))
    C.label("pyarrow/image-uint8.parquet", fam, CLEAN, "list<uint8> image tensors [8,24,24,3]")
    pq.write_table(pa.table({"pixel_values": pa.array(list((images(4).astype(np.float32) / 255 - 0.5).reshape(4, -1)),
                                                      pa.list_(pa.float32()))}), C.path("pyarrow/image-float32.parquet"))
    C.label("pyarrow/image-float32.parquet", fam, CLEAN, "list<float32> normalised image tensors")

    # ---- 5. polars ---------------------------------------------------------
    import polars as pl
    fam = "polars-parquet"
    wavs = [r["bytes"] for r in hf_rows(3, "wav", 1)]
    pdf = pl.DataFrame({"audio": pl.Series(wavs, dtype=pl.Binary), "sentence": [text_of() for _ in range(3)]})
    for codec in ("zstd", "snappy", "gzip", "lz4", "brotli", "uncompressed"):
        pdf.write_parquet(C.path(f"polars/binary-wav-{codec}.parquet"), compression=codec)
        C.label(f"polars/binary-wav-{codec}.parquet", fam, FLAG, f"polars write_parquet, Binary WAV column, {codec}")
    sdf = pl.DataFrame({"audio": [{"bytes": r["bytes"], "path": r["path"]} for r in hf_rows(2, "flac", 2)]})
    sdf.write_parquet(C.path("polars/struct-flac.parquet"))
    C.label("polars/struct-flac.parquet", fam, FLAG, "polars struct{bytes,path} FLAC")
    ldf = pl.DataFrame({"id": list(range(50)),
                        "audio": pl.Series([None] * 48 + [wav_bytes(speech(3)), wav_bytes(speech(4))], dtype=pl.Binary)})
    ldf.write_parquet(C.path("polars/later-row-group.parquet"), row_group_size=10)
    C.label("polars/later-row-group.parquet", fam, FLAG, "polars, 48 null rows then WAV (row_group_size=10)")
    wdf = pl.DataFrame({"wave": pl.Series([f32(speech(k, 16000, 1.0)).tolist() for k in range(2)], dtype=pl.List(pl.Float32))})
    wdf.write_parquet(C.path("polars/list-float32.parquet"))
    C.label("polars/list-float32.parquet", fam, FLAG, "polars List(Float32) waveform")
    idf = pl.DataFrame({"pcm": pl.Series([speech(k, 16000, 1.0).tolist() for k in range(6, 8)], dtype=pl.List(pl.Int16))})
    idf.write_parquet(C.path("polars/list-int16.parquet"))
    C.label("polars/list-int16.parquet", fam, FLAG, "polars List(Int16) waveform")
    adf = pl.DataFrame({"wave": pl.Series([f32(speech(9, 16000, 1.0))], dtype=pl.Array(pl.Float32, 16000))})
    adf.write_parquet(C.path("polars/array-float32.parquet"))
    C.label("polars/array-float32.parquet", fam, FLAG, "polars Array(Float32, 16000) waveform (fixed-size list)")
    edf = pl.DataFrame({"emb": pl.Series(embeddings(16), dtype=pl.Array(pl.Float32, 768))})
    edf.write_parquet(C.path("polars/embeddings-768.parquet"))
    C.label("polars/embeddings-768.parquet", fam, CLEAN, "polars Array(Float32,768) embeddings")
    pl.DataFrame(tabular()).write_parquet(C.path("polars/tabular.parquet"))
    C.label("polars/tabular.parquet", fam, CLEAN, "polars tabular")
    pl.DataFrame({"noise": pl.Series([noise(16000).tolist()], dtype=pl.List(pl.Float32))}).write_parquet(C.path("polars/noise.parquet"))
    C.label("polars/noise.parquet", fam, CLEAN, "polars List(Float32) gaussian noise")
    fam = "polars-ipc"
    for codec in ("lz4", "zstd", "uncompressed"):
        pdf.write_ipc(C.path(f"polars/ipc-binary-wav-{codec}.arrow"), compression=codec)
        C.label(f"polars/ipc-binary-wav-{codec}.arrow", fam, FLAG, f"polars write_ipc (Arrow IPC file), Binary WAV, {codec}")
    wdf.write_ipc(C.path("polars/ipc-list-float32-zstd.arrow"), compression="zstd")
    C.label("polars/ipc-list-float32-zstd.arrow", fam, FLAG, "polars write_ipc List(Float32) waveform, zstd")
    pdf.write_ipc(C.path("polars/ipc-binary-wav-lz4-compat-oldest.arrow"), compression="lz4", compat_level=pl.CompatLevel.oldest())
    C.label("polars/ipc-binary-wav-lz4-compat-oldest.arrow", fam, FLAG, "polars write_ipc compat_level=oldest (LargeBinary, not BinaryView), lz4")
    pdf.write_ipc_stream(C.path("polars/ipc-stream-wav-lz4.arrows"), compression="lz4")
    C.label("polars/ipc-stream-wav-lz4.arrows", fam, FLAG, "polars write_ipc_stream Binary WAV, lz4")
    pdf.write_ipc_stream(C.path("polars/ipc-stream-wav-lz4-compat-oldest.arrows"), compression="lz4", compat_level=pl.CompatLevel.oldest())
    C.label("polars/ipc-stream-wav-lz4-compat-oldest.arrows", fam, FLAG, "polars write_ipc_stream compat_level=oldest (LargeBinary), lz4")
    edf.write_ipc(C.path("polars/ipc-embeddings-lz4.arrow"), compression="lz4")
    C.label("polars/ipc-embeddings-lz4.arrow", fam, CLEAN, "polars write_ipc embeddings, lz4")
    pl.DataFrame(tabular()).write_ipc(C.path("polars/ipc-tabular-zstd.arrow"), compression="zstd")
    C.label("polars/ipc-tabular-zstd.arrow", fam, CLEAN, "polars write_ipc tabular, zstd")

    # ---- 6. duckdb -----------------------------------------------------------
    fam = "duckdb-parquet"
    try:
        import duckdb
        con = duckdb.connect()

        def copy(tbl, rel, opts):
            con.register("t", tbl)
            path = C.path(rel).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM t) TO '{path}' (FORMAT parquet{opts})")
            con.unregister("t")

        tb = pa.table({"audio": pa.array([r["bytes"] for r in hf_rows(3, "wav", 10)], pa.binary()), "id": [1, 2, 3]})
        for codec in ("snappy", "zstd", "gzip", "uncompressed"):
            copy(tb, f"duckdb/blob-wav-{codec}.parquet", f", COMPRESSION {codec}")
            C.label(f"duckdb/blob-wav-{codec}.parquet", fam, FLAG, f"duckdb COPY, BLOB WAV, {codec}")
        copy(tb, "duckdb/blob-wav-v2.parquet", ", PARQUET_VERSION V2")
        C.label("duckdb/blob-wav-v2.parquet", fam, FLAG, "duckdb COPY, PARQUET_VERSION V2")
        copy(pa.table({"audio": pa.array(hf_rows(2, "opus", 12), aud_t)}), "duckdb/struct-opus.parquet", "")
        C.label("duckdb/struct-opus.parquet", fam, FLAG, "duckdb COPY, STRUCT(bytes BLOB, path VARCHAR) Opus")
        copy(pa.table({"audio": pa.array([None] * 60 + [flac_bytes(speech(13))], pa.binary())}),
             "duckdb/later-row-group.parquet", ", ROW_GROUP_SIZE 10")
        C.label("duckdb/later-row-group.parquet", fam, FLAG, "duckdb, 60 null rows then FLAC, ROW_GROUP_SIZE 10")
        copy(pa.table({"wave": pa.array([f32(speech(k, 16000, 1.0)) for k in range(2)], pa.list_(pa.float32()))}),
             "duckdb/list-float.parquet", "")
        C.label("duckdb/list-float.parquet", fam, FLAG, "duckdb FLOAT[] waveform")
        copy(pa.table({"pcm": pa.array([speech(k, 16000, 1.0) for k in range(2, 4)], pa.list_(pa.int16()))}),
             "duckdb/list-smallint.parquet", "")
        C.label("duckdb/list-smallint.parquet", fam, FLAG, "duckdb SMALLINT[] waveform")
        copy(pa.table({"emb": pa.array(list(embeddings(16)), pa.list_(pa.float32()))}), "duckdb/embeddings.parquet", "")
        C.label("duckdb/embeddings.parquet", fam, CLEAN, "duckdb FLOAT[] embeddings [16,768]")
        copy(pa.table(tabular()), "duckdb/tabular.parquet", "")
        C.label("duckdb/tabular.parquet", fam, CLEAN, "duckdb tabular")
    except ImportError as ex:
        C.skipped.append(("duckdb", repr(ex)))

    # ---- 7. fastparquet ------------------------------------------------------
    fam = "fastparquet"
    try:
        import fastparquet
        fdf = pd.DataFrame({"audio": [r["bytes"] for r in hf_rows(3, "wav", 4)], "text": [text_of() for _ in range(3)]})
        for codec in ("SNAPPY", "GZIP", "ZSTD", "LZ4", "BROTLI", None):
            rel = f"fastparquet/bytes-wav-{(codec or 'none').lower()}.parquet"
            try:
                fastparquet.write(C.path(rel), fdf, compression=codec, object_encoding={"audio": "bytes", "text": "utf8"})
                C.label(rel, fam, FLAG, f"fastparquet.write bytes WAV, {codec}")
            except Exception as ex:  # noqa: BLE001
                C.skipped.append((f"fastparquet {codec}", repr(ex)[:120]))
        later_df = pd.DataFrame({"audio": [b""] * 50 + [flac_bytes(speech(5))], "id": range(51)})
        fastparquet.write(C.path("fastparquet/later-row-group.parquet"), later_df, row_group_offsets=10,
                          object_encoding={"audio": "bytes"})
        C.label("fastparquet/later-row-group.parquet", fam, FLAG, "50 empty-bytes rows then FLAC, row groups of 10")
        jdf = pd.DataFrame({"wave": [f32(speech(6, 16000, 0.5)).tolist()]})
        fastparquet.write(C.path("fastparquet/waveform-json.parquet"), jdf, object_encoding="json")
        C.label("fastparquet/waveform-json.parquet", fam, FLAG, "waveform as JSON text (object_encoding='json'): hard case")
        fastparquet.write(C.path("fastparquet/tabular.parquet"), pd.DataFrame(tabular()))
        C.label("fastparquet/tabular.parquet", fam, CLEAN, "fastparquet tabular")
        fastparquet.write(C.path("fastparquet/noise-float32.parquet"), pd.DataFrame({"x": noise(20000)}))
        C.label("fastparquet/noise-float32.parquet", fam, CLEAN, "fastparquet float32 column of gaussian noise")
        fastparquet.write(C.path("fastparquet/wave-float32-column.parquet"), pd.DataFrame({"x": f32(speech(7, 16000, 1.0))}))
        C.label("fastparquet/wave-float32-column.parquet", fam, FLAG, "one float32 column = waveform samples (one row per sample)")
    except ImportError as ex:
        C.skipped.append(("fastparquet", repr(ex)))

    # ---- 8. numpy ------------------------------------------------------------
    fam = "numpy"
    np.save(C.path("numpy/ro-int16.npy"), speech(6)); C.label("numpy/ro-int16.npy", fam, FLAG, "int16 1-D 16 kHz")
    np.save(C.path("numpy/da-float32.npy"), f32(speech(7))); C.label("numpy/da-float32.npy", fam, FLAG, "float32 1-D")
    np.save(C.path("numpy/batch-float32.npy"), np.stack([f32(speech(k, 16000, 1.0)) for k in range(8, 11)]))
    C.label("numpy/batch-float32.npy", fam, FLAG, "float32 [3,16000] batch of utterances")
    np.save(C.path("numpy/el-float64.npy"), speech(10).astype(np.float64) / 32768)
    C.label("numpy/el-float64.npy", fam, FLAG, "float64 1-D waveform")
    np.save(C.path("numpy/whisper-int16-24k.npy"), speech(12, 24000, 1.5))
    C.label("numpy/whisper-int16-24k.npy", fam, FLAG, "int16 whispered voice, 24 kHz")
    np.save(C.path("numpy/fortran-2ch-int16.npy"), np.asfortranarray(np.stack([speech(11), speech(11)[::-1]], 1)))
    C.label("numpy/fortran-2ch-int16.npy", fam, FLAG, "int16 [N,2] Fortran order (interleaved on disk: no, column-major)")
    np.savez(C.path("numpy/utts.npz"), wav=speech(13), sr=np.int64(16000), text=np.array(text_of()))
    C.label("numpy/utts.npz", fam, FLAG, "np.savez: int16 `wav`, `sr`, `text`")
    np.savez_compressed(C.path("numpy/utts-compressed.npz"), **{f"utt{k}": f32(speech(k, 16000, 1.0)) for k in range(3)})
    C.label("numpy/utts-compressed.npz", fam, FLAG, "np.savez_compressed: 3 float32 waveforms")
    np.save(C.path("numpy/tone-float32.npy"), f32(tone(16000, 1.0, 523.25)))
    C.label("numpy/tone-float32.npy", "tones", FLAG, "float32 523 Hz sine (a tone is audio)")
    np.save(C.path("numpy/noise-float32.npy"), noise(32000)); C.label("numpy/noise-float32.npy", fam, CLEAN, "gaussian noise float32")
    np.save(C.path("numpy/noise-int16.npy"), rng.integers(-8000, 8000, 32000).astype(np.int16))
    C.label("numpy/noise-int16.npy", fam, CLEAN, "uniform noise int16")
    np.save(C.path("numpy/token-ids-int64.npy"), token_ids(64)); C.label("numpy/token-ids-int64.npy", fam, CLEAN, "int64 token ids [64,128]")
    np.save(C.path("numpy/token-ids-int32.npy"), token_ids(64).astype(np.int32)); C.label("numpy/token-ids-int32.npy", fam, CLEAN, "int32 token ids")
    np.save(C.path("numpy/images-uint8.npy"), images(16)); C.label("numpy/images-uint8.npy", fam, CLEAN, "uint8 [16,24,24,3] images")
    np.save(C.path("numpy/images-float32-nchw.npy"), (images(8).astype(np.float32) / 255).transpose(0, 3, 1, 2))
    C.label("numpy/images-float32-nchw.npy", fam, CLEAN, "float32 NCHW image tensor")
    np.save(C.path("numpy/embeddings-768.npy"), embeddings(32)); C.label("numpy/embeddings-768.npy", fam, CLEAN, "float32 [32,768] N(0,1)")
    tb = tabular()
    np.save(C.path("numpy/tabular-float64.npy"), np.stack([tb["price"], tb["temp"].astype(np.float64), tb["qty"].astype(np.float64)], 1))
    C.label("numpy/tabular-float64.npy", fam, CLEAN, "float64 [300,3] table")
    np.savez_compressed(C.path("numpy/features.npz"), emb=embeddings(8), ids=token_ids(8))
    C.label("numpy/features.npz", fam, CLEAN, "savez_compressed embeddings + token ids")

    # ---- 9. safetensors -------------------------------------------------------
    fam = "safetensors"
    import safetensors.numpy as stn
    stn.save_file({"waveform": f32(speech(1)).reshape(1, -1)}, C.path("safetensors/wave-f32.safetensors"), metadata={"sample_rate": "16000"})
    C.label("safetensors/wave-f32.safetensors", fam, FLAG, "F32 [1,24000] waveform + metadata")
    stn.save_file({"pcm": speech(2), "length": np.array([24000], np.int64)}, C.path("safetensors/pcm-i16.safetensors"))
    C.label("safetensors/pcm-i16.safetensors", fam, FLAG, "I16 waveform + I64 length")
    stn.save_file({"wave": f32(speech(3)).astype(np.float16)}, C.path("safetensors/wave-f16.safetensors"))
    C.label("safetensors/wave-f16.safetensors", fam, FLAG, "F16 waveform")
    stn.save_file({"a_embed": embeddings(4), "b_ids": token_ids(4), "z_wave": f32(speech(4))}, C.path("safetensors/mixed-wave-last.safetensors"))
    C.label("safetensors/mixed-wave-last.safetensors", fam, FLAG, "three tensors; waveform is the last (after embeddings and ids)")
    stn.save_file({"embeddings": embeddings(32)}, C.path("safetensors/embeddings.safetensors"))
    C.label("safetensors/embeddings.safetensors", fam, CLEAN, "F32 [32,768] embeddings")
    stn.save_file({"layer.weight": rng.normal(0, 0.02, (256, 256)).astype(np.float32), "layer.bias": np.zeros(256, np.float32)},
                  C.path("safetensors/weights.safetensors"))
    C.label("safetensors/weights.safetensors", fam, CLEAN, "model weights")
    stn.save_file({"pixel_values": images(8).astype(np.float32) / 255}, C.path("safetensors/images.safetensors"))
    C.label("safetensors/images.safetensors", fam, CLEAN, "image tensor")
    stn.save_file({"noise": noise(24000)}, C.path("safetensors/noise.safetensors"))
    C.label("safetensors/noise.safetensors", fam, CLEAN, "gaussian noise")

    # ---- 10. h5py ------------------------------------------------------------------
    fam = "h5py"
    import h5py
    with h5py.File(C.path("h5py/contiguous-int16.h5"), "w") as f:
        f.create_dataset("speech", data=speech(5)); f["speech"].attrs["rate"] = 16000
    C.label("h5py/contiguous-int16.h5", fam, FLAG, "contiguous int16")
    with h5py.File(C.path("h5py/chunked-gzip-float32.h5"), "w") as f:
        f.create_dataset("wave", data=f32(speech(6)), chunks=(4000,), compression="gzip", compression_opts=6)
    C.label("h5py/chunked-gzip-float32.h5", fam, FLAG, "chunked float32, gzip 6")
    with h5py.File(C.path("h5py/shuffle-lzf-int16.h5"), "w") as f:
        f.create_dataset("wave", data=speech(7), chunks=(2048,), shuffle=True, compression="lzf")
    C.label("h5py/shuffle-lzf-int16.h5", fam, FLAG, "chunked int16, shuffle + lzf")
    with h5py.File(C.path("h5py/batch-2d-chunked.h5"), "w") as f:
        f.create_dataset("audio", data=np.stack([f32(speech(k, 16000, 1.0)) for k in range(3)]), chunks=(1, 16000), compression="gzip")
    C.label("h5py/batch-2d-chunked.h5", fam, FLAG, "float32 [3,16000], one chunk per row, gzip")
    with h5py.File(C.path("h5py/flac-opaque.h5"), "w") as f:
        for k in range(2):
            f.create_dataset(f"utts/u{k}", data=np.void(flac_bytes(speech(8 + k))))
    C.label("h5py/flac-opaque.h5", fam, FLAG, "FLAC files stored as opaque np.void scalars")
    with h5py.File(C.path("h5py/flac-vlen-uint8.h5"), "w") as f:
        d = f.create_dataset("flac", (2,), dtype=h5py.vlen_dtype(np.uint8))
        for k in range(2):
            d[k] = np.frombuffer(flac_bytes(speech(10 + k)), np.uint8)
    C.label("h5py/flac-vlen-uint8.h5", fam, FLAG, "FLAC files as vlen uint8 (global heap)")
    try:
        import hdf5plugin
        with h5py.File(C.path("h5py/zstd-plugin-int16.h5"), "w") as f:
            f.create_dataset("wave", data=speech(12), chunks=(4096,), **hdf5plugin.Zstd())
        C.label("h5py/zstd-plugin-int16.h5", fam, FLAG, "chunked int16, hdf5plugin Zstd (filter 32015)")
        with h5py.File(C.path("h5py/blosc-lz4-float32.h5"), "w") as f:
            f.create_dataset("wave", data=f32(speech(13)), chunks=(4096,), **hdf5plugin.Blosc(cname="lz4", shuffle=hdf5plugin.Blosc.SHUFFLE))
        C.label("h5py/blosc-lz4-float32.h5", fam, FLAG, "chunked float32, hdf5plugin Blosc lz4+shuffle (filter 32001)")
    except ImportError as ex:
        C.skipped.append(("hdf5plugin", repr(ex)))
    with h5py.File(C.path("h5py/embeddings.h5"), "w") as f:
        f.create_dataset("emb", data=embeddings(32), chunks=(8, 768), compression="gzip")
    C.label("h5py/embeddings.h5", fam, CLEAN, "embeddings [32,768] chunked gzip")
    with h5py.File(C.path("h5py/images.h5"), "w") as f:
        f.create_dataset("images", data=images(16))
    C.label("h5py/images.h5", fam, CLEAN, "uint8 images contiguous")
    with h5py.File(C.path("h5py/noise.h5"), "w") as f:
        f.create_dataset("noise", data=noise(24000))
    C.label("h5py/noise.h5", fam, CLEAN, "gaussian noise float32 contiguous")
    with h5py.File(C.path("h5py/tokens-text.h5"), "w") as f:
        f.create_dataset("ids", data=token_ids(32)); f.create_dataset("text", data=[text_of().encode() for _ in range(50)])
    C.label("h5py/tokens-text.h5", fam, CLEAN, "token ids + fixed-length strings")

    # ---- 11. kaldiio ----------------------------------------------------------------
    fam = "kaldiio"
    try:
        import kaldiio
        with kaldiio.WriteHelper(f"ark,scp:{C.path('kaldiio/wav.ark')},{C.path('kaldiio/wav.scp')}") as w:
            for k in range(3):
                w[f"spk1-utt{k}"] = (16000, speech(k + 1, 16000, 1.0))
        C.label("kaldiio/wav.ark", fam, FLAG, "WriteHelper (rate, int16) -> RIFF/WAVE entries")
        kaldiio.save_ark(C.path("kaldiio/flac.ark"), {f"u{k}": (16000, speech(k + 4, 16000, 1.0)) for k in range(2)},
                         scp=C.path("kaldiio/flac.scp"), write_function="soundfile", write_kwargs={"format": "flac"})
        C.label("kaldiio/flac.ark", fam, FLAG, "save_ark write_function=soundfile format=flac")
        feats = {f"u{k}": rng.normal(0, 1, (120, 40)).astype(np.float32) + np.linspace(0, 3, 40, dtype=np.float32) for k in range(3)}
        with kaldiio.WriteHelper(f"ark,scp:{C.path('kaldiio/feats.ark')},{C.path('kaldiio/feats.scp')}") as w:
            for kk, v in feats.items():
                w[kk] = v
        C.label("kaldiio/feats.ark", fam, CLEAN, "float32 feature matrices [120,40] (fbank-like, not audio)")
        with kaldiio.WriteHelper(f"ark:{C.path('kaldiio/feats-compressed.ark')}", compression_method=2) as w:
            for kk, v in feats.items():
                w[kk] = v
        C.label("kaldiio/feats-compressed.ark", fam, CLEAN, "compressed matrices (CM2) of features")
        with kaldiio.WriteHelper(f"ark:{C.path('kaldiio/wave-matrix.ark')}") as w:
            w["u0"] = f32(speech(9)).reshape(1, -1)
        C.label("kaldiio/wave-matrix.ark", fam, FLAG, "float32 waveform written as a Kaldi matrix [1,N] (hard case)")
        C.label_rest("kaldiio", fam, "Kaldi scp (text index)")
    except ImportError as ex:
        C.skipped.append(("kaldiio", repr(ex)))

    # ---- 12. webdataset --------------------------------------------------------------
    fam = "webdataset"
    try:
        import webdataset as wds
        with wds.TarWriter(C.path("webdataset/train-000000.tar")) as w:
            for k in range(3):
                w.write({"__key__": f"s{k:05d}", "flac": flac_bytes(speech(k + 2)), "txt": text_of(), "json": {"spk": k}})
        C.label("webdataset/train-000000.tar", fam, FLAG, "TarWriter .flac + .txt + .json")
        with wds.TarWriter(C.path("webdataset/train-000001.tar")) as w:
            for k in range(40):
                w.write({"__key__": f"t{k:05d}", "txt": text_of(12), "json": {"i": k}})
            w.write({"__key__": "t99999", "wav": wav_bytes(speech(5))})
        C.label("webdataset/train-000001.tar", fam, FLAG, "40 text samples then one .wav at the end")
        with wds.TarWriter(C.path("webdataset/train-000002.tar.gz"), compress=True) as w:
            for k in range(2):
                w.write({"__key__": f"g{k:05d}", "wav": wav_bytes(speech(k + 7)), "txt": text_of()})
        C.label("webdataset/train-000002.tar.gz", fam, FLAG, "TarWriter compress=True (.tar.gz) .wav members")
        with wds.TarWriter(C.path("webdataset/train-000003.tar")) as w:
            for k in range(2):
                w.write({"__key__": f"n{k:05d}", "npy": f32(speech(k + 9, 16000, 1.0)), "cls": k})
        C.label("webdataset/train-000003.tar", fam, FLAG, ".npy float32 waveform members (TarWriter's npy encoder)")
        with wds.TarWriter(C.path("webdataset/emb-000000.tar")) as w:
            for k in range(4):
                w.write({"__key__": f"e{k:05d}", "npy": embeddings(1)[0], "txt": text_of(), "cls": k})
        C.label("webdataset/emb-000000.tar", fam, CLEAN, ".npy embeddings + text")
    except ImportError as ex:
        C.skipped.append(("webdataset", repr(ex)))

    # ---- 13. tfrecord (pure-Python writer of the `tfrecord` package) -----------------
    fam = "tfrecord"
    try:
        from tfrecord import TFRecordWriter
        w = TFRecordWriter(C.path("tfrecord/flac-bytes.tfrecord"))
        for k in range(2):
            w.write({"audio": (flac_bytes(speech(k + 11)), "byte"), "label": (k, "int")})
        w.close(); C.label("tfrecord/flac-bytes.tfrecord", fam, FLAG, "bytes feature = FLAC file")
        w = TFRecordWriter(C.path("tfrecord/wav-bytes.tfrecord"))
        w.write({"audio/encoded": (wav_bytes(speech(1)), "byte"), "audio/sample_rate": (16000, "int")})
        w.close(); C.label("tfrecord/wav-bytes.tfrecord", fam, FLAG, "bytes feature = WAV file")
        w = TFRecordWriter(C.path("tfrecord/waveform-float.tfrecord"))
        w.write({"wave": (f32(speech(3, 16000, 1.0)).tolist(), "float")})
        w.close(); C.label("tfrecord/waveform-float.tfrecord", fam, FLAG, "float_list waveform")
        w = TFRecordWriter(C.path("tfrecord/waveform-int.tfrecord"))
        w.write({"pcm": (speech(4, 16000, 1.0).astype(int).tolist(), "int")})
        w.close(); C.label("tfrecord/waveform-int.tfrecord", fam, FLAG, "int64_list waveform (int16 values)")
        w = TFRecordWriter(C.path("tfrecord/embeddings.tfrecord"))
        for v in embeddings(6):
            w.write({"emb": (v.tolist(), "float")})
        w.close(); C.label("tfrecord/embeddings.tfrecord", fam, CLEAN, "float_list embeddings")
        w = TFRecordWriter(C.path("tfrecord/text.tfrecord"))
        for k in range(50):
            w.write({"text": (text_of().encode(), "byte"), "label": (k % 3, "int")})
        w.close(); C.label("tfrecord/text.tfrecord", fam, CLEAN, "text + labels")
    except ImportError as ex:
        C.skipped.append(("tfrecord", repr(ex)))

    # ---- 14. lhotse (optional) ---------------------------------------------------------
    if args.with_lhotse:
        fam = "lhotse"
        try:
            from lhotse import CutSet, Recording, RecordingSet
            recs = []
            for k in range(3):
                p = os.path.join(work, f"lh{k}.wav")
                with open(p, "wb") as f:
                    f.write(wav_bytes(speech(k + 5, 16000, 1.0)))
                recs.append(Recording.from_file(p, recording_id=f"rec{k}"))
            cuts = CutSet.from_manifests(recordings=RecordingSet.from_recordings(recs))
            os.makedirs(os.path.join(out, "lhotse/shar-flac"))
            os.makedirs(os.path.join(out, "lhotse/shar-wav"))
            cuts.to_shar(os.path.join(out, "lhotse/shar-flac"), fields={"recording": "flac"}, shard_size=10)
            cuts.to_shar(os.path.join(out, "lhotse/shar-wav"), fields={"recording": "wav"}, shard_size=10)
            for root, _, files in os.walk(os.path.join(out, "lhotse")):
                for name in files:
                    if name.startswith("recording."):
                        C.label(os.path.relpath(os.path.join(root, name), out), fam, FLAG, f"Shar {name}")
            C.label_rest("lhotse", fam, "Shar cuts manifest")
        except Exception as ex:  # noqa: BLE001
            C.skipped.append(("lhotse", repr(ex)[:200]))

    # ---- 15. text: JSONL / CSV with base64 audio (pandas writers) ----------------------
    fam = "text-base64"
    b = base64.b64encode(wav_bytes(speech(2, 16000, 1.0))).decode()
    pd.DataFrame({"id": [0, 1], "audio": [b, ""], "text": [text_of(), text_of()]}).to_json(
        C.path("text/pandas-first-row.jsonl"), orient="records", lines=True)
    C.label("text/pandas-first-row.jsonl", fam, FLAG, "pandas to_json lines: base64 WAV in row 0")
    n = 900
    pd.DataFrame({"id": range(n + 1), "text": [text_of(12) for _ in range(n)] + ["z"],
                  "audio": [None] * n + [{"bytes": base64.b64encode(mp3_bytes(speech(3))).decode(), "path": "z.mp3"}]}).to_json(
        C.path("text/pandas-late-nested.jsonl"), orient="records", lines=True)
    late("text/pandas-late-nested.jsonl", base64.b64encode(mp3_bytes(speech(3))).decode()[:12])
    C.label("text/pandas-late-nested.jsonl", fam, FLAG, "pandas to_json lines: {audio:{bytes:b64 MP3}} only in the last row (> 64 KiB)")
    pd.DataFrame({"id": range(n + 1), "text": [text_of(12) for _ in range(n)] + ["z"],
                  "audio_b64": [""] * n + [base64.b64encode(wav_bytes(speech(4))).decode()]}).to_csv(C.path("text/pandas-late.csv"), index=False)
    late("text/pandas-late.csv", "UklGR")
    C.label("text/pandas-late.csv", fam, FLAG, "pandas to_csv: base64 WAV in the last row (> 64 KiB)")
    pd.DataFrame({"id": [0, 1], "audio_b64": [base64.b64encode(flac_bytes(speech(5))).decode(), ""]}).to_csv(
        C.path("text/pandas-first-row.csv"), index=False)
    C.label("text/pandas-first-row.csv", fam, FLAG, "pandas to_csv: base64 FLAC in row 0")
    pd.DataFrame({"id": [0], "audio": ["data:audio/wav;base64," + b]}).to_json(C.path("text/data-uri.jsonl"), orient="records", lines=True)
    C.label("text/data-uri.jsonl", fam, FLAG, "data:audio/wav;base64 URI in a JSON field")
    pd.DataFrame({"id": range(300), "text": [text_of(12) for _ in range(300)]}).to_json(C.path("text/transcripts.jsonl"), orient="records", lines=True)
    C.label("text/transcripts.jsonl", fam, CLEAN, "transcripts only")
    pd.DataFrame({"id": range(2), "emb_b64": [base64.b64encode(embeddings(1).tobytes()).decode() for _ in range(2)]}).to_csv(
        C.path("text/embeddings-b64.csv"), index=False)
    C.label("text/embeddings-b64.csv", fam, CLEAN, "base64 of float32 embeddings (not audio)")
    pd.DataFrame(tabular()).to_csv(C.path("text/tabular.csv"), index=False)
    C.label("text/tabular.csv", fam, CLEAN, "tabular CSV")

    # ---- 16. Parquet Modular Encryption (pyarrow) --------------------------------------
    fam = "parquet-encryption"
    import pyarrow.parquet.encryption as pe

    class XorKms(pe.KmsClient):
        """In-memory KMS: wraps data keys by XOR with a random master key (test only)."""

        def __init__(self, config):
            pe.KmsClient.__init__(self)
            self.master = {k: bytes.fromhex(v) for k, v in config.custom_kms_conf.items()}

        def wrap_key(self, key_bytes, master_key_identifier):
            m = self.master[master_key_identifier]
            return base64.b64encode(bytes(a ^ b for a, b in zip(key_bytes, m))).decode()

        def unwrap_key(self, wrapped_key, master_key_identifier):
            m = self.master[master_key_identifier]
            return bytes(a ^ b for a, b in zip(base64.b64decode(wrapped_key), m))

    masters = {k: os.urandom(16).hex() for k in ("footer", "col")}
    kms = pe.KmsConnectionConfig(custom_kms_conf=masters)
    factory = pe.CryptoFactory(lambda cfg: XorKms(cfg))
    et = pa.table({"audio": pa.array([r["bytes"] for r in hf_rows(3, "wav", 6)], pa.binary()),
                   "speaker": ["s1", "s2", "s3"], "text": [text_of() for _ in range(3)]})
    cases = [
        ("encrypted-footer-uniform.parquet", dict(footer_key="footer", uniform_encryption=True), CLEAN,
         "PARE: encrypted footer, every column encrypted (uniform)"),
        ("encrypted-footer-audio-col.parquet", dict(footer_key="footer", column_keys={"col": ["audio", "speaker"]}), CLEAN,
         "PARE: encrypted footer, audio+speaker encrypted with a column key, text plain"),
        ("encrypted-footer-audio-plain.parquet", dict(footer_key="footer", column_keys={"col": ["speaker"]}), FLAG,
         "PARE: encrypted footer but the audio column is NOT encrypted (WAV pages in the clear)"),
        ("plaintext-footer-audio-encrypted.parquet", dict(footer_key="footer", column_keys={"col": ["audio"]}, plaintext_footer=True),
         CLEAN, "PAR1 plaintext footer, audio encrypted, others plain"),
        ("plaintext-footer-speaker-encrypted.parquet", dict(footer_key="footer", column_keys={"col": ["speaker"]}, plaintext_footer=True),
         FLAG, "PAR1 plaintext footer, only speaker encrypted: audio in the clear"),
        ("plaintext-footer-ctr-audio-encrypted.parquet", dict(footer_key="footer", column_keys={"col": ["audio"]}, plaintext_footer=True,
                                                              encryption_algorithm="AES_GCM_CTR_V1"),
         CLEAN, "PAR1 plaintext footer, AES_GCM_CTR_V1, audio encrypted"),
    ]
    for rel, conf, lab, note in cases:
        props = factory.file_encryption_properties(kms, pe.EncryptionConfiguration(**conf))
        path = C.path("parquet-encryption/" + rel)
        with pq.ParquetWriter(path, et.schema, encryption_properties=props) as w:
            w.write_table(et)
        C.label("parquet-encryption/" + rel, fam, lab, note + " (keys random per run, discarded)")

    # ---- the tail: every file must carry a label -----------------------------------
    for root, _, files in os.walk(out):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), out)
            if rel not in C.labels:
                raise SystemExit(f"unlabelled file {rel}")
    versions = {"python": sys.version.split()[0]}
    from importlib import metadata
    for pkg in REQUIRED + OPTIONAL + ["lhotse"]:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    for tool, cmd in (("espeak-ng", ["espeak-ng", "--version"]), ("ffmpeg", ["ffmpeg", "-version"]), ("opusenc", ["opusenc", "--version"])):
        try:
            versions[tool] = subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            pass
    failed = [p for p in os.environ.get("ATREST_UNSEEN_INSTALL_FAILED", "").split(",") if p]
    with open(os.path.join(out, "labels.tsv"), "w") as f:
        f.write("# file\tfamily\tlabel\tnote\n")
        for rel in sorted(C.labels):
            fam_, lab, note = C.labels[rel]
            f.write(f"{rel}\t{fam_}\t{lab}\t{note}\n")
    with open(os.path.join(out, "versions.json"), "w") as f:
        json.dump({"versions": versions, "install_failed": failed, "skipped": C.skipped}, f, indent=1)
    shutil.rmtree(work, ignore_errors=True)
    n_flag = sum(1 for v in C.labels.values() if v[1] == FLAG)
    print(f"corpus: {len(C.labels)} files ({n_flag} must-flag) in {out}")
    for what, why in C.skipped:
        print(f"skipped: {what}: {why}")
    if failed:
        print("could not install: " + ", ".join(failed))


# ------------------------------------------------------------------ score ---

META = {"labels.tsv", "versions.json"}


def main_score(args):
    out = os.path.abspath(args.outdir)
    report = out.rstrip("/") + ".report.json"
    # labels.tsv / versions.json are not labelled: a finding on them is listed as UNLABELLED.
    cmd = [args.atrest, "scan", out, "--format", "json", "--inventory", "--fail-on", "never", "-q", "-o", report]
    subprocess.run(cmd, check=True)
    r = json.load(open(report))
    labels = {}
    for line in open(os.path.join(out, "labels.tsv")):
        if line.startswith("#"):
            continue
        rel, fam, lab, note = line.rstrip("\n").split("\t")
        labels[rel] = (fam, lab, note)

    def rel_of(loc):
        return os.path.relpath(os.path.abspath(loc), out)

    findings, objects, limits = {}, {}, {}
    for f in r["findings"]:
        findings.setdefault(rel_of(f["location"]), []).append(f)
    for o in r.get("objects", []):
        objects.setdefault(rel_of(o["location"]), []).append(o)
    for lim in r.get("limits", []):
        limits.setdefault(rel_of(lim["location"]), []).append(lim)
    errors = {}
    for e in r.get("errors", []):
        errors.setdefault(rel_of(e.get("location", "?")), []).append(e)

    fams = {}
    bad = []
    for rel, (fam, lab, note) in sorted(labels.items()):
        fs = findings.get(rel, [])
        s = fams.setdefault(fam, {"flag": 0, "hit": 0, "clean": 0, "fp": 0})
        if lab == FLAG:
            s["flag"] += 1
            if any(f["rule"].startswith("audio.") for f in fs):
                s["hit"] += 1
                if all(f["format"] == "raw-pcm" for f in fs):
                    bad.append(("HIT-RAW-PCM-ONLY", rel, fam, note))
            else:
                bad.append(("MISS", rel, fam, note))
        else:
            s["clean"] += 1
            if fs:
                s["fp"] += 1
                bad.append(("FP", rel, fam, note))
    unlabelled = sorted(set(findings) - set(labels))

    def pct(a, b):
        return f"{100.0 * a / b:.0f}%" if b else "-"

    lines = ["| family | must-flag | found | recall | must-not-flag | false pos. | FP rate |", "|---|---:|---:|---:|---:|---:|---:|"]
    tot = {"flag": 0, "hit": 0, "clean": 0, "fp": 0}
    for fam in sorted(fams):
        s = fams[fam]
        for k in tot:
            tot[k] += s[k]
        lines.append(f"| {fam} | {s['flag']} | {s['hit']} | {pct(s['hit'], s['flag'])} | {s['clean']} | {s['fp']} | {pct(s['fp'], s['clean'])} |")
    lines.append(f"| **all** | {tot['flag']} | {tot['hit']} | {pct(tot['hit'], tot['flag'])} | {tot['clean']} | {tot['fp']} | {pct(tot['fp'], tot['clean'])} |")
    print("\n".join(lines))
    print()

    def verdict(rel):
        parts = []
        for o in objects.get(rel, [])[:6]:
            m = f" [{o['member']}]" if o.get("member") else ""
            parts.append(f"{o['format']}/{o['class']}/{o['encryption']}{m}")
        if len(objects.get(rel, [])) > 6:
            parts.append(f"... {len(objects[rel]) - 6} more objects")
        for f in findings.get(rel, []):
            m = f" [{f['member']}]" if f.get("member") else ""
            parts.append(f"FINDING {f['rule']} format={f['format']}{m}")
        for lim in limits.get(rel, []):
            parts.append(f"LIMIT {lim['limit']}: {lim['message']}")
        for e in errors.get(rel, []):
            parts.append(f"ERROR {json.dumps(e)[:200]}")
        return "; ".join(parts) or "(not in the report)"

    for kind, rel, fam, note in bad:
        print(f"{kind}\t{rel}\t({note})\n\tatrest: {verdict(rel)}")
    for rel in unlabelled:
        print(f"UNLABELLED finding at {rel}")
    print(f"\nreport: {report} (atrest scan OUTDIR --format json --inventory --fail-on never)")


def main():
    args = parse_args()
    ensure_venv(args)
    if not args.score_only:
        main_build(args)
    if args.atrest:
        args.atrest = os.path.abspath(args.atrest) if os.path.sep in args.atrest else args.atrest
        main_score(args)


if __name__ == "__main__":
    main()
