"""Writes cloud inventory reports into the emulators that tests/emulators/up.sh
started, laid out as each provider lays them out, for tests/buckets.rs
(`--inventory-from`). Every scenario is idempotent: it (re)creates its buckets'
objects and reports and prints nothing but a summary on stderr.

    make_inventory.py s3 FIXTURES          S3 Inventory in moto (CSV.gz, Parquet, ORC, wrong source)
    make_inventory.py azure FIXTURES       Azure Blob Inventory in Azurite (CSV with header)
    make_inventory.py gcs FIXTURES         GCS inventory report in fake-gcs-server (CSV with header)
    make_inventory.py big FIXTURES ROWS    one S3 CSV.gz inventory of ROWS rows of atrest-inv-big
                                           (written under $TMPDIR, uploaded, deleted), in
                                           inv/atrest-inv-big/big/; one row in 5,000 is a real
                                           object under real/
    make_inventory.py stale FIXTURES [restore]
                                           atrest-inv-stale: objects written or replaced after
                                           their inventory was taken (see `stale`); `restore`
                                           puts the recording back under calls/swapped.wav
    make_inventory.py versions FIXTURES    atrest-inv-ver: a versioned bucket whose recordings are
                                           older versions only, and its inventory of all versions
    make_inventory.py tree FIXTURES        atrest-tree: 2,562 tiny objects in folders of every
                                           shape, two of them keys the client cannot represent
                                           (for listing in parallel; no inventory)

S3 (moto :5000): source bucket atrest-inv-src; reports in atrest-inv-dest under
inv/atrest-inv-src/<config>/ (S3's layout: <run>/manifest.json + manifest.checksum,
data/<file>):
  csv      three runs: 2026-01-01T00-00Z (complete, lists voice/plain.wav only),
           2026-01-02T00-00Z (complete, everything, rows over three files),
           2026-01-03T00-00Z (no checksum: still being written, names a missing file)
  parquet  one run, rows over two Parquet files (snappy, S3's column names)
  orc      one run whose manifest says ORC
  wrong    one run whose manifest's sourceBucket is another bucket
Rows of the source (VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate,
ETag, StorageClass, EncryptionStatus): voice/plain.wav (NOT-SSE), voice/kms.wav
(a plain object the row says is SSE-KMS), voice/a b+c.wav (a key that needs
URL-decoding), voice/n0..n5.wav, other/x.wav (outside voice/), voice/deep.wav
(DEEP_ARCHIVE, never uploaded: it must not be read), voice/gone.wav (a delete
marker), voice/plain.wav again as an older version (IsLatest false).
"""
import datetime
import gzip
import hashlib
import io
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config

S3_ENDPOINT = os.environ.get("S3_ENDPOINT", "http://127.0.0.1:5000")
AZURITE = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
           "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
           "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")
GCS = "http://127.0.0.1:4443"
SRC, DEST = "atrest-inv-src", "atrest-inv-dest"
S3_SCHEMA = ["Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size",
             "LastModifiedDate", "ETag", "StorageClass", "EncryptionStatus"]


def s3_client():
    return boto3.client("s3", endpoint_url=S3_ENDPOINT, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=16))


def bucket(c, name):
    try:
        c.create_bucket(Bucket=name)
    except (c.exceptions.BucketAlreadyOwnedByYou, c.exceptions.BucketAlreadyExists):
        pass


def wav_of(fixtures):
    with open(os.path.join(fixtures, "audio/wav/pcm16.wav"), "rb") as f:
        return f.read()


