"""Seeds the emulators that tests/emulators/up.sh started, for tests/buckets.rs.

    seed.py FIXTURES_DIR

S3 (moto :5000):      atrest-fixtures  the fixtures tree under fixtures/
                      atrest-sse       one WAV as plain, SSE-S3, SSE-KMS, client-side
                                       encrypted (metadata) and GLACIER objects
                      atrest-many      2,100 objects (more than one listing page)
                      atrest-big       one 200 MiB object
Azure (Azurite):      atrest-fixtures  the fixtures tree; atrest-cse: client-side metadata,
                                       a plain blob and an Archive-tier blob
GCS (fake-gcs):       atrest-fixtures  the fixtures tree (JSON API: the emulator has no XML PUT)

Exposure cases (for the unsigned exposure probe; answers in tests/emulators/EXPOSURE.md),
each holding voice.wav (fixtures/audio/wav/pcm16.wav) and notes.txt:
S3:     exposure-public   bucket policy Principal "*" (s3:GetObject, s3:ListBucket) + ACL public-read
        exposure-private  nothing public
        exposure-blocked  PublicAccessBlock, all four flags true
Azure:  exposure-container  public access "container";  exposure-blob  "blob";
        exposure-private    no public access
GCS:    exposure-public   objects with ACL allUsers:READER (predefinedAcl=publicRead)
        exposure-private  objects with the default (owner-only) ACL
        fake-gcs-server enforces nothing: both answer anonymous LIST and GET alike.
"""
import concurrent.futures
import json
import os
import sys
import urllib.error
import urllib.request

import boto3
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from botocore.config import Config

FIXTURES = sys.argv[1]
AZURITE = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
           "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
           "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")
GCS = "http://127.0.0.1:4443"


def fixture_files():
    root = os.path.dirname(os.path.abspath(FIXTURES))
    for dirpath, _, names in os.walk(FIXTURES):
        for n in sorted(names):
            path = os.path.join(dirpath, n)
            yield os.path.relpath(path, root).replace(os.sep, "/"), path


def read(p):
    with open(p, "rb") as f:
        return f.read()


def parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(fn, items))


