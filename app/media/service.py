"""The media library: adding pictures, finding them, changing and deleting them.

Functions that change something flush it and announce it (``MediaChanged``); the caller
commits. Files are written before their row exists and removed only after their row is
gone (``after_commit``): a crash between the two leaves a file no row points to, which
``akhbar media sweep`` finds, never a row pointing to no file.
"""

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, or_, select

from app.core.clock import utc_now
from app.core.db import after_commit
from app.core.errors import AkhbarError, Conflict, InvalidInput, NotFound
from app.core.events import publish
from app.core.pagination import cut_page, decode_cursor
from app.media.events import MediaChanged
from app.media.images import ImageRefused, Processed, Recipe, Rendition, crops_of, process
from app.media.library import MediaLibrary
from app.media.schemas import FocalPoint, MediaUpdate
from app.media.storage import KEY_PATTERN, key_for
from app.models import Article, ArticleMedia, Author
from app.models.media import Media
from app.text.arabic import search_key

# How old a file no picture points to must be before the sweep takes it.
SWEEP_GRACE = timedelta(hours=1)
# How long an upload waits for a turn to be processed before it is told to come back.
PROCESSING_WAIT_SECONDS = 30


class PayloadTooLarge(AkhbarError):
    status = 413


class UnsupportedMediaType(AkhbarError):
    status = 415


class ImageUnreadable(InvalidInput):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, field=("file",), type_="image_invalid")


class ProcessingBusy(AkhbarError):
    status = 503
    retry_after_seconds = 5


def check_size(library: MediaLibrary, size: int | None) -> None:
    if size is not None and size > library.max_bytes:
        raise PayloadTooLarge(
            f"the file is larger than the {library.max_bytes} bytes accepted "
            "(AKHBAR_MEDIA_MAX_BYTES)"
        )


def add_media(
    session: Session,
    library: MediaLibrary,
    *,
    data: bytes,
    alt: str,
    caption: str | None = None,
    credit: str | None = None,
    focal_point: FocalPoint | None = None,
    source_url: str | None = None,
) -> Media:
    """A new picture in the library, with every file it is served as stored."""
    check_size(library, len(data))
    focal = (focal_point.x, focal_point.y) if focal_point else (0.5, 0.5)
    with _processing(library):
        processed = _process(data, _recipe(library, focal))
    now = utc_now()
    media = Media(
        checksum=hashlib.sha256(data).hexdigest(),
        source_url=source_url,
        format=processed.type.name,
        width=processed.width,
        height=processed.height,
        animated=processed.animated,
        alt=alt,
        caption=caption,
        credit=credit,
        focal_x=focal[0],
        focal_y=focal[1],
        text_key=_text_key(alt, caption),
        placeholder=processed.placeholder,
        dominant_color=processed.dominant_color,
        created_at=now,
        updated_at=now,
    )
    session.add(media)
    session.flush()  # the id names the files
    assert media.id is not None
    media.files = _store(session, library, media.id, processed.renditions)
    media.total_bytes = _stored_bytes(media.files)
    session.flush()
    return media


def _recipe(library: MediaLibrary, focal: tuple[float, float]) -> Recipe:
    base = library.recipe
    return Recipe(
        widths=base.widths, crops=base.crops, max_pixels=base.max_pixels, focal_point=focal
    )


def _process(data: bytes, recipe: Recipe) -> Processed:
    try:
        return process(data, recipe)
    except ImageRefused as refused:
        if refused.status == 415:
            raise UnsupportedMediaType(refused.detail) from None
        raise ImageUnreadable(refused.detail) from None


@contextmanager
def _processing(library: MediaLibrary) -> Iterator[None]:
    if not library.processing.acquire(timeout=PROCESSING_WAIT_SECONDS):
        raise ProcessingBusy("the server is processing other pictures; try again shortly")
    try:
        yield
    finally:
        library.processing.release()


def _store(
    session: Session, library: MediaLibrary, media_id: int, renditions: list[Rendition]
) -> list[dict[str, Any]]:
    """Each file written under the picture's id; if the transaction does not commit, they
    stay behind for the sweep (a rollback cannot take a file back)."""
    files = []
    for rendition in renditions:
        key = key_for(
            media_id, rendition.data, rendition.width, rendition.height, rendition.content_type
        )
        library.storage.put(key, rendition.data, rendition.content_type)
        files.append(
            {
                "kind": rendition.kind,
                "key": key,
                "width": rendition.width,
                "height": rendition.height,
                "bytes": len(rendition.data),
                "content_type": rendition.content_type,
                **({"aspect": rendition.aspect} if rendition.aspect else {}),
            }
        )
    return files


def _stored_bytes(files: list[dict[str, Any]]) -> int:
    """The bytes of the distinct files (a small picture's width is its original)."""
    return sum({f["key"]: f["bytes"] for f in files}.values())


def _text_key(alt: str, caption: str | None) -> str:
    return search_key(f"{alt} {caption or ''}")


def list_media(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    q: str | None = None,
    format_: str | None = None,
    unused: bool | None = None,
) -> tuple[Sequence[Media], str | None]:
    """One page of pictures, newest first."""
    stmt = select(Media).order_by(col(Media.id).desc()).limit(limit + 1)
    if cursor is not None:
        (before_id,) = decode_cursor(cursor, kind="media", shape=(int,))
        stmt = stmt.where(col(Media.id) < before_id)
    if q:
        for word in search_key(q).split():
            stmt = stmt.where(col(Media.text_key).contains(word, autoescape=True))
    if format_:
        stmt = stmt.where(Media.format == format_)
    if unused is not None:
        used = or_(
            col(Media.id).in_(select(Article.featured_image_media_id)),
            col(Media.id).in_(select(ArticleMedia.media_id)),
            col(Media.id).in_(select(Author.avatar_media_id)),
        )
        stmt = stmt.where(~used if unused else used)
    return cut_page(session.exec(stmt).all(), limit, kind="media", key=lambda m: [m.id])


