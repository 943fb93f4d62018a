"""Where the files of the media library live: a local folder or S3-compatible object
storage, behind one small interface.

Keys are content-addressed (``12/ab12…-640x427.webp``: the picture's id and the digest
of the bytes), so a
file never changes once written, a changed picture is a new URL, and every file may be
cached for a year.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from app.core.config import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
}
CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}


def key_for(media_id: int, data: bytes, width: int, height: int, content_type: str) -> str:
    """``12/5f0c9a1e2b7d4c3a8e61-640x427.webp``: the picture's id, the digest of the
    bytes, the size, and the type's extension."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    return f"{media_id}/{digest}-{width}x{height}.{EXTENSIONS[content_type]}"


# What a key looks like: anything else in a /media/ path is no file of ours.
KEY_PATTERN = r"[0-9]{1,12}/[0-9a-f]{20}-[0-9]{1,5}x[0-9]{1,5}\.(?:jpg|png|gif|webp|avif)"


class MissingFile(Exception):
    """No stored file has that key."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, keys: Iterable[str]) -> None: ...

    def stored_keys(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key and when it was written (for the sweep)."""
        ...


class LocalStorage:
    """Files under a folder; Akhbar serves them itself under ``/media/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        if target.exists():  # content-addressed: the same key holds the same bytes
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise MissingFile(key) from None

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)

    def stored_keys(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                yield path.relative_to(self.root).as_posix(), written


class S3Storage:
    """An S3 bucket, or any service that speaks its API (MinIO, R2, Ceph...)."""

    def __init__(self, settings: Settings) -> None:
        import boto3  # only deployments storing in S3 pay for importing it
        from botocore.config import Config

        secret = settings.media_s3_secret_access_key
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.media_s3_endpoint_url,
            region_name=settings.media_s3_region,
            aws_access_key_id=settings.media_s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(
                s3={"addressing_style": "path" if settings.media_s3_path_style else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        self.bucket = settings.media_s3_bucket
        self.prefix = settings.media_s3_prefix

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            raise MissingFile(key) from None
        return bytes(answer["Body"].read())

    def delete(self, keys: Iterable[str]) -> None:
        batch: list[str] = []
        for key in keys:
            batch.append(key)
            if len(batch) == 1000:  # the most one request may delete
                self._delete(batch)
                batch = []
        if batch:
            self._delete(batch)

    def _delete(self, keys: list[str]) -> None:
        self.client.delete_objects(
            Bucket=self.bucket,
            Delete={"Objects": [{"Key": self.prefix + key} for key in keys], "Quiet": True},
        )

    def stored_keys(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                yield item["Key"][len(self.prefix) :], item["LastModified"]


def create_storage(settings: Settings) -> Storage:
    if settings.media_storage == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.media_dir)
