"""The pictures of an imported site, brought into the media library (``--media``).

Each picture is downloaded once: one already in the library from the same address, or
with the same bytes from another, is used again, so a second run downloads nothing it
has and an interrupted one takes up where it stopped. Every download goes through the
SSRF guard of ``app.http.outbound`` (only public addresses, unless the operator allows
private ones), is bounded by ``AKHBAR_MEDIA_MAX_BYTES``, and is tried again after a
failure that may pass. A picture that cannot be had is reported and the article keeps
its address; it is never fatal.
"""

import hashlib
import time
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.core.db import savepoint
from app.core.errors import AkhbarError
from app.http.outbound import DownloadFailed, UnsafeTarget, download
from app.media.library import MediaLibrary
from app.media.service import add_media
from app.models import Media
from app.text.html import image_tag, replace_images

USER_AGENT = "Akhbar-Importer/1.0"


@dataclass
class MediaTally:
    fetched: int = 0
    reused: int = 0
    failed: list[str] = field(default_factory=list)


class SiteMedia:
    def __init__(
        self,
        session: Session,
        library: MediaLibrary,
        *,
        allow_private: bool = False,
        retries: int = 3,
        retry_base_seconds: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        self.session, self.library = session, library
        self.allow_private = allow_private
        self.retries, self.retry_base_seconds, self.timeout = retries, retry_base_seconds, timeout
        self.tally = MediaTally()
        self._failed: set[str] = set()  # addresses already reported in this run

    def picture(self, url: str, *, alt: str, caption: str | None = None) -> int | None:
        """The library's id of the picture at ``url`` (brought in now if it is not there
        yet); None when it cannot be had (reported)."""
        known = self.session.exec(select(Media.id).where(Media.source_url == url)).first()
        if known is not None:
            self.tally.reused += 1
            return known
        if url in self._failed:
            return None
        try:
            data = self._download(url)
            checksum = hashlib.sha256(data).hexdigest()
            same = self.session.exec(select(Media.id).where(Media.checksum == checksum)).first()
            if same is not None:
                self.tally.reused += 1
                return same
            with savepoint(self.session):
                media = add_media(
                    self.session, self.library, data=data, alt=alt, caption=caption, source_url=url
                )
        except (DownloadFailed, UnsafeTarget, AkhbarError) as exc:
            self._failed.add(url)
            self.tally.failed.append(f"{url}: {getattr(exc, 'detail', None) or exc}")
            return None
        self.tally.fetched += 1
        return media.id

    def _download(self, url: str) -> bytes:
        for attempt in range(self.retries + 1):
            try:
                return download(
                    url,
                    max_bytes=self.library.max_bytes,
                    timeout=self.timeout,
                    allow_private=self.allow_private,
                    user_agent=USER_AGENT,
                )
            except DownloadFailed as exc:
                if attempt == self.retries or not exc.may_pass:
                    raise
            time.sleep(self.retry_base_seconds * 2**attempt)
        raise AssertionError("unreachable")

    def body(self, html: str, *, fallback_alt: str) -> str:
        """A sanitised body whose pictures (http and https ones) are the library's."""

        def take(attributes: dict[str, str]) -> str | None:
            src = attributes.get("src", "")
            if "data-media-id" in attributes or not src.startswith(("http://", "https://")):
                return None
            alt = attributes.get("alt") or fallback_alt
            media_id = self.picture(src, alt=alt)
            if media_id is None:
                return None
            kept = {k: v for k, v in attributes.items() if k in ("alt", "sizes")}
            return image_tag({"data-media-id": str(media_id), **kept})

        return replace_images(html, take)
