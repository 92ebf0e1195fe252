#!/usr/bin/env python3
"""Writes atrest's hostile test tree: one small crafted file per attack.

    python3 tests/hostile/make.py OUTDIR [--fixtures DIR]

Python 3 standard library only; the output is deterministic (same bytes on
every run with the same Python/zlib). Every file is written under OUTDIR in a
folder per class, and OUTDIR/MANIFEST.tsv lists them:

    file <TAB> class <TAB> what it attacks <TAB> expected outcome
    (after one header line starting with '#'; measure.py beside this script
    scans each file and compares)

`file` is the path relative to OUTDIR with every byte outside printable ASCII
(0x21-0x7e) and the backslash written as \\xNN, so names holding terminal
escapes or invalid UTF-8 stay one readable line. `expected` is one of

    limit           a `limits` entry for this file (and no crash, hang or abort)
    error           an `errors` entry for this file
    clean-or-limit  the scan ends normally; no finding needed, limits allowed
    finding         at least one finding for this file

Most files are under 64 KiB; the few that must be bigger (a 4 MiB lz4 frame
holding 1 GiB, 65,535 zip entries, 100,000 MP4 or Matroska children, 10,000
tar headers, 1 MB of PDF nesting ...) say so in their row. Bombs expand to
GBs but are small on disk. `normal/` holds copies of a few ordinary fixtures
(from --fixtures, default: the repository's fixtures/) so a test can check
that findings beside hostile files are still reported, and OUTDIR/fixtures/
is a copy of that whole folder (not in MANIFEST.tsv): tests/hostile.rs checks
that every finding of a scan of the fixtures alone survives the hostile
neighbours. A FIFO is not made here (the test makes it).

seed-audio.m4a (committed beside this script, ~10 KiB) is espeak-ng speech
encoded by ffmpeg (`espeak-ng -w seed.wav "The parcel for room nine arrives on
Tuesday morning."; ffmpeg -i seed.wav -af aresample=16000 -ac 1 -c:a aac
-b:a 24k -map_metadata -1 -fflags +bitexact -flags:a +bitexact -f ipod
seed-audio.m4a`): layout ftyp, free, mdat, moov. make.py only rewrites its
box headers.
"""

import argparse
import base64
import bz2
import gzip
import hashlib
import lzma
import math
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

U64 = (1 << 64) - 1


class Tree:
    def __init__(self, out):
        self.out = os.fsencode(out)
        self.rows = []
        self.names = set()

    def put(self, rel, data, cls, what, expected):
        assert expected in ("limit", "error", "clean-or-limit", "finding"), expected
        assert "\t" not in what and "\n" not in what
        rel = rel if isinstance(rel, bytes) else rel.encode()
        assert rel not in self.names, rel
        self.names.add(rel)
        path = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.rows.append((escape(rel), cls, what, expected, len(data)))

    def manifest(self):
        with open(os.path.join(self.out, b"MANIFEST.tsv"), "w", encoding="ascii", newline="\n") as f:
            f.write("# file\tclass\twhat it attacks\texpected outcome\n")
            for name, cls, what, expected, _ in self.rows:
                f.write(f"{name}\t{cls}\t{what}\t{expected}\n")


def escape(raw):
    return "".join(
        chr(b) if 0x21 <= b <= 0x7E and b != 0x5C else "\\x%02x" % b for b in raw
    )


# ---------------------------------------------------------------- helpers

def stream(seed, n):
    """n deterministic pseudo-random bytes (SHAKE-256 of the seed)."""
    return hashlib.shake_256(seed.encode()).digest(n)


def speechlike(n, rate=8000):
    """PCM16 mono samples: a few harmonics under a syllable-rate envelope."""
    noise = stream("pcm", n)
    out = bytearray()
    for i in range(n):
        t = i / rate
        env = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
        f0 = 140 + 20 * math.sin(2 * math.pi * 0.7 * t)
        v = sum(math.sin(2 * math.pi * f0 * k * t) / k for k in (1, 2, 3, 5))
        s = int(6000 * env * v) + (noise[i] - 128)
        out += struct.pack("<h", max(-32768, min(32767, s)))
    return bytes(out)


PCM = None


def pcm(n=4000):
    global PCM
    if PCM is None:
        PCM = speechlike(8000)
    return PCM[: 2 * n]


def fmt_chunk(rate=8000, channels=1, bits=16):
    body = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    return b"fmt " + struct.pack("<I", len(body)) + body


def wav(samples=None):
    data = pcm() if samples is None else samples
    body = b"WAVE" + fmt_chunk() + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3_silence(frames=24):
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no padding: 417-byte frames
    # whose side information is all zero (silence, but valid frames).
    frame = b"\xff\xfb\x90\xc4" + bytes(413)
    return frame * frames


def crc32(b):
    return zlib.crc32(b) & 0xFFFFFFFF


# CRC-32 combine (zlib's crc32_combine), so overlapping zip members need not
# be hashed again for every member.
def _gf2_times(mat, vec):
    s = 0
    i = 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat):
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1, crc2, len2):
    if len2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def raw_deflate(data, level=9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush()


def gz(data, level=0):
    return gzip.compress(data, compresslevel=level, mtime=0)


# ---------------------------------------------------------------- xxh32 / lz4

P1, P2, P3, P4, P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
M32 = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def xxh32(data, seed=0):
    n = len(data)
    i = 0
    if n >= 16:
        v = [(seed + P1 + P2) & M32, (seed + P2) & M32, seed & M32, (seed - P1) & M32]
        while i + 16 <= n:
            for k in range(4):
                lane = struct.unpack_from("<I", data, i + 4 * k)[0]
                v[k] = (_rotl((v[k] + lane * P2) & M32, 13) * P1) & M32
            i += 16
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M32
    else:
        h = (seed + P5) & M32
    h = (h + n) & M32
    while i + 4 <= n:
        h = (h + struct.unpack_from("<I", data, i)[0] * P3) & M32
        h = (_rotl(h, 17) * P4) & M32
        i += 4
    while i < n:
        h = (h + data[i] * P5) & M32
        h = (_rotl(h, 11) * P1) & M32
        i += 1
    h ^= h >> 15
    h = (h * P2) & M32
    h ^= h >> 13
    h = (h * P3) & M32
    h ^= h >> 16
    return h


def lz4_frame(blocks, block_max=4, content_size=None):
    """blocks: list of (bytes, compressed?). block_max: 4=64K 5=256K 6=1M 7=4M."""
    flg = 0x60 | (0x08 if content_size is not None else 0)
    desc = bytes([flg, block_max << 4])
    if content_size is not None:
        desc += struct.pack("<Q", content_size)
    out = b"\x04\x22\x4d\x18" + desc + bytes([(xxh32(desc) >> 8) & 0xFF])
    for data, compressed in blocks:
        out += struct.pack("<I", len(data) | (0 if compressed else 0x80000000)) + data
    return out + b"\x00\x00\x00\x00"


def lz4_stored(data):
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)] or [b""]
    return lz4_frame([(c, False) for c in chunks if c] or [], block_max=4)