def s3_rows(c, wav):
    """The source bucket's objects, and the inventory rows that describe them."""
    bucket(c, SRC)
    rows = []
    live = ["voice/plain.wav", "voice/kms.wav", "voice/a b+c.wav", "other/x.wav"]
    live += [f"voice/n{i}.wav" for i in range(6)]
    # Exactly these: the tests compare the inventory with a LIST of the bucket.
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=SRC):
        for o in page.get("Contents", []):
            if o["Key"] not in live:
                c.delete_object(Bucket=SRC, Key=o["Key"])
    for key in live:
        c.put_object(Bucket=SRC, Key=key, Body=wav)
        head = c.head_object(Bucket=SRC, Key=key)
        rows.append({"Bucket": SRC, "Key": key, "VersionId": "", "IsLatest": "true",
                     "IsDeleteMarker": "false", "Size": str(head["ContentLength"]),
                     "LastModifiedDate": "2026-01-02T00:00:00.000Z",
                     "ETag": head["ETag"].strip('"'), "StorageClass": "STANDARD",
                     "EncryptionStatus": "SSE-KMS" if key == "voice/kms.wav" else "NOT-SSE"})
    rows.append(dict(rows[0], VersionId="v1", IsLatest="false", ETag="0" * 32))
    rows.append({"Bucket": SRC, "Key": "voice/deep.wav", "VersionId": "", "IsLatest": "true",
                 "IsDeleteMarker": "false", "Size": str(len(wav)),
                 "LastModifiedDate": "2025-01-01T00:00:00.000Z", "ETag": "1" * 32,
                 "StorageClass": "DEEP_ARCHIVE", "EncryptionStatus": "SSE-S3"})
    rows.append({"Bucket": SRC, "Key": "voice/gone.wav", "VersionId": "v2", "IsLatest": "true",
                 "IsDeleteMarker": "true", "Size": "", "LastModifiedDate": "2026-01-01T00:00:00.000Z",
                 "ETag": "", "StorageClass": "", "EncryptionStatus": ""})
    return rows


def csv_gz(rows, schema, encode_keys=True, header=False):
    out = io.StringIO()
    if header:
        out.write(",".join(schema) + "\n")
    for r in rows:
        cells = []
        for col in schema:
            v = r.get(col, "")
            if col == "Key" and encode_keys:
                v = urllib.parse.quote_plus(v)
            cells.append('"' + v.replace('"', '""') + '"')
        out.write(",".join(cells) + "\n")
    return gzip.compress(out.getvalue().encode(), mtime=0)


