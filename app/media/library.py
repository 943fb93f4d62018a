"""The media library's running parts: its storage, what to make of each picture, and how
many pictures one process works on at once."""

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.core.config import Settings
from app.media.images import Recipe
from app.media.storage import Storage, create_storage

# Pictures one process decodes and encodes at once: each holds its pixels (up to
# AKHBAR_MEDIA_MAX_PIXELS × 4 bytes), and the machine's cores are busy beyond two.
PROCESSING_AT_ONCE = 2
# Files a worker keeps in memory once served: each at most, and all together.
SMALL_FILE_BYTES = 1 << 20
SERVED_FILES_BYTES = 32 << 20


class ServedFiles:
    """The small files a worker served lately, kept in memory: a hot picture costs no
    disk or bucket read. A name holds the same bytes forever (content-addressed), so an
    entry is never wrong; it lives ``seconds`` at most, so that a deleted picture stops
    being served by every worker within that time (at once by the one that deleted it)."""

    def __init__(
        self,
        *,
        max_bytes: int = SERVED_FILES_BYTES,
        max_file_bytes: int = SMALL_FILE_BYTES,
        seconds: float = 60,
    ) -> None:
        self.max_bytes, self.max_file_bytes, self.seconds = max_bytes, max_file_bytes, seconds
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.max_file_bytes:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (time.monotonic() + self.seconds, data)
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def forget(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._drop(key)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])


@dataclass(frozen=True)
class MediaLibrary:
    storage: Storage
    recipe: Recipe
    max_bytes: int
    processing: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(PROCESSING_AT_ONCE)
    )
    served: ServedFiles = field(default_factory=ServedFiles)

    def remove(self, keys: Sequence[str]) -> None:
        """Files no picture points to any more (after the commit that made it so)."""
        self.served.forget(keys)
        self.storage.delete(keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> "MediaLibrary":
        return cls(
            storage=create_storage(settings),
            recipe=Recipe(
                widths=tuple(settings.media_widths),
                crops=settings.media_crop_ratios,
                max_pixels=settings.media_max_pixels,
            ),
            max_bytes=settings.media_max_bytes,
        )