def lz4_zero_block(n):
    """One LZ4 block decoding to n zero bytes: a literal, one long match, 5 literals."""
    match = n - 6
    rest = match - 4 - 15
    ext = b"\xff" * (rest // 255) + bytes([rest % 255])
    return b"\x1f\x00\x01\x00" + ext + b"\x50" + bytes(5)


# ---------------------------------------------------------------- zstd / xz

def zstd_raw(data, last=True):
    """A zstd frame of raw blocks (single segment, 8-byte content size)."""
    out = b"\x28\xb5\x2f\xfd" + bytes([0xE0]) + struct.pack("<Q", len(data))
    chunks = [data[i:i + 131072] for i in range(0, len(data), 131072)] or [b""]
    for k, c in enumerate(chunks):
        is_last = 1 if k == len(chunks) - 1 else 0
        hdr = is_last | (0 << 1) | (len(c) << 3)
        out += struct.pack("<I", hdr)[:3] + c
    return out


def zstd_block(kind, size, body, last):
    hdr = (1 if last else 0) | (kind << 1) | (size << 3)
    return struct.pack("<I", hdr)[:3] + body


def xz_varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def xz_stored(data):
    """An .xz stream with one LZMA2 block of uncompressed chunks, check None."""
    flags = b"\x00\x00"
    out = b"\xfd7zXZ\x00" + flags + struct.pack("<I", crc32(flags))
    bh = bytes([0x02, 0x00, 0x21, 0x01, 0x00]) + bytes(3)  # size 12, one filter, LZMA2, dict 4 KiB
    bh += struct.pack("<I", crc32(bh))
    comp = bytearray()
    for k in range(0, len(data), 65536):
        c = data[k:k + 65536]
        comp += bytes([0x01 if k == 0 else 0x02]) + struct.pack(">H", len(c) - 1) + c
    comp += b"\x00"
    unpadded = len(bh) + len(comp)
    block = bh + bytes(comp) + bytes((-len(comp)) % 4)
    index = b"\x00" + xz_varint(1) + xz_varint(unpadded) + xz_varint(len(data))
    index += bytes((-len(index)) % 4)
    index += struct.pack("<I", crc32(index))
    back = struct.pack("<I", len(index) // 4 - 1) + flags
    footer = struct.pack("<I", crc32(back)) + back + b"YZ"
    return out + block + index + footer


# ---------------------------------------------------------------- 7z

def n7(v):
    """7z variable-length number."""
    for i in range(9):
        if i == 8:
            return b"\xff" + struct.pack("<Q", v)
        if v < 1 << (8 * i + 7 - i):
            first = ((0xFF << (8 - i)) & 0xFF) | (v >> (8 * i))
            return bytes([first]) + (v & ((1 << (8 * i)) - 1)).to_bytes(i, "little")
    raise ValueError(v)


def sevenz(header, packed=b"", next_size=None, next_off=None, next_crc=None):
    if next_off is None:
        next_off = len(packed)
    if next_size is None:
        next_size = len(header)
    if next_crc is None:
        next_crc = crc32(header)
    start = struct.pack("<QQI", next_off & U64, next_size & U64, next_crc)
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", crc32(start)) + start + packed + header


K_END, K_HEADER, K_MAIN, K_FILES, K_PACK, K_UNPACK, K_SUBSTREAMS = 0, 1, 4, 5, 6, 7, 8
K_SIZE, K_CRC, K_FOLDER, K_UNPACK_SIZE, K_NUM_UNPACK, K_ENCODED = 9, 10, 11, 12, 13, 0x17
COPY_CODER = bytes([0x01, 0x00])  # id size 1, simple, no properties; method 00 = Copy


def make_7z(t):
    c = "7z"
    t.put("7z/next-header-size-2p62.7z", sevenz(bytes([K_HEADER, K_END]), next_size=1 << 62), c,
          "start header declares a next-header size of 2^62 (allocated before reading)", "limit")
    t.put("7z/next-header-size-2p36.7z", sevenz(bytes([K_HEADER, K_END]), next_size=1 << 36), c,
          "next-header size 64 GiB on a 34-byte file", "limit")
    t.put("7z/next-header-offset-past-eof.7z", sevenz(bytes([K_HEADER, K_END]), next_off=1 << 62), c,
          "next-header offset 2^62, far past the end of the file", "limit")
    t.put("7z/next-header-offset-wraps.7z", sevenz(bytes([K_HEADER, K_END]), next_off=U64 - 31), c,
          "next-header offset 2^64-32: 32+offset wraps to 0 (the signature read as a header)", "limit")
    t.put("7z/pack-streams-2p40.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_PACK]) + n7(0) + n7(1 << 40) + bytes([K_SIZE]) + n7(1)),
          c, "PackInfo with 2^40 pack streams (a vector sized from the count)", "limit")
    t.put("7z/pack-streams-2p62.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_PACK]) + n7(0) + n7(1 << 62) + bytes([K_SIZE]) + n7(1)),
          c, "PackInfo with 2^62 pack streams (size in bytes overflows)", "limit")
    t.put("7z/pack-crcs-all-defined-2p33.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_PACK]) + n7(0) + n7(1 << 33) + bytes([K_CRC, 1])),
          c, "2^33 pack streams whose CRCs are all 'defined': a bit set filled bit by bit", "limit")
    t.put("7z/folders-2p40.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_UNPACK, K_FOLDER]) + n7(1 << 40) + b"\x00"),
          c, "UnpackInfo with 2^40 folders", "limit")
    t.put("7z/coders-2p40.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_UNPACK, K_FOLDER]) + n7(1) + b"\x00" + n7(1 << 40)),
          c, "one folder with 2^40 coders", "limit")
    t.put("7z/coder-properties-2p40.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_UNPACK, K_FOLDER]) + n7(1) + b"\x00" + n7(1)
                 + bytes([0x21, 0x21]) + n7(1 << 40)),
          c, "LZMA2 coder whose property size is 2^40 bytes", "limit")
    t.put("7z/coder-in-streams-2p62.7z",
          sevenz(bytes([K_HEADER, K_MAIN, K_UNPACK, K_FOLDER]) + n7(1) + b"\x00" + n7(1)
                 + bytes([0x11, 0x00]) + n7(1 << 62) + n7(1 << 62)),
          c, "complex coder with 2^62 in and out streams (bind pairs, packed streams)", "limit")
    def folders(n):
        return (bytes([K_PACK]) + n7(0) + n7(n) + bytes([K_SIZE]) + n7(1) * n + bytes([K_END])
                + bytes([K_UNPACK, K_FOLDER]) + n7(n) + b"\x00" + (n7(1) + COPY_CODER) * n
                + bytes([K_UNPACK_SIZE]) + n7(1) * n + bytes([K_END]))

    t.put("7z/substreams-2p40.7z",
          sevenz(bytes([K_HEADER, K_MAIN]) + folders(1) + bytes([K_SUBSTREAMS, K_NUM_UNPACK]) + n7(1 << 40)
                 + bytes([K_END, K_END, K_END]), packed=b"A"),
          c, "SubStreamsInfo: one folder split into 2^40 substreams", "limit")
    t.put("7z/substreams-count-wraps.7z",
          sevenz(bytes([K_HEADER, K_MAIN]) + folders(2) + bytes([K_SUBSTREAMS, K_NUM_UNPACK]) + n7(1 << 63) * 2
                 + bytes([K_SIZE]) + n7(1) * 4 + bytes([K_END, K_END, K_END]), packed=b"AB"),
          c, "two folders of 2^63 substreams each: the total wraps to 0", "limit")
    t.put("7z/files-2p32.7z",
          sevenz(bytes([K_HEADER, K_FILES]) + n7(1 << 32) + bytes([K_END, K_END])),
          c, "FilesInfo claims 2^32 files", "limit")
    t.put("7z/files-2p24.7z",
          sevenz(bytes([K_HEADER, K_FILES]) + n7(1 << 24) + bytes([K_END, K_END])),
          c, "FilesInfo claims 2^24 files (an entry table of GBs built before anything is checked)", "limit")
    t.put("7z/names-size-2p62.7z",
          sevenz(bytes([K_HEADER, K_FILES]) + n7(1) + bytes([14]) + n7(1) + b"\x00"  # kEmptyStream: none empty
                 + bytes([17]) + n7((1 << 62) + 1) + b"\x00" + "a".encode("utf-16-le") + b"\x00\x00"
                 + bytes([K_END, K_END])),
          c, "kName property claiming 2^62 bytes of names", "limit")

    # Encoded (LZMA-compressed) header whose folder declares a huge unpack size.
    inner = bytes([K_HEADER, K_END])
    packed = lzma.compress(inner, format=lzma.FORMAT_RAW,
                           filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16, "lc": 3, "lp": 0, "pb": 2}])

    def encoded(unpack):
        return (bytes([K_ENCODED, K_PACK]) + n7(0) + n7(1) + bytes([K_SIZE]) + n7(len(packed)) + bytes([K_END])
                + bytes([K_UNPACK, K_FOLDER]) + n7(1) + b"\x00" + n7(1)
                + bytes([0x23, 0x03, 0x01, 0x01]) + n7(5) + bytes([0x5D]) + struct.pack("<I", 1 << 16)
                + bytes([K_UNPACK_SIZE]) + n7(unpack) + bytes([K_END, K_END]))

    t.put("7z/encoded-header-2tib.7z", sevenz(encoded(1 << 41), packed=packed), c,
          "LZMA-encoded header whose declared unpack size is 2 TiB", "limit")
    t.put("7z/encoded-header-4gib.7z", sevenz(encoded(1 << 32), packed=packed), c,
          "LZMA-encoded header whose declared unpack size is 4 GiB (buffer zero-filled before decoding)",
          "limit")
    t.put("7z/encoded-header-dict-4gib.7z",
          sevenz(encoded(len(inner)).replace(bytes([0x5D]) + struct.pack("<I", 1 << 16),
                                             bytes([0x5D]) + struct.pack("<I", 0xFFFFFFFF)), packed=packed),
          c, "LZMA-encoded header whose coder asks for a 4 GiB dictionary", "limit")