def get_media(session: Session, media_id: int) -> Media:
    media = session.get(Media, media_id)
    if media is None:
        raise NotFound(f"no picture with id {media_id}")
    return media


def find_media(session: Session, media_id: int, *, field: tuple[str | int, ...]) -> Media:
    """The picture a request refers to in ``field``; an unknown id is a 422."""
    media = session.get(Media, media_id)
    if media is None:
        raise InvalidInput(f"no picture with id {media_id} in the media library", field=field)
    return media


def update_media(
    session: Session, library: MediaLibrary, media_id: int, data: MediaUpdate
) -> Media:
    """Change the fields sent; a new focal point makes the crops again."""
    media = get_media(session, media_id)
    assert media.id is not None
    fields = data.model_dump(exclude_unset=True, exclude={"focal_point"})
    for name, value in fields.items():
        setattr(media, name, value)
    media.text_key = _text_key(media.alt, media.caption)
    focal = data.focal_point
    removed: list[str] = []
    if focal is not None and (focal.x, focal.y) != (media.focal_x, media.focal_y):
        removed = _recrop(session, library, media, (focal.x, focal.y))
    now = utc_now()
    media.updated_at = now
    session.flush()
    using = tuple(_articles_using(session, media.id))
    publish(session, MediaChanged(media.id, using, now, removed_keys=tuple(removed)))
    return media


def _recrop(
    session: Session, library: MediaLibrary, media: Media, focal: tuple[float, float]
) -> list[str]:
    """The crops made again around ``focal``; the keys of the files that go."""
    assert media.id is not None
    original = library.storage.get(media.files[0]["key"])
    with _processing(library):
        try:
            crops = crops_of(original, _recipe(library, focal))
        except ImageRefused as refused:  # the stored original is ours: it reads
            raise RuntimeError(f"picture {media.id}: {refused.detail}") from refused
    old = [f for f in media.files if f["kind"] == "crop"]
    new = _store(session, library, media.id, crops)
    media.files = [f for f in media.files if f["kind"] != "crop"] + new
    media.total_bytes = _stored_bytes(media.files)
    media.focal_x, media.focal_y = focal
    # A crop can be the very file of a width (a 16:9 picture's 16:9 crop): it stays.
    gone = sorted({f["key"] for f in old} - {f["key"] for f in media.files})
    after_commit(session, lambda: library.remove(gone))
    return gone


def delete_media(session: Session, library: MediaLibrary, media_id: int, *, detach: bool) -> None:
    """Delete a picture. One that articles or authors use is refused (409) unless
    ``detach``: then it is first taken off them. Its files go once the row has."""
    media = get_media(session, media_id)
    assert media.id is not None
    articles = _articles_using(session, media.id)
    authors = session.exec(
        select(func.count()).select_from(Author).where(Author.avatar_media_id == media.id)
    ).one()
    if (articles or authors) and not detach:
        users = [
            f"{n} {noun}{'s' if n != 1 else ''}"
            for n, noun in ((len(articles), "article"), (authors, "author"))
            if n
        ]
        raise Conflict(
            f"the picture {media.id} is used by {' and '.join(users)}: pass detach=true "
            "to take it off them"
        )
    if articles:
        session.execute(
            update(Article)
            .where(col(Article.featured_image_media_id) == media.id)
            .values(featured_image_media_id=None)
        )
        session.execute(delete(ArticleMedia).where(col(ArticleMedia.media_id) == media.id))
    if authors:
        session.execute(
            update(Author)
            .where(col(Author.avatar_media_id) == media.id)
            .values(avatar_media_id=None)
        )
    keys = sorted(f["key"] for f in media.files)
    session.delete(media)
    session.flush()
    publish(
        session,
        MediaChanged(media_id, tuple(articles), utc_now(), deleted=True, removed_keys=tuple(keys)),
    )
    after_commit(session, lambda: library.remove(keys))


def _articles_using(session: Session, media_id: int) -> list[int]:
    """The articles showing the picture, as their featured image or in their body."""
    featured = select(Article.id).where(Article.featured_image_media_id == media_id)
    in_body = select(ArticleMedia.article_id).where(ArticleMedia.media_id == media_id)
    ids = {*session.exec(featured).all(), *session.exec(in_body).all()}
    return sorted(article_id for article_id in ids if article_id is not None)


def sweep(session: Session, library: MediaLibrary, *, grace: timedelta = SWEEP_GRACE) -> list[str]:
    """Stored files no picture points to (left by a crash or a rolled-back upload).

    Files written within ``grace`` may belong to an upload or a new crop whose
    transaction has not committed yet: they are left for a later sweep."""
    known: set[str] = set()
    for files in session.exec(select(Media.files)).all():
        known.update(f["key"] for f in files)
    before = utc_now() - grace
    return [
        key
        for key, written in library.storage.stored_keys()
        if re.fullmatch(KEY_PATTERN, key)  # what is not ours is left alone
        and key not in known
        and written < before
    ]