def parquet_bytes(rows):
    import pyarrow as pa
    import pyarrow.parquet as pq
    def ms(s):
        return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
                   .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    table = pa.table({
        "bucket": pa.array([r["Bucket"] for r in rows], pa.string()),
        "key": pa.array([r["Key"] for r in rows], pa.string()),
        "version_id": pa.array([r["VersionId"] or None for r in rows], pa.string()),
        "is_latest": pa.array([r["IsLatest"] == "true" for r in rows], pa.bool_()),
        "is_delete_marker": pa.array([r["IsDeleteMarker"] == "true" for r in rows], pa.bool_()),
        "size": pa.array([int(r["Size"]) if r["Size"] else None for r in rows], pa.int64()),
        "last_modified_date": pa.array([ms(r["LastModifiedDate"]) for r in rows], pa.timestamp("ms")),
        "e_tag": pa.array([r["ETag"] or None for r in rows], pa.string()),
        "storage_class": pa.array([r["StorageClass"] or None for r in rows], pa.string()),
        "encryption_status": pa.array([r["EncryptionStatus"] or None for r in rows], pa.string()),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def s3_run(c, config, run, fmt, files, source=SRC, checksum=True, under=SRC):
    """One run: data files under data/, manifest.json (+ manifest.checksum)."""
    base = f"inv/{under}/{config}"
    entries = []
    for i, body in enumerate(files):
        ext = {"CSV": "csv.gz", "Parquet": "parquet", "ORC": "orc"}[fmt]
        key = f"{base}/data/{run}-{i}.{ext}"
        if body is not None:
            c.put_object(Bucket=DEST, Key=key, Body=body)
        entries.append({"key": key, "size": len(body or b""),
                        "MD5checksum": hashlib.md5(body or b"").hexdigest()})
    schema = {
        "CSV": ", ".join(S3_SCHEMA),
        "Parquet": "message s3.inventory { required binary bucket (STRING); required binary key (STRING); }",
        "ORC": "struct<bucket:string,key:string,size:bigint>",
    }[fmt]
    manifest = json.dumps({
        "sourceBucket": source, "destinationBucket": f"arn:aws:s3:::{DEST}",
        "version": "2016-11-30", "creationTimestamp": "1767312000000",
        "fileFormat": fmt, "fileSchema": schema, "files": entries,
    }, indent=2).encode()
    c.put_object(Bucket=DEST, Key=f"{base}/{run}/manifest.json", Body=manifest)
    if checksum:
        c.put_object(Bucket=DEST, Key=f"{base}/{run}/manifest.checksum",
                     Body=hashlib.md5(manifest).hexdigest().encode() + b"\n")
    else:
        try:
            c.delete_object(Bucket=DEST, Key=f"{base}/{run}/manifest.checksum")
        except Exception:
            pass


def s3(fixtures):
    c = s3_client()
    bucket(c, DEST)
    rows = s3_rows(c, wav_of(fixtures))
    # csv: an older complete run, the newest complete run, a run still being written.
    s3_run(c, "csv", "2026-01-01T00-00Z", "CSV", [csv_gz(rows[:1], S3_SCHEMA)])
    thirds = [rows[i::3] for i in range(3)]
    s3_run(c, "csv", "2026-01-02T00-00Z", "CSV", [csv_gz(t, S3_SCHEMA) for t in thirds])
    s3_run(c, "csv", "2026-01-03T00-00Z", "CSV", [None], checksum=False)
    s3_run(c, "parquet", "2026-01-02T00-00Z", "Parquet",
           [parquet_bytes(rows[::2]), parquet_bytes(rows[1::2])])
    s3_run(c, "orc", "2026-01-02T00-00Z", "ORC", [None])
    s3_run(c, "wrong", "2026-01-02T00-00Z", "CSV", [csv_gz(rows, S3_SCHEMA)],
           source="atrest-someone-else")
    print(f"s3 inventories: {len(rows)} rows in {DEST}/inv/{SRC}/{{csv,parquet,orc,wrong}}/",
          file=sys.stderr)


VERSIONED = "atrest-inv-ver"


def versions(fixtures):
    """atrest-inv-ver, a versioned bucket whose recordings live on only as
    older versions: calls/a.wav was overwritten with text, calls/b.wav
    deleted (a delete marker on top); one more recording is the current
    object of a key that reads like calls/a.wav's older version. Its inventory (all versions, CSV.gz)
    is in atrest-inv-dest under inv/atrest-inv-ver/versions/."""
    c = s3_client()
    bucket(c, DEST)
    bucket(c, VERSIONED)
    c.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    for page in c.get_paginator("list_object_versions").paginate(Bucket=VERSIONED):
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            c.delete_object(Bucket=VERSIONED, Key=v["Key"], VersionId=v["VersionId"])
    wav = wav_of(fixtures)
    text = b"call notes: nothing was recorded\n" * 20
    rows = []

    def row(key, put, body, latest):
        rows.append({"Bucket": VERSIONED, "Key": key, "VersionId": put["VersionId"],
                     "IsLatest": latest, "IsDeleteMarker": "false", "Size": str(len(body)),
                     "LastModifiedDate": "2026-01-02T00:00:00.000Z",
                     "ETag": put["ETag"].strip('"'), "StorageClass": "STANDARD",
                     "EncryptionStatus": "NOT-SSE"})
    old = c.put_object(Bucket=VERSIONED, Key="calls/a.wav", Body=wav)
    row("calls/a.wav", old, wav, "false")
    row("calls/a.wav", c.put_object(Bucket=VERSIONED, Key="calls/a.wav", Body=text), text, "true")
    # A current object whose key reads like that older version's location.
    lookalike = f"calls/a.wav?versionId={old['VersionId']}"
    row(lookalike, c.put_object(Bucket=VERSIONED, Key=lookalike, Body=wav), wav, "true")
    row("calls/b.wav", c.put_object(Bucket=VERSIONED, Key="calls/b.wav", Body=wav), wav, "false")
    marker = c.delete_object(Bucket=VERSIONED, Key="calls/b.wav")
    rows.append({"Bucket": VERSIONED, "Key": "calls/b.wav", "VersionId": marker["VersionId"],
                 "IsLatest": "true", "IsDeleteMarker": "true", "Size": "",
                 "LastModifiedDate": "2026-01-02T00:00:00.000Z", "ETag": "",
                 "StorageClass": "", "EncryptionStatus": ""})
    s3_run(c, "versions", "2026-01-02T00-00Z", "CSV", [csv_gz(rows, S3_SCHEMA)],
           source=VERSIONED, under=VERSIONED)
    print(f"versioned inventory: {len(rows)} rows in {DEST}/inv/{VERSIONED}/versions/",
          file=sys.stderr)


STALE = "atrest-inv-stale"


def stale(fixtures, restore=False):
    """atrest-inv-stale and its inventory, taken before the bucket changed:
    calls/placeholder.wav was empty and calls/note.wav 5 bytes of text (both
    hold a recording now), calls/swapped.wav held the recording (random bytes
    of the same size now; `restore` puts the recording back, with its old
    ETag). Config `csv` lists the three; config `empty` lists nothing."""
    c = s3_client()
    bucket(c, DEST)
    bucket(c, STALE)
    wav = wav_of(fixtures)
    if restore:
        c.put_object(Bucket=STALE, Key="calls/swapped.wav", Body=wav)
        return
    rows = []
    for key, then in [("calls/placeholder.wav", b""), ("calls/note.wav", b"todo\n"),
                      ("calls/swapped.wav", wav)]:
        rows.append({"Bucket": STALE, "Key": key, "VersionId": "", "IsLatest": "true",
                     "IsDeleteMarker": "false", "Size": str(len(then)),
                     "LastModifiedDate": "2026-01-02T00:00:00.000Z",
                     "ETag": hashlib.md5(then).hexdigest(), "StorageClass": "STANDARD",
                     "EncryptionStatus": "NOT-SSE"})
    for key in ["calls/placeholder.wav", "calls/note.wav"]:
        c.put_object(Bucket=STALE, Key=key, Body=wav)
    noise = hashlib.shake_256(b"atrest").digest(len(wav))
    c.put_object(Bucket=STALE, Key="calls/swapped.wav", Body=noise)
    s3_run(c, "csv", "2026-01-02T00-00Z", "CSV", [csv_gz(rows, S3_SCHEMA)],
           source=STALE, under=STALE)
    s3_run(c, "empty", "2026-01-02T00-00Z", "CSV", [], source=STALE, under=STALE)
    print(f"stale inventory: {len(rows)} rows of {STALE}", file=sys.stderr)


BIG = "atrest-inv-big"


def big(fixtures, n):
    """n rows of bucket atrest-inv-big, one in 5,000 a real object under
    real/; the rest name keys under bulk/ that were never uploaded. Written to
    a temporary file, uploaded, deleted."""
    c = s3_client()
    bucket(c, DEST)
    bucket(c, BIG)
    wav = wav_of(fixtures)
    real = [i for i in range(n) if i % 5000 == 0]
    import concurrent.futures
    def put(i):
        c.put_object(Bucket=BIG, Key=f"real/{i:07d}.wav", Body=wav)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(put, real))
    etag = c.head_object(Bucket=BIG, Key=f"real/{real[0]:07d}.wav")["ETag"].strip('"')
    fd, path = tempfile.mkstemp(suffix=".csv.gz")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", compresslevel=6) as out:
            for i in range(n):
                key = f"real/{i:07d}.wav" if i % 5000 == 0 else f"bulk/{i:07d}.wav"
                out.write(f'"{BIG}","{key}","","true","false","{len(wav)}",'
                          f'"2026-01-02T00:00:00.000Z","{etag}","STANDARD","NOT-SSE"\n')
        size = os.path.getsize(path)
        key = f"inv/{BIG}/big/data/big-0.csv.gz"
        c.upload_file(path, DEST, key)
    finally:
        os.unlink(path)
    manifest = json.dumps({
        "sourceBucket": BIG, "destinationBucket": f"arn:aws:s3:::{DEST}",
        "version": "2016-11-30", "fileFormat": "CSV", "fileSchema": ", ".join(S3_SCHEMA),
        "files": [{"key": key, "size": size, "MD5checksum": ""}],
    }).encode()
    run = f"inv/{BIG}/big/2026-01-02T00-00Z"
    c.put_object(Bucket=DEST, Key=f"{run}/manifest.json", Body=manifest)
    c.put_object(Bucket=DEST, Key=f"{run}/manifest.checksum", Body=hashlib.md5(manifest).hexdigest().encode())
    print(f"s3 big inventory: {n} rows ({size} bytes gzip), {len(real)} real objects", file=sys.stderr)


def azure(fixtures):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient
    svc = BlobServiceClient.from_connection_string(AZURITE)
    for name in ["atrest-inv-az", "atrest-inv-azdest"]:
        try:
            svc.create_container(name)
        except ResourceExistsError:
            pass
    src = svc.get_container_client("atrest-inv-az")
    wav = wav_of(fixtures)
    rows = []
    for name in ["voice/plain.wav", "voice/scoped.wav", "voice/n1.wav"]:
        etag = src.upload_blob(name, wav, overwrite=True).get_blob_properties().etag
        rows.append({"Name": f"atrest-inv-az/{name}", "Content-Length": str(len(wav)),
                     "ETag": etag.strip('"'), "AccessTier": "Hot",
                     "Last-Modified": "2026-01-02T00:00:00.0000000Z", "ServerEncrypted": "true",
                     "EncryptionScope": "voice-scope" if name == "voice/scoped.wav" else ""})
    rows.append({"Name": "atrest-inv-az/voice/cold.wav", "Content-Length": str(len(wav)), "ETag": "0x1",
                 "AccessTier": "Archive", "Last-Modified": "2025-01-01T00:00:00.0000000Z",
                 "ServerEncrypted": "true", "EncryptionScope": ""})
    rows.append({"Name": "another-container/voice/x.wav", "Content-Length": "9", "ETag": "0x2",
                 "AccessTier": "Hot", "Last-Modified": "2025-01-01T00:00:00.0000000Z",
                 "ServerEncrypted": "true", "EncryptionScope": ""})
    # A snapshot of voice/plain.wav and a soft-deleted blob: bytes the
    # account keeps, counted as noncurrent, never read.
    rows.append(dict(rows[0], Snapshot="2026-01-01T10:00:00.0000000Z", ETag="0x3"))
    rows.append({"Name": "atrest-inv-az/voice/deleted.wav", "Content-Length": str(len(wav)),
                 "ETag": "0x4", "AccessTier": "Hot", "Deleted": "true",
                 "Last-Modified": "2025-06-01T00:00:00.0000000Z", "ServerEncrypted": "true",
                 "EncryptionScope": ""})
    schema = ["Name", "Creation-Time", "Last-Modified", "ETag", "Content-Length", "AccessTier",
              "ServerEncrypted", "EncryptionScope", "Snapshot", "Deleted"]
    dest = svc.get_container_client("atrest-inv-azdest")
    for run, subset, done in [("2026/01/01/00-00-00", rows[:1], True),
                              ("2026/01/02/03-04-05", rows, True),
                              ("2026/01/03/00-00-00", rows, False)]:
        rule = "voice-rule"
        data = f"{run}/{rule}/{rule}.csv"
        out = io.StringIO()
        out.write(",".join(schema) + "\n")
        for r in subset:
            out.write(",".join('"' + r.get(c, "") + '"' for c in schema) + "\n")
        body = out.getvalue().encode()
        dest.upload_blob(data, body, overwrite=True)
        manifest = json.dumps({
            "destinationContainer": "atrest-inv-azdest",
            "endpoint": "http://127.0.0.1:10000/devstoreaccount1",
            "files": [{"blob": data, "size": len(body)}],
            "inventoryCompletionTime": "2026-01-02T03:10:00Z", "inventoryStartTime": "2026-01-02T03:04:05Z",
            "ruleDefinition": {"filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["atrest-inv-az/voice"]},
                               "format": "csv", "objectType": "blob", "schedule": "daily",
                               "schemaFields": schema},
            "ruleName": rule, "status": "Succeeded" if done else "Pending",
            "summary": {"objectCount": len(subset), "totalObjectSize": 0}, "version": "1.0",
        }, indent=2).encode()
        dest.upload_blob(f"{run}/{rule}/{rule}-manifest.json", manifest, overwrite=True)
        checksum = f"{run}/{rule}/{rule}-manifest.checksum"
        if done:
            dest.upload_blob(checksum, hashlib.md5(manifest).hexdigest().encode(), overwrite=True)
        else:
            try:
                dest.delete_blob(checksum)
            except ResourceNotFoundError:
                pass
    print("azure inventory: atrest-inv-azdest/2026/01/02/03-04-05/voice-rule/", file=sys.stderr)


def gcs(fixtures):
    def req(method, url, body=None, ctype="application/json"):
        r = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": ctype})
        try:
            return urllib.request.urlopen(r).read()
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
    for b in ["atrest-inv-gcs", "atrest-inv-gcsdest"]:
        req("POST", f"{GCS}/storage/v1/b?project=test", json.dumps({"name": b}).encode())

    def put(b, name, body, ctype="application/octet-stream"):
        return json.loads(req("POST", f"{GCS}/upload/storage/v1/b/{b}/o?uploadType=media"
                                      f"&name={urllib.request.quote(name, safe='')}", body, ctype))
    wav = wav_of(fixtures)
    schema = ["project", "bucket", "name", "location", "size", "updated", "storageClass", "etag",
              "generation", "timeDeleted"]
    rows = []
    for name in ["voice/plain.wav", "voice/n1.wav"]:
        meta = put("atrest-inv-gcs", name, wav)
        rows.append({"project": "test", "bucket": "atrest-inv-gcs", "name": name, "location": "US",
                     "size": meta["size"], "updated": meta["updated"], "storageClass": "STANDARD",
                     "etag": meta["etag"], "generation": meta["generation"]})
    # An older generation of voice/plain.wav, noncurrent since timeDeleted.
    rows.append(dict(rows[0], generation="1", timeDeleted="2026-01-01T00:00:00Z", etag="CAE="))
    # GCS Archive is readable at once (no restore): it is scanned, not skipped.
    meta = put("atrest-inv-gcs", "voice/archive-class.wav", wav)
    rows.append({"project": "test", "bucket": "atrest-inv-gcs", "name": "voice/archive-class.wav",
                 "location": "US", "size": meta["size"], "updated": meta["updated"],
                 "storageClass": "ARCHIVE", "etag": meta["etag"]})
    config = "0f2c9c0e-1b7a-4d0e-9d53-5d4f3b1a2c3d"
    snapshot = "2026-01-02T00:00"
    shard = f"{config}_{snapshot}_0.csv"
    out = io.StringIO()
    out.write(",".join(schema) + "\n")
    for r in rows:
        out.write(",".join(str(r.get(c, "")) for c in schema) + "\n")
    put("atrest-inv-gcsdest", f"reports/{shard}", out.getvalue().encode(), "text/csv")
    manifest = {
        "report_config": {
            "csv_options": {"record_separator": "\n", "delimiter": ",", "header_required": True},
            "object_metadata_report_options": {
                "metadata_fields": schema,
                "storage_filters": {"bucket": "atrest-inv-gcs"},
                "storage_destination_options": {"bucket": "atrest-inv-gcsdest", "destination_path": "reports"},
            },
        },
        "records_processed": len(rows), "snapshot_time": "2026-01-02T00:00:00Z", "shard_count": 1,
        "report_shards_file_names": [shard],
    }
    put("atrest-inv-gcsdest", f"reports/{config}_{snapshot}_manifest.json",
        json.dumps(manifest).encode(), "application/json")
    print("gcs inventory: atrest-inv-gcsdest/reports/", file=sys.stderr)


def tree_keys():
    """Folders of every shape: objects beside folders, a flat folder of
    1,000, nested folders, names that sort between a folder and its
    siblings ('a-b' < 'a/' < 'a0'), spaces and non-ASCII names."""
    keys = [f"top-{i:02d}.txt" for i in range(50)]
    keys += [f"a/{j}/{k:03d}.wav" for j in range(10) for k in range(100)]
    keys += [f"a-b/{k:03d}" for k in range(200)] + ["a0", "a", "b.txt"]
    keys += [f"b/{k:04d}.wav" for k in range(1000)]
    keys += [f"c/\u00e9t\u00e9/{k:02d}.wav" for k in range(50)] + [f"c/z{k:02d}" for k in range(50)]
    keys += [f"d/with space {k:03d}.wav" for k in range(207)]
    # Two keys the object-store client cannot represent (reported as errors).
    keys += ["b/ctl\x01.wav", "d/trail.wav/"]
    return keys


def tree(fixtures):
    import concurrent.futures
    c = s3_client()
    bucket(c, "atrest-tree")
    keys = tree_keys()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: c.put_object(Bucket="atrest-tree", Key=k, Body=b"x"), keys))
    print(f"atrest-tree: {len(keys)} objects", file=sys.stderr)


if __name__ == "__main__":
    what, fixtures = sys.argv[1], sys.argv[2]
    if what == "s3":
        s3(fixtures)
    elif what == "azure":
        azure(fixtures)
    elif what == "gcs":
        gcs(fixtures)
    elif what == "tree":
        tree(fixtures)
    elif what == "versions":
        versions(fixtures)
    elif what == "stale":
        stale(fixtures, restore=sys.argv[3:] == ["restore"])
    elif what == "big":
        big(fixtures, int(sys.argv[3]))
    else:
        sys.exit(f"unknown scenario {what}")