# ---------------------------------------------------------------- tar

def tar_header(name, size=0, typeflag=b"0", size_field=None):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\x00"
    h[108:116] = b"0000000\x00"
    h[116:124] = b"0000000\x00"
    h[124:136] = size_field if size_field is not None else b"%011o\x00" % size
    h[136:148] = b"00000000000\x00"
    h[156:157] = typeflag
    h[257:263] = b"ustar\x00"
    h[263:265] = b"00"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\x00 " % sum(h)
    return bytes(h)


def b256(v):
    return b"\x80" + (v & ((1 << 88) - 1)).to_bytes(11, "big")


def pad512(b):
    return b + bytes((-len(b)) % 512)


def tar_member(name, data):
    return tar_header(name, len(data)) + pad512(data)


def tar_end():
    return bytes(1024)


def tar_files():
    wrap = b256((1 << 64) - 512)
    back = b256((1 << 64) - 1024)  # from a header at 512: back to 0
    back2 = b256((1 << 64) - 1536)  # from a header at 1024: back to 0
    files = {}
    files["gnu-longname-size-wraps"] = (
        tar_header(b"././@LongLink", typeflag=b"L", size_field=wrap) + pad512(b"calls/a.wav\x00")
        + tar_member(b"a.wav", wav()) + tar_end(),
        "GNU long-name 'L' member with base-256 size 2^64-512: the next offset wraps back to 0")
    files["pax-x-size-wraps"] = (
        tar_header(b"PaxHeaders/a.wav", typeflag=b"x", size_field=wrap) + pad512(b"20 path=calls/a.wav\n")
        + tar_member(b"a.wav", wav()) + tar_end(),
        "pax 'x' member with base-256 size 2^64-512: the next offset wraps back to 0")
    files["backwards-longname"] = (
        tar_member(b"notes.txt", b"hello\n")
        + tar_header(b"././@LongLink", typeflag=b"L", size_field=back2) + tar_end(),
        "'L' header at 1024 whose size (2^64-1536) points back to the member at 0")
    files["backwards-pax"] = (
        tar_header(b"PaxHeaders/x", typeflag=b"x", size=0)
        + tar_header(b"PaxHeaders/y", typeflag=b"x", size_field=back) + tar_end(),
        "two pax 'x' headers, the second pointing back to the first (no regular member)")
    files["backwards-dir"] = (
        tar_header(b"d/", typeflag=b"5", size=0)
        + tar_header(b"e/", typeflag=b"5", size_field=back) + tar_end(),
        "two directory '5' headers, the second with a size pointing back to the first")
    files["pax-size-record-huge"] = (
        # A pax record's length counts itself, the space, the record and the newline: 29.
        tar_header(b"PaxHeaders/a.wav", typeflag=b"x", size=len(b"29 size=18446744073709551000\n"))
        + pad512(b"29 size=18446744073709551000\n")
        + tar_member(b"a.wav", wav()) + tar_end(),
        "pax 'size=' record of ~2^64 for the next member (a WAV)")
    chain = b"".join(tar_header(b"././@LongLink", typeflag=b"L", size=0) for _ in range(10000))
    files["longname-chain-10000"] = (
        chain + tar_member(b"a.wav", wav()) + tar_end(),
        "10,000 chained empty 'L' headers before one WAV (5 MB; must be bigger)")
    return files


def make_tar(t):
    files = tar_files()
    for stem, (data, what) in files.items():
        # A chain of 10,000 headers is cheap to walk: the WAV after it should still be found.
        t.put(f"tar/{stem}.tar", data, "tar", what, "finding" if stem == "longname-chain-10000" else "limit")
    for stem in ("gnu-longname-size-wraps", "pax-x-size-wraps", "backwards-pax", "backwards-dir",
                 "longname-chain-10000"):
        data, what = files[stem]
        t.put(f"tar/{stem}.tar.gz", gz(data, 9), "tar", what + ", inside gzip", "limit")
    for stem in ("gnu-longname-size-wraps", "pax-x-size-wraps", "backwards-dir", "longname-chain-10000"):
        data, what = files[stem]
        method = 8 if len(data) > 65536 else 0
        t.put(f"tar/{stem}-in.zip", zip_archive([(f"{stem}.tar".encode(), data, method)]), "tar",
              what + ", as a zip member", "limit")


# ---------------------------------------------------------------- zip

def lfh(name, crc, csize, usize, method=0, flags=0, extra=b"", nlen=None, xlen=None):
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc,
                       csize & M32, usize & M32, len(name) if nlen is None else nlen,
                       len(extra) if xlen is None else xlen) + name + extra


def cdh(name, crc, csize, usize, offset, method=0, flags=0, extra=b"", nlen=None, xlen=None):
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc,
                       csize & M32, usize & M32, len(name) if nlen is None else nlen,
                       len(extra) if xlen is None else xlen, 0, 0, 0, 0, offset & M32) + name + extra


def eocd(count, size, offset, total=None):
    return struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count & 0xFFFF,
                       (count if total is None else total) & 0xFFFF, size & M32, offset & M32, 0)


def zip_archive(members):
    """members: (name, data, method 0|8). A plain, valid archive."""
    body, cd = b"", b""
    for name, data, method in members:
        comp = raw_deflate(data) if method == 8 else data
        c = crc32(data)
        cd += cdh(name, c, len(comp), len(data), len(body), method)
        body += lfh(name, c, len(comp), len(data), method) + comp
    return body + cd + eocd(len(members), len(cd), len(body))


