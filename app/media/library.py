"""The media library's running parts: its storage, what to make of each picture, and how
many pictures one process works on at once."""

import threading
from dataclasses import dataclass, field

from app.core.config import Settings
from app.media.images import Recipe
from app.media.storage import Storage, create_storage

# Pictures one process decodes and encodes at once: each holds its pixels (up to
# AKHBAR_MEDIA_MAX_PIXELS × 4 bytes), and the machine's cores are busy beyond two.
PROCESSING_AT_ONCE = 2


@dataclass(frozen=True)
class MediaLibrary:
    storage: Storage
    recipe: Recipe
    max_bytes: int
    processing: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(PROCESSING_AT_ONCE)
    )

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