def s3():
    c = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test",
                     config=Config(s3={"addressing_style": "path"}, max_pool_connections=16))
    for b in ["atrest-fixtures", "atrest-sse", "atrest-many", "atrest-big"]:
        try:
            c.create_bucket(Bucket=b)
        except (c.exceptions.BucketAlreadyOwnedByYou, c.exceptions.BucketAlreadyExists):
            pass
    parallel(lambda kp: c.put_object(Bucket="atrest-fixtures", Key=kp[0], Body=read(kp[1])),
             list(fixture_files()))
    wav = read(os.path.join(FIXTURES, "audio/wav/pcm16.wav"))
    kms = boto3.client("kms", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    key_id = kms.create_key(Description="atrest test")["KeyMetadata"]["Arn"]
    c.put_object(Bucket="atrest-sse", Key="plain.wav", Body=wav)
    c.put_object(Bucket="atrest-sse", Key="sse-s3.wav", Body=wav, ServerSideEncryption="AES256")
    c.put_object(Bucket="atrest-sse", Key="sse-kms.wav", Body=wav, ServerSideEncryption="aws:kms",
                 SSEKMSKeyId=key_id)
    # What the S3 Encryption Client writes next to its ciphertext (the body here
    # is the plain WAV on purpose: the metadata alone must decide).
    c.put_object(Bucket="atrest-sse", Key="cse.wav", Body=wav,
                 Metadata={"x-amz-key-v2": "AQIDAHh0ZXN0LWtleQ==", "x-amz-cek-alg": "AES/GCM/NoPadding",
                           "x-amz-wrap-alg": "kms+context", "x-amz-matdesc": "{}"})
    c.put_object(Bucket="atrest-sse", Key="glacier.wav", Body=wav, StorageClass="DEEP_ARCHIVE")
    files = [p for _, p in fixture_files() if not p.endswith((".md", ".sh", ".py"))]
    many = [(f"many/{i:05d}-{os.path.basename(files[i % len(files)])}", files[i % len(files)])
            for i in range(2100)]
    bodies = {p: read(p) for p in files}
    parallel(lambda kp: c.put_object(Bucket="atrest-many", Key=kp[0], Body=bodies[kp[1]]), many)
    # 200 MiB: a WAV header, then noise (a payload that needs middle and tail windows).
    size = 200 << 20
    header = wav[:44]
    header = header[:4] + (size - 8).to_bytes(4, "little") + header[8:40] + (size - 44).to_bytes(4, "little")
    big = header + os.urandom(size - 44)
    c.put_object(Bucket="atrest-big", Key="big/recording.wav", Body=big)
    print(f"s3: fixtures, sse variants, {len(many)} objects, 200 MiB object", file=sys.stderr)


def azure():
    svc = BlobServiceClient.from_connection_string(AZURITE)
    for name in ["atrest-fixtures", "atrest-cse"]:
        try:
            svc.create_container(name)
        except ResourceExistsError:
            pass
    cont = svc.get_container_client("atrest-fixtures")
    parallel(lambda kp: cont.upload_blob(kp[0], read(kp[1]), overwrite=True), list(fixture_files()))
    wav = read(os.path.join(FIXTURES, "audio/wav/pcm16.wav"))
    meta = {"encryptiondata": json.dumps({"EncryptionAgent": {"Protocol": "2.0", "EncryptionAlgorithm": "AES_GCM_256"}})}
    svc.get_container_client("atrest-cse").upload_blob("cse.wav", wav, overwrite=True, metadata=meta)
    svc.get_container_client("atrest-cse").upload_blob("plain.wav", wav, overwrite=True)
    # An archived blob cannot be overwritten (409 BlobArchived): drop it first so
    # that seeding the same emulator twice works.
    try:
        svc.get_container_client("atrest-cse").delete_blob("archived.wav")
    except ResourceNotFoundError:
        pass
    archived = svc.get_container_client("atrest-cse").upload_blob("archived.wav", wav, overwrite=True)
    archived.set_standard_blob_tier("Archive")
    print("azure: fixtures, client-side metadata, an Archive-tier blob", file=sys.stderr)


def gcs():
    def req(method, url, body=None, ctype="application/json"):
        r = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": ctype})
        try:
            return urllib.request.urlopen(r).read()
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
    req("POST", f"{GCS}/storage/v1/b?project=test", json.dumps({"name": "atrest-fixtures"}).encode())

    def put(kp):
        key, path = kp
        name = urllib.request.quote(key, safe="")
        req("POST", f"{GCS}/upload/storage/v1/b/atrest-fixtures/o?uploadType=media&name={name}",
            read(path), "application/octet-stream")
    parallel(put, list(fixture_files()))
    print("gcs: fixtures", file=sys.stderr)


EXPOSURE_OBJECTS = [("voice.wav", "audio/wav/pcm16.wav"),
                    ("notes.txt", None)]
NOTES = b"exposure probe fixture: plain text, nothing secret\n"


def exposure_bodies():
    return [(k, read(os.path.join(FIXTURES, p)) if p else NOTES) for k, p in EXPOSURE_OBJECTS]


def s3_exposure():
    c = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test",
                     config=Config(s3={"addressing_style": "path"}))
    for b in ["exposure-public", "exposure-private", "exposure-blocked"]:
        try:
            c.create_bucket(Bucket=b)
        except (c.exceptions.BucketAlreadyOwnedByYou, c.exceptions.BucketAlreadyExists):
            pass
        # ACL "private" said out loud: moto gives an object put without one the
        # bucket's ACL (AWS does not), which would make reruns seed differently.
        for key, body in exposure_bodies():
            c.put_object(Bucket=b, Key=key, Body=body, ACL="private")
    # Public: a policy that lets anyone list and read (moto honours s3:GetObject for
    # unsigned GETs; it never checks unsigned LISTs), plus the AllUsers READ grant.
    c.put_bucket_policy(Bucket="exposure-public", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicReadList", "Effect": "Allow", "Principal": "*",
                       "Action": ["s3:GetObject", "s3:ListBucket"],
                       "Resource": ["arn:aws:s3:::exposure-public", "arn:aws:s3:::exposure-public/*"]}]}))
    c.put_bucket_acl(Bucket="exposure-public", ACL="public-read")
    # Blocked: the four Block Public Access flags and nothing public under them (moto
    # stores the flags but enforces none of them, so a public grant here would be
    # served anonymously by moto while AWS would refuse it).
    c.put_public_access_block(Bucket="exposure-blocked", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    print("s3: exposure-public, exposure-private, exposure-blocked", file=sys.stderr)


def azure_exposure():
    svc = BlobServiceClient.from_connection_string(AZURITE)
    for name, level in [("exposure-container", "container"), ("exposure-blob", "blob"),
                        ("exposure-private", None)]:
        cont = svc.get_container_client(name)
        try:
            cont.create_container(public_access=level)
        except ResourceExistsError:
            cont.set_container_access_policy(signed_identifiers={}, public_access=level)
        for key, body in exposure_bodies():
            cont.upload_blob(key, body, overwrite=True)
    print("azure: exposure-container, exposure-blob, exposure-private", file=sys.stderr)


def gcs_exposure():
    def req(method, url, body=None, ctype="application/json"):
        r = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": ctype})
        try:
            return urllib.request.urlopen(r).read()
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
    # fake-gcs-server keeps object ACLs only (no bucket IAM, bucket ACL or
    # iamConfiguration), so the public case is an allUsers:READER object ACL.
    for bucket, acl in [("exposure-public", "publicRead"), ("exposure-private", "private")]:
        req("POST", f"{GCS}/storage/v1/b?project=test", json.dumps({"name": bucket}).encode())
        for key, body in exposure_bodies():
            req("POST", f"{GCS}/upload/storage/v1/b/{bucket}/o?uploadType=media"
                        f"&name={urllib.request.quote(key, safe='')}&predefinedAcl={acl}",
                body, "application/octet-stream")
    print("gcs: exposure-public, exposure-private", file=sys.stderr)


def s3_weird():
    """Keys the object-store client cannot represent, beside two it can: an
    uploader must not be able to hide the bucket by adding one. And a bucket
    with nothing in it, for the empty-target check."""
    c = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test",
                     config=Config(s3={"addressing_style": "path"}))
    for b in ["atrest-weird", "atrest-empty"]:
        try:
            c.create_bucket(Bucket=b)
        except (c.exceptions.BucketAlreadyOwnedByYou, c.exceptions.BucketAlreadyExists):
            pass
    wav = read(os.path.join(FIXTURES, "audio/wav/pcm16.wav"))
    for key in ["a//b.wav", "x/./y.wav", "x/../y.wav", "ctl\x01.wav", "/lead.wav", "trail.wav/",
                "ok/fine.wav", "z.wav"]:
        c.put_object(Bucket="atrest-weird", Key=key, Body=wav)
    print("s3: atrest-weird (6 unrepresentable keys, 2 fine), atrest-empty", file=sys.stderr)


s3()
s3_weird()
azure()
gcs()
s3_exposure()
azure_exposure()
gcs_exposure()