def make_zip(t):
    c = "zip"
    text = b"meeting notes\n" * 4
    base_l = lfh(b"notes.txt", crc32(text), len(text), len(text)) + text
    base_c = cdh(b"notes.txt", crc32(text), len(text), len(text), 0)

    def zip64_tail(cd_off, cd_len, count, size, offset):
        rec = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count & U64, count & U64,
                          size & U64, offset & U64)
        loc = struct.pack("<4sIQI", b"PK\x06\x07", 0, cd_off + cd_len, 1)
        return rec + loc + eocd(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)

    t.put("zip/zip64-count-2p63.zip",
          base_l + base_c + zip64_tail(len(base_l), len(base_c), 1 << 63, len(base_c), len(base_l)), c,
          "zip64 end record: 2^63 entries (directory offset and size sane)", "limit")
    t.put("zip/zip64-offset-size-huge.zip",
          base_l + base_c + zip64_tail(len(base_l), len(base_c), 1, (1 << 63) + 5, (1 << 63) + 7), c,
          "zip64 end record: directory size and offset ~2^63 (their sum overflows)", "limit")
    loc_bad = (base_l + base_c + struct.pack("<4sIQI", b"PK\x06\x07", 0, U64 - 10, 1)
               + eocd(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
    t.put("zip/zip64-locator-past-eof.zip", loc_bad, c,
          "zip64 locator pointing at offset 2^64-11", "limit")
    t.put("zip/cd-size-larger-than-file.zip",
          base_l + base_c + eocd(1, 0x7FFFFFFF, len(base_l)), c,
          "end record: central directory size 2 GiB on a 200-byte file", "limit")
    t.put("zip/cd-offset-past-eof.zip",
          base_l + base_c + eocd(1, len(base_c), 0xFFFFFFF0), c,
          "end record: central directory offset past the end", "limit")

    # 65,535 entries of 0 bytes, all sharing one local header (3.3 MB; must be bigger).
    empty_l = lfh(b"e", 0, 0, 0)
    cd = b"".join(cdh(b"%05d" % i, 0, 0, 0, 0) for i in range(65535))
    t.put("zip/65535-empty-entries.zip", empty_l + cd + eocd(65535, len(cd), len(empty_l)), c,
          "65,535 directory entries of 0 bytes (3.3 MB; must be bigger)", "limit")

    # Full overlap: 1000 directory entries for one 16 MiB-of-zeros deflate member.
    zeros = bytes(16 << 20)
    kernel = raw_deflate(zeros)
    kc = crc32(zeros)
    one = lfh(b"z.bin", kc, len(kernel), len(zeros), 8) + kernel
    cd = b"".join(cdh(b"z%03d.bin" % i, kc, len(kernel), len(zeros), 0, 8) for i in range(1000))
    t.put("zip/overlap-same-member-1000.zip", one + cd + eocd(1000, len(cd), len(one)), c,
          "1000 directory entries pointing at one 16 MiB deflate kernel (16 GiB declared)", "limit")

    # Fifield-style non-recursive bomb: each member's deflate data quotes the next
    # local header in a stored block and then runs on into the next member.
    n = 250
    names = [b"%03d" % i for i in range(n)]
    k_crc, k_len = crc32(zeros), len(zeros)
    headers = [None] * n
    crcs = [0] * n
    usizes = [0] * n
    csizes = [0] * n
    crcs[n - 1], usizes[n - 1], csizes[n - 1] = k_crc, k_len, len(kernel)
    headers[n - 1] = lfh(names[n - 1], k_crc, len(kernel), k_len, 8)
    for i in range(n - 2, -1, -1):
        nxt = headers[i + 1]
        crcs[i] = crc32_combine(crc32(nxt), crcs[i + 1], usizes[i + 1])
        usizes[i] = len(nxt) + usizes[i + 1]
        csizes[i] = 5 + len(nxt) + csizes[i + 1]
        headers[i] = lfh(names[i], crcs[i], csizes[i], usizes[i], 8)
    body = b""
    offsets = []
    for i in range(n):
        offsets.append(len(body))
        body += headers[i]
        if i < n - 1:
            ln = len(headers[i + 1])
            body += b"\x00" + struct.pack("<HH", ln, ln ^ 0xFFFF)
    body += kernel
    cd = b"".join(cdh(names[i], crcs[i], csizes[i], usizes[i], offsets[i], 8) for i in range(n))
    t.put("zip/overlap-quoted-250.zip", body + cd + eocd(n, len(cd), len(body)), c,
          "Fifield-style overlapping bomb: 250 members quoting each other's headers, ~4 GiB total",
          "limit")

    w = wav()
    lh = lfh(b"a.wav", crc32(w), len(w), len(w), nlen=0xFFFF) + b"a.wav" + w
    ch = cdh(b"a.wav", crc32(w), len(w), len(w), 0)
    t.put("zip/local-name-length-ffff.zip", lh + ch + eocd(1, len(ch), len(lh)), c,
          "local header with file-name length 0xFFFF (member data past the end)", "limit")

    lh = lfh(b"notes.txt", crc32(text), len(text), len(text)) + text
    ch = cdh(b"notes.txt", crc32(text), len(text), len(text), 0, xlen=0xFFFF)
    t.put("zip/cd-extra-length-past-end.zip", lh + ch + eocd(1, len(ch), len(lh)), c,
          "directory entry whose extra-field length (0xFFFF) runs past the directory", "clean-or-limit")
    extra = struct.pack("<HH", 0x0001, 0xFFF0) + struct.pack("<Q", 1 << 62)
    lh = lfh(b"notes.txt", crc32(text), 0xFFFFFFFF, 0xFFFFFFFF, extra=extra) + text
    ch = cdh(b"notes.txt", crc32(text), 0xFFFFFFFF, 0xFFFFFFFF, 0, extra=extra)
    t.put("zip/zip64-extra-record-length-past-end.zip", lh + ch + eocd(1, len(ch), len(lh)), c,
          "zip64 extra record claiming 0xFFF0 bytes inside an 12-byte extra field", "clean-or-limit")
    lh = lfh(b"notes.txt", crc32(text), 0xFFFFFFFF, len(text)) + text
    ch = cdh(b"notes.txt", crc32(text), 0xFFFFFFFF, len(text), 0)
    t.put("zip/csize-ffffffff-no-zip64.zip", lh + ch + eocd(1, len(ch), len(lh)), c,
          "compressed size 0xFFFFFFFF without a zip64 extra field", "clean-or-limit")
    # Deflate64 (method 9): stored deflate blocks are valid Deflate64 too.
    d64 = b"".join(
        (b"\x01" if k + 65535 >= len(w) else b"\x00") + struct.pack("<HH", len(w[k:k + 65535]),
                                                                     len(w[k:k + 65535]) ^ 0xFFFF) + w[k:k + 65535]
        for k in range(0, len(w), 65535))
    lh = lfh(b"speech.wav", crc32(w), len(d64), len(w), 9) + d64
    ch = cdh(b"speech.wav", crc32(w), len(d64), len(w), 0, 9)
    t.put("zip/deflate64-member.zip", lh + ch + eocd(1, len(ch), len(lh)), c,
          "member compressed with Deflate64 (method 9) holding a WAV (decoded: a finding)", "finding")
    lh = lfh(b"speech.wav", crc32(w), len(w), len(w), 99) + w
    ch = cdh(b"speech.wav", crc32(w), len(w), len(w), 0, 99)
    t.put("zip/method99-without-aes-extra.zip", lh + ch + eocd(1, len(ch), len(lh)), c,
          "method 99 (WinZip AES) but no 0x9901 extra and no encryption flag; data is a plain WAV "
          "(read as such: a finding)",
          "finding")


# ---------------------------------------------------------------- nested streams

def make_nested(t):
    c = "nested"
    payload = wav(pcm(400))
    wrap = {
        "gz": lambda d: gz(d, 0),
        "zst": zstd_raw,
        "xz": xz_stored,
        "bz2": lambda d: bz2.compress(d, 1),
        "lz4": lz4_stored,
    }

    def nest(kinds, payload_=payload):
        d = payload_
        for k in kinds:
            d = wrap[k](d)
        return d

    for n in (2000, 10000):
        t.put(f"nested/gzip-{n}.gz", nest(["gz"] * n), c, f"{n} nested gzip frames around a small WAV", "limit")
        t.put(f"nested/zstd-{n}.zst", nest(["zst"] * n), c, f"{n} nested zstd frames around a small WAV",
              "limit")
    t.put("nested/xz-2000.xz", nest(["xz"] * 2000), c, "2000 nested xz streams around a small WAV", "limit")
    t.put("nested/lz4-2000.lz4", nest(["lz4"] * 2000), c, "2000 nested lz4 frames around a small WAV", "limit")
    t.put("nested/bzip2-100.bz2", nest(["bz2"] * 100), c, "100 nested bzip2 streams around a small WAV",
          "limit")
    # bzip2 cannot store: each bzip2 layer over already-compressed bytes adds ~1% + 400 bytes,
    # so it takes every 20th (2000) or 500th (10000) place in the cycle.
    cycle = ["gz", "zst", "xz", "lz4"]
    kinds = [("bz2" if i % 20 == 10 else cycle[i % 4]) for i in range(2000)]
    t.put("nested/mixed-2000.gz", nest(kinds), c,
          "2000 nested frames alternating gzip, zstd, xz, lz4, bzip2 every 20th", "limit")
    kinds = [("bz2" if i % 500 == 250 else cycle[i % 4]) for i in range(10000)]
    t.put("nested/mixed-10000.gz", nest(kinds), c,
          "10000 nested frames alternating gzip, zstd, xz, lz4, bzip2 every 500th", "limit")

    empty = gz(b"", 9)
    t.put("nested/gzip-100000-empty-members.gz", empty * 100000 + gz(b"end\n", 9), c,
          "100,000 concatenated empty gzip members (2 MB; must be bigger)", "clean-or-limit")

    blk = lz4_zero_block(4 << 20)
    t.put("nested/lz4-bomb-1gib.lz4", lz4_frame([(blk, True)] * 256, block_max=7, content_size=1 << 30), c,
          "1 GiB of zeros in one lz4 frame of 4 MiB blocks (4.2 MB on disk: lz4 tops out at ~255:1)",
          "limit")
    blk64 = lz4_zero_block(4 << 20)
    t.put("nested/lz4-declared-2p63.lz4", lz4_frame([(blk64, True)] * 4, block_max=7, content_size=1 << 63),
          c, "lz4 frame declaring a content size of 2^63 (16 MiB of zeros inside)", "limit")

    # zstd: window 2^31, then content size 2^60 with a bomb of RLE blocks.
    z = b"\x28\xb5\x2f\xfd" + bytes([0x00, 0xA8]) + zstd_block(1, 131072, b"\x00", False) * 8 \
        + zstd_block(0, 1, b"x", True)
    t.put("nested/zstd-window-2p31.zst", z, c, "zstd frame with a 2 GiB window descriptor", "limit")
    z = b"\x28\xb5\x2f\xfd" + bytes([0xC0, 0x50]) + struct.pack("<Q", 1 << 60) \
        + zstd_block(1, 131072, b"\x00", False) * 4096 + zstd_block(1, 131072, b"\x00", True)
    t.put("nested/zstd-content-2p60-rle.zst", z, c,
          "zstd frame declaring content size 2^60; 512 MiB of RLE zero blocks in 16 KiB", "limit")
    z = b"\x28\xb5\x2f\xfd" + bytes([0xE0]) + struct.pack("<Q", 1 << 60) + zstd_block(0, 5, b"hello", True)
    t.put("nested/zstd-single-segment-2p60.zst", z, c,
          "single-segment zstd frame whose content size (and so window) is 2^60", "limit")

    # gzip bomb with a lying ISIZE and a zip of the same kernel inside a tar.gz.
    zeros = bytes(64 << 20)
    t.put("nested/gzip-bomb-64mib.gz", gzip.compress(zeros, compresslevel=9, mtime=0), c,
          "64 MiB of zeros in one gzip member (~64 KiB)", "limit")


# ---------------------------------------------------------------- MP4

def box(kind, body):
    return struct.pack(">I", 8 + len(body)) + kind + body


def boxes(b):
    out, p = [], 0
    while p + 8 <= len(b):
        size, kind = struct.unpack_from(">I4s", b, p)
        out.append((kind, p, size))
        p += size
    return out


# A plain ISO brand: the hostile MP4s below claim no audio brand, so only a track table could make them audio.
FTYP = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")


def make_mp4(t, seed):
    c = "mp4"
    layout = {k: (p, s) for k, p, s in boxes(seed)}
    assert list(layout) == [b"ftyp", b"free", b"mdat", b"moov"], list(layout)
    mp, ms = layout[b"moov"]
    moov_body = seed[mp + 8:mp + ms]
    # moov with a 64-bit size after mdat: a valid file (the chunk offsets point into mdat, unchanged).
    t.put("mp4/moov-largesize-after-mdat.m4a",
          seed[:mp] + struct.pack(">I4sQ", 1, b"moov", 16 + len(moov_body)) + moov_body, c,
          "valid M4A (speech) whose moov after mdat uses a 64-bit size (size=1, largesize)", "finding")
    fp, fs = layout[b"free"]
    dp, ds = layout[b"mdat"]
    assert fs == 8 and fp + fs == dp
    t.put("mp4/mdat-largesize.m4a",
          seed[:fp] + struct.pack(">I4sQ", 1, b"mdat", ds + 8) + seed[dp + 8:], c,
          "valid M4A (speech) whose mdat uses a 64-bit size (the 8-byte free box absorbed)", "finding")
    t.put("mp4/moov-size-0-to-eof.m4a", seed[:mp] + struct.pack(">I", 0) + seed[mp + 4:], c,
          "valid M4A (speech) whose last box, moov, has size 0 (extends to end of file)", "finding")

    trak = box(b"trak", box(b"tkhd", bytes(84)))
    t.put("mp4/size-0-mid-file.mp4", FTYP + struct.pack(">I4s", 0, b"free") + box(b"moov", trak) * 3, c,
          "a box of size 0 (to end of file) followed by more boxes", "clean-or-limit")
    t.put("mp4/largesize-near-2p64.mp4",
          FTYP + struct.pack(">I4sQ", 1, b"mdat", U64 - 15) + bytes(64) + box(b"moov", trak), c,
          "mdat with size=1 and largesize 2^64-16", "clean-or-limit")
    t.put("mp4/moov-child-largesize-2p64.mp4",
          FTYP + box(b"moov", struct.pack(">I4sQ", 1, b"trak", U64) + bytes(32)), c,
          "trak inside moov with size=1 and largesize 2^64-1", "clean-or-limit")
    for n in (1, 4, 7):
        t.put(f"mp4/box-size-{n}.mp4", FTYP + struct.pack(">I4s", n, b"free") + bytes(32) + box(b"moov", trak),
              c, f"top-level box of size {n} (< 8: never advances if trusted)", "clean-or-limit")
    small = b"".join(struct.pack(">I4s", n, b"trak") for n in (0, 2, 5, 7)) + struct.pack(">I4sQ", 1, b"mdia", 8)
    t.put("mp4/moov-children-size-lt-8.mp4", FTYP + box(b"moov", struct.pack(">I4s", 3, b"trak") + small), c,
          "moov children of size 3 and 2..7, and a largesize of 8 (< its 16-byte header)", "clean-or-limit")
    many = box(b"trak", b"") * 100000
    t.put("mp4/moov-100000-trak.mp4", FTYP + box(b"moov", many), c,
          "moov holding 100,000 empty trak boxes (800 KB; must be bigger)", "clean-or-limit")
    chain = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"sinf", b"schi"]
    body = b""
    for i in range(10000):
        body = box(chain[-1 - (i % 6)] if i < 9999 else b"moov", body)
    t.put("mp4/nesting-10000.mp4", FTYP + body, c,
          "10,000 nested container boxes (trak/mdia/minf/stbl/sinf/schi) inside moov", "clean-or-limit")
    stsd = box(b"stsd", bytes(8) + box(b"enca", bytes(28) + box(b"sinf", box(b"schi", b"") * 2) * 2) * 200)
    t.put("mp4/stsd-200-enca-entries.mp4",
          FTYP + box(b"moov", box(b"trak", box(b"mdia", box(b"hdlr", bytes(8) + b"soun" + bytes(12))
                                                   + box(b"minf", box(b"stbl", stsd))))), c,
          "sound track whose stsd has 200 encrypted sample entries, each descended into", "finding")


# ---------------------------------------------------------------- Matroska

def ebml_id(i):
    return i.to_bytes((i.bit_length() + 7) // 8, "big")


def ebml_size(n, width=None):
    w = width or next(k for k in range(1, 9) if n < (1 << (7 * k)) - 1)
    return ((1 << (7 * w)) | n).to_bytes(w, "big")


UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def el(i, body):
    return ebml_id(i) + ebml_size(len(body)) + body


def uint(i, v):
    return el(i, v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big"))


def ebml_header(doctype):
    return el(0x1A45DFA3, uint(0x4286, 1) + uint(0x42F7, 1) + uint(0x42F2, 4) + uint(0x42F3, 8)
              + el(0x4282, doctype) + uint(0x4287, 4) + uint(0x4285, 2))


SEGMENT, TRACKS, TRACK_ENTRY, SEEKHEAD, SEEK, CLUSTER = 0x18538067, 0x1654AE6B, 0xAE, 0x114D9B74, 0x4DBB, 0x1F43B675


def make_mkv(t):
    c = "mkv"
    levels = b""
    for i in range(5000):
        levels += ebml_id(TRACKS if i % 2 == 0 else TRACK_ENTRY) + UNKNOWN
    entry = el(TRACK_ENTRY, uint(0xD7, 1) + uint(0x83, 2) + el(0x86, b"A_OPUS"))
    t.put("mkv/unknown-size-nesting-5000.webm", ebml_header(b"webm") + ebml_id(SEGMENT) + UNKNOWN + levels + entry,
          c, "5000 nested Tracks/TrackEntry elements of unknown size (2^56-1)", "clean-or-limit")
    codec = b"A_" + b"X" * 61438
    entry = el(TRACK_ENTRY, uint(0xD7, 1) + uint(0x73C5, 1) + uint(0x83, 2) + el(0x86, codec)
               + el(0xE1, el(0xB5, struct.pack(">d", 48000.0)) + uint(0x9F, 1)))
    seg = el(TRACKS, entry) + el(CLUSTER, uint(0xE7, 0) + el(0xA3, b"\x81\x00\x00\x80" + stream("mkv", 200)))
    t.put("mkv/codecid-60k.mka", ebml_header(b"matroska") + el(SEGMENT, seg), c,
          "audio track whose CodecID is 60 KB of text (evidence must not copy it)", "finding")
    seeks = el(SEEK, b"") * 100000
    t.put("mkv/seekhead-100000.webm",
          ebml_header(b"webm") + ebml_id(SEGMENT) + UNKNOWN + ebml_id(SEEKHEAD) + ebml_size(len(seeks)) + seeks,
          c, "SeekHead with 100,000 Seek entries (300 KB; must be bigger)", "clean-or-limit")
    seek = el(SEEK, el(0x53AB, ebml_id(TRACKS)) + el(0x53AC, b"\xff" * 8))
    t.put("mkv/seek-position-2p64.webm",
          ebml_header(b"webm") + ebml_id(SEGMENT) + UNKNOWN + el(SEEKHEAD, seek * 3) + el(0xEC, bytes(64)), c,
          "Seek entries pointing Tracks at offset 2^64-1", "clean-or-limit")
    body = el(TRACK_ENTRY, uint(0x83, 2) + el(0x86, b"A_OPUS"))
    for i in range(5000):
        body = el(TRACKS if i % 2 == 0 else SEGMENT, body)
    t.put("mkv/known-size-nesting-5000.mkv", ebml_header(b"matroska") + body, c,
          "5000 nested Segment/Tracks elements of known size", "clean-or-limit")
    t.put("mkv/element-size-2p56.webm",
          ebml_header(b"webm") + ebml_id(SEGMENT) + UNKNOWN + ebml_id(TRACKS) + b"\x01\xff\xff\xff\xff\xff\xff\xfe"
          + ebml_id(TRACK_ENTRY) + b"\x01\xff\xff\xff\xff\xff\xff\xfe" + uint(0x83, 2) + el(0x86, b"A_OPUS"), c,
          "audio TrackEntry inside Tracks, both with known sizes of 2^56-2 on a small file", "finding")


# ---------------------------------------------------------------- ASF

ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
ASF_FILE_PROPS = bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365")
ASF_PADDING = bytes.fromhex("74d40618dfca0945a4ba9aabcb96aae8")


def make_asf(t):
    c = "asf"
    obj = ASF_FILE_PROPS + struct.pack("<Q", U64 - 7) + bytes(80)
    t.put("asf/object-size-2p64.wma", ASF_HEADER + struct.pack("<QIBB", U64, 3, 1, 2) + obj + obj, c,
          "header object and sub-object sizes near 2^64", "clean-or-limit")
    pad = (ASF_PADDING + struct.pack("<Q", 24)) * 2000
    t.put("asf/header-2p32-objects.wma", ASF_HEADER + struct.pack("<QIBB", 30 + len(pad), 0xFFFFFFFF, 1, 2) + pad,
          c, "header object claiming 2^32-1 sub-objects", "clean-or-limit")
    t.put("asf/header-1024-zero-size-objects.wma",
          ASF_HEADER + struct.pack("<QIBB", 30 + 1024 * 24, 1024, 1, 2) + (ASF_PADDING + struct.pack("<Q", 0)) * 1024,
          c, "1024 sub-objects of size 0 (never advancing if trusted)", "clean-or-limit")


# ---------------------------------------------------------------- OLE / CFB

ENDCHAIN, FREESECT, FATSECT, DIFSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFC


def cfb_header(shift=9, major=3, dir_sectors=0, fat_sectors=1, dir_start=1, difat_start=ENDCHAIN,
               difat_count=0, difat=(0,)):
    h = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    h += struct.pack("<HHHHH", 0x3E, major, 0xFFFE, shift, 6) + bytes(6)
    h += struct.pack("<IIIIIIIII", dir_sectors, fat_sectors, dir_start, 0, 4096, ENDCHAIN, 0, difat_start,
                     difat_count)
    d = list(difat) + [FREESECT] * (109 - len(difat))
    h += struct.pack("<109I", *d)
    assert len(h) == 512
    return h


def dir_entry(name, kind, start, size, child=FREESECT):
    n = name.encode("utf-16-le") + b"\x00\x00"
    e = n + bytes(64 - len(n)) + struct.pack("<HBB", len(n), kind, 1)
    e += struct.pack("<III", FREESECT, FREESECT, child) + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size)
    assert len(e) == 128
    return e


def fat_sector(entries, per=128):
    return struct.pack(f"<{per}I", *(list(entries) + [FREESECT] * (per - len(entries))))


def make_ole(t):
    c = "ole"
    dirs = dir_entry("Root Entry", 5, ENDCHAIN, 0, child=1) + dir_entry("WordDocument", 2, 2, 8192) \
        + bytes(256)
    doc = b"\xec\xa5" + bytes(510)
    t.put("ole/fat-self-loop.doc",
          cfb_header() + fat_sector([FATSECT, 1, 2]) + dirs + doc, c,
          "FAT chains that loop: the directory sector and the stream's sector point to themselves",
          "clean-or-limit")
    t.put("ole/fat-two-sector-loop.doc",
          cfb_header() + fat_sector([FATSECT, 3, 2, 1]) + dirs + doc + dirs, c,
          "directory chain 1 -> 3 -> 1 -> ...", "clean-or-limit")
    difat = struct.pack("<127I", *([0] * 127)) + struct.pack("<I", 2)
    t.put("ole/difat-loop.doc",
          cfb_header(fat_sectors=0xFFFFFFFF, difat_start=2, difat_count=0xFFFFFFFF)
          + fat_sector([FATSECT, ENDCHAIN, DIFSECT]) + dirs + difat, c,
          "DIFAT sector whose next-DIFAT pointer is itself; 2^32-1 FAT and DIFAT sectors claimed",
          "clean-or-limit")
    per = 1024
    root = dir_entry("Root Entry", 5, ENDCHAIN, 0, child=1) + dir_entry("Workbook", 2, 2, 1 << 31)
    sec = 4096
    t.put("ole/directory-2p31-entries.xls",
          cfb_header(shift=12, major=4, dir_sectors=1 << 26)[:512] + bytes(sec - 512)
          + fat_sector([FATSECT, 1, 2], per=per) + root + bytes(sec - len(root)) + b"\x09\x08" + bytes(sec - 2), c,
          "v4 (4 KiB sectors) header claiming 2^26 directory sectors (2^31 entries), looping chain",
          "clean-or-limit")
    t.put("ole/sector-shift-30.doc", cfb_header(shift=30) + fat_sector([FATSECT, ENDCHAIN]) + dirs, c,
          "sector shift 30 (1 GiB sectors)", "clean-or-limit")
    t.put("ole/sector-shift-12-v3-dir-past-eof.doc",
          cfb_header(shift=12, dir_start=0xFFFFFFF0) + fat_sector([FATSECT]) + dirs, c,
          "directory start sector 0xFFFFFFF0 with 4 KiB sectors (offset ~2^44)", "clean-or-limit")


# ---------------------------------------------------------------- PDF

def pdf(objs, trailer, startxref=None):
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % (x if startxref is None else startxref)
    return out


def make_pdf(t):
    c = "pdf"
    base = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    ident = b"/ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]"
    t.put("pdf/encrypt-reference-loop.pdf",
          pdf(base + [b"4 0 R", b"3 0 R", b"<< /Filter 5 0 R /V 5 0 R /R 5 0 R >>"],
              b"<< /Size 6 /Root 1 0 R /Encrypt 3 0 R " + ident + b" >>"), c,
          "/Encrypt is an indirect reference loop (3 -> 4 -> 3); a dictionary referring to itself",
          "clean-or-limit")
    t.put("pdf/encrypt-self-reference.pdf",
          pdf(base + [b"<< /Filter /Standard /V 3 0 R /R 3 0 R /O 3 0 R /U 3 0 R /P -4 >>"],
              b"<< /Size 4 /Root 1 0 R /Encrypt 3 0 R " + ident + b" >>"), c,
          "/Encrypt /Standard dictionary whose /V /R /O /U refer to itself (a weak-encryption claim; "
          "reported as weak in the inventory, a finding only where a rule opts documents in)", "clean-or-limit")
    deep = b"<<" * 524288
    t.put("pdf/nesting-1mb.pdf", pdf(base + [deep], b"<< /Size 4 /Root 1 0 R >>"), c,
          "1 MB of unclosed '<<' dictionary nesting (1 MB; must be bigger)", "clean-or-limit")
    comp = zlib.compress(b"3 0 " + deep, 9)
    t.put("pdf/nesting-1mb-objstm.pdf",
          pdf(base + [b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(comp)
                      + comp + b"\nendstream"], b"<< /Size 4 /Root 1 0 R >>"), c,
          "1 MB of '<<' nesting inside a FlateDecode object stream", "clean-or-limit")
    t.put("pdf/xref-past-eof.pdf",
          pdf(base, b"<< /Size 3 /Root 1 0 R /Prev 99999999999999 >>", startxref=99999999999999999), c,
          "startxref and /Prev pointing far past the end of the file", "clean-or-limit")
    loop = pdf(base, b"<< /Size 3 /Root 1 0 R >>")
    x = loop.rindex(b"xref\n")
    loop = loop.replace(b"<< /Size 3 /Root 1 0 R >>", b"<< /Size 3 /Root 1 0 R /Prev %d >>" % x)
    t.put("pdf/xref-prev-loop.pdf", loop, c, "trailer /Prev pointing at its own xref section", "clean-or-limit")


# ---------------------------------------------------------------- RIFF / WAV

def make_riff(t):
    c = "riff"
    data = pcm()
    body = b"WAVE" + fmt_chunk() + b"LIST" + struct.pack("<I", 0xFFFFFFF0) + b"INFOISFT" \
        + b"data" + struct.pack("<I", len(data)) + data
    t.put("riff/list-huge-then-data.wav", b"RIFF" + struct.pack("<I", 0xFFFFFFF8) + body, c,
          "LIST chunk of size 2^32-16 between fmt and data (RIFF size near 2^32 too)", "finding")
    body = b"WAVE" + b"LIST" + struct.pack("<I", 0xFFFFFFFF) + b"INFO" + fmt_chunk() \
        + b"data" + struct.pack("<I", len(data)) + data
    t.put("riff/list-huge-before-fmt.wav", b"RIFF" + struct.pack("<I", len(body)) + body, c,
          "LIST chunk of size 2^32-1 before fmt (odd size: pad byte arithmetic)", "clean-or-limit")
    ds64 = b"ds64" + struct.pack("<IQQQI", 28, U64, U64, U64, 0)
    t.put("riff/rf64-ds64-2p64.wav",
          b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + ds64 + fmt_chunk() + b"data"
          + struct.pack("<I", 0xFFFFFFFF) + data, c,
          "RF64 whose ds64 gives RIFF and data sizes of 2^64-1", "finding")
    ds64 = b"ds64" + struct.pack("<IQQQI", 0xFFFFFFF0, U64, U64, U64, 0xFFFFFFFF)
    t.put("riff/rf64-ds64-table-huge.wav",
          b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + ds64 + fmt_chunk() + b"data"
          + struct.pack("<I", 0xFFFFFFFF) + data, c,
          "RF64 ds64 chunk of size 2^32-16 with a 2^32-1 entry table", "clean-or-limit")
    many = (b"junk" + struct.pack("<I", 0)) * 8000
    t.put("riff/8000-empty-chunks.wav",
          b"RIFF" + struct.pack("<I", 4 + len(many) + 24 + 8 + len(data)) + b"WAVE" + many + fmt_chunk()
          + b"data" + struct.pack("<I", len(data)) + data, c,
          "8000 empty chunks before fmt and data", "clean-or-limit")


# ---------------------------------------------------------------- FLAC / ID3

def make_flac_id3(t):
    info = struct.pack(">HH", 4096, 4096) + bytes(6) + bytes([0x01, 0xF4, 0x00, 0x70]) + bytes(4) + bytes(16)
    assert len(info) == 34
    head = b"fLaC" + b"\x00\x00\x00\x22" + info
    t.put("flac/metadata-chain-forever.flac", head + b"\x01\x00\x00\x00" * 15000, "flac",
          "15,000 PADDING metadata blocks of length 0, none flagged last, to the end of the file",
          "clean-or-limit")
    t.put("flac/metadata-length-max.flac", head + (b"\x04\xff\xff\xff" + bytes(60)) * 200, "flac",
          "metadata blocks of length 2^24-1 (past the end), none last", "clean-or-limit")
    t.put("id3/tag-size-max.mp3", b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + bytes(1014), "id3",
          "ID3v2.4 tag size 256 MB (max synchsafe) on a 1 KB file", "clean-or-limit")
    t.put("id3/tag-size-max-footer.flac", b"ID3\x04\x00\x10\x7f\x7f\x7f\x7f" + head + bytes(980), "id3",
          "ID3v2.4 tag of maximum size with footer flag in front of a FLAC header", "clean-or-limit")
    frame = b"TIT2" + struct.pack(">I", 6) + b"\x00\x00" + b"\x00title"
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    t.put("id3/100-tags-then-mp3.mp3", tag * 100 + mp3_silence(24), "id3",
          "100 ID3v2 tags in a row, then MPEG audio frames", "finding")


# ---------------------------------------------------------------- encoded text

def make_text(t):
    c = "encoded"
    tiny = wav(pcm(6))  # 56 bytes: RIFF/WAVE/fmt/data
    tiny += b"\x00"
    run = base64.b64encode(tiny)
    assert len(run) == 76, len(run)
    line = b"data:audio/wav;base64," + run + b"\"\n"
    assert len(line) == 100
    t.put("encoded/datauri-every-100-bytes.txt", line * 614, c,
          "60 KB of one base64 WAV data: URI repeated every 100 bytes (614 runs)", "finding")
    tokens = b" ".join(base64.b64encode(stream("r%d" % i, 48)) for i in range(1200))
    t.put("encoded/base64-runs-1200.txt", b"tokens: " + tokens + b"\n", c,
          "1200 separate 64-symbol base64 runs of random bytes (78 KB)", "clean-or-limit")
    body = base64.b64encode(wav())
    mime = b"audio/" + b"x." * 150000
    t.put("encoded/json-300kb-mime.json", b'{"voice": "data:' + mime + b";base64," + body + b'"}\n', c,
          "JSON whose data: URI declares a 300 KB MIME type (the run itself starts after 300 KB)",
          "clean-or-limit")
    mime = b"audio/" + b"x." * 30000
    t.put("encoded/json-60kb-mime.json", b'{"voice": "data:' + mime + b";base64," + body + b'"}\n', c,
          "JSON whose data: URI declares a 60 KB MIME type before a base64 WAV (evidence must not copy it)",
          "finding")
    hexes = b""
    for i in range(200):
        h = stream("hex%d" % i, 100).hex().encode()
        hexes += b"X'" + h[: 129 + 2 * (i % 7)] + b"',\n"
    t.put("encoded/hex-odd-length.sql", b"INSERT INTO blobs VALUES\n" + hexes, c,
          "200 hex runs of odd length (129-141 digits) of random bytes", "clean-or-limit")
    h = wav().hex().encode()
    t.put("encoded/hex-wav-odd-length.sql", b"INSERT INTO v VALUES ('\\x" + h + b"f');\n", c,
          "hex run of a WAV with one extra digit (odd length)", "finding")
    raw = base64.b64encode(stream("mix", 3000))
    mixed = bytearray(raw)
    for i in range(len(mixed)):
        if mixed[i] == ord("+") and i % 2:
            mixed[i] = ord("-")
        elif mixed[i] == ord("/") and i % 3:
            mixed[i] = ord("_")
    mixed = bytes(mixed).replace(b"A", b"=", 20)
    t.put("encoded/mixed-alphabets.txt", b"token: " + mixed + b"\n", c,
          "one run mixing standard and URL-safe base64 alphabets with stray '=' inside", "clean-or-limit")
    pem = b"\n".join(base64.b64encode(stream("pem", 48 * 800))[k:k + 64] for k in range(0, 64 * 800, 64))
    t.put("encoded/wrapped-run-50kb.txt", b"-----BEGIN DATA-----\n" + pem + b"\n-----END DATA-----\n", c,
          "one 50 KB PEM-wrapped run of random bytes (runs into the end of the head)", "clean-or-limit")


# ---------------------------------------------------------------- misc and normal

def make_misc(t):
    w = wav()
    t.put(b"misc/\x1b]0;pwned\x07.wav", w, "misc", "file name holding an OSC terminal escape (sets the title)",
          "finding")
    t.put(b"misc/\x1b[2J\x1b[31mred.wav", w, "misc", "file name holding CSI escapes (clear screen, colour)",
          "finding")
    t.put(b"misc/x\xff.wav", w, "misc", "file name with invalid UTF-8 byte 0xFF (distinct from x\\xfe.wav)",
          "finding")
    t.put(b"misc/x\xfe.wav", w, "misc", "file name with invalid UTF-8 byte 0xFE (distinct from x\\xff.wav)",
          "finding")
    t.put(b"misc/new\nline.wav", w, "misc", "file name holding a newline (one report line per finding)",
          "finding")
    t.put("misc/empty.bin", b"", "misc", "a 0-byte file", "clean-or-limit")


NORMAL = ["audio/wav/pcm16.wav", "audio/mp3/speech.mp3", "audio/flac/speech.flac", "audio/m4a/speech.m4a"]


def make_normal(t, fixtures):
    for rel in NORMAL:
        with open(os.path.join(fixtures, rel), "rb") as f:
            data = f.read()
        t.put("normal/" + rel.split("/", 1)[1].replace("/", "-"), data, "normal",
              f"ordinary fixture {rel} beside the hostile files", "finding")


def copy_fixtures(out, fixtures):
    """The whole fixtures folder as OUTDIR/fixtures, regular files only and
    not in MANIFEST.tsv: a scan of the tree must still report every finding
    a scan of the fixtures alone reports (tests/hostile.rs checks it)."""
    dest = os.path.join(out, "fixtures")
    n = 0
    for root, dirs, files in os.walk(fixtures):
        dirs.sort()
        rel = os.path.relpath(root, fixtures)
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for name in sorted(files):
            src = os.path.join(root, name)
            if os.path.isfile(src) and not os.path.islink(src):
                with open(src, "rb") as f, open(os.path.join(dest, rel, name), "wb") as g:
                    g.write(f.read())
                n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--fixtures", default=os.path.join(REPO, "fixtures"),
                    help="the repository's fixtures folder (default: %(default)s)")
    args = ap.parse_args()
    if os.path.exists(args.outdir) and os.listdir(args.outdir):
        sys.exit(f"{args.outdir}: exists and is not empty")
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(HERE, "seed-audio.m4a"), "rb") as f:
        seed = f.read()
    t = Tree(args.outdir)
    make_7z(t)
    make_tar(t)
    make_zip(t)
    make_nested(t)
    make_mp4(t, seed)
    make_mkv(t)
    make_asf(t)
    make_ole(t)
    make_pdf(t)
    make_riff(t)
    make_flac_id3(t)
    make_text(t)
    make_misc(t)
    make_normal(t, args.fixtures)
    t.manifest()
    copied = copy_fixtures(args.outdir, args.fixtures)
    total = sum(r[4] for r in t.rows)
    print(f"{len(t.rows)} files, {total} bytes, and {copied} fixtures in {args.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
