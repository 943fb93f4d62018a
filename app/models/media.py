"""The media library: a picture, and every file it is served as."""

from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field

from app.core.lengths import EXCERPT_MAX, NAME_MAX, URL_MAX
from app.models.base import Timestamped

# Where the files are served from: Akhbar itself (``/media/<key>``), or the CDN or bucket
# named by AKHBAR_MEDIA_PUBLIC_URL. A deployment has one; the app factory and the command
# line set it from the settings (``serve_files_from``) before any answer is made.
_files_base = "/media"


def serve_files_from(public_url: str | None) -> None:
    global _files_base
    _files_base = public_url.rstrip("/") if public_url else "/media"


def file_url(key: str) -> str:
    return f"{_files_base}/{key}"


class Media(Timestamped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # The upload's SHA-256: the same picture sent again (an import run twice) is found.
    checksum: str = Field(max_length=64, index=True)
    # Where an import found it.
    source_url: str | None = Field(default=None, max_length=URL_MAX, index=True)
    # What the upload was ("jpeg", "png", "gif", "webp", "avif"), and its size upright.
    format: str = Field(max_length=8, index=True)
    width: int
    height: int
    animated: bool = False
    alt: str = Field(max_length=NAME_MAX * 2)
    caption: str | None = Field(default=None, max_length=EXCERPT_MAX)
    credit: str | None = Field(default=None, max_length=NAME_MAX)
    focal_x: float = 0.5
    focal_y: float = 0.5
    # search_key(alt + caption): what ?q= matches, whatever the spelling of hamzas.
    text_key: str = Field(default="", sa_type=Text)
    placeholder: str = Field(default="", sa_type=Text)
    dominant_color: str = Field(default="#000000", max_length=7)
    # Every stored file: [{"kind", "key", "width", "height", "bytes", "content_type",
    # "aspect"}], the original first.
    files: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # The bytes of all of them together.
    total_bytes: int = 0

    @property
    def original(self) -> dict[str, Any]:
        return self.files[0]
