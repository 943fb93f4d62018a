"""The media library: ``/v1/media`` for editors (a token with `media:write`), and the
files themselves under ``/media/`` for everyone."""

import os
import pathlib
import re
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from app.auth.deps import MediaEditor
from app.core.errors import NotFound, problem_responses
from app.core.pagination import PageQueryDep, build_page
from app.http.conditional import none_match
from app.http.deps import ResourcesDep, SessionDep
from app.http.resources import resources_of
from app.http.routing import JsonRoute
from app.media import service
from app.media.library import SMALL_FILE_BYTES, MediaLibrary
from app.media.schemas import MediaPage, MediaPublic, MediaUpdate, MediaUpload, media_public
from app.media.storage import CONTENT_TYPES, IMMUTABLE, KEY_PATTERN, LocalStorage, MissingFile

router = APIRouter(route_class=JsonRoute, prefix="/v1/media", tags=["media"])
files = APIRouter(tags=["media"])


async def _library(resources: ResourcesDep) -> MediaLibrary:
    return resources.part(MediaLibrary)


LibraryDep = Annotated[MediaLibrary, Depends(_library)]
MediaId = Annotated[int, Path(ge=1, lt=2**31, description="The picture's id.", examples=[12])]


@router.post(
    "",
    summary="Upload a picture",
    description="A picture for the library, sent as `multipart/form-data`. Its type is read "
    "from its bytes (JPEG, PNG, WebP, GIF, AVIF; anything else is a 415), its size from its "
    "header before it is decoded (more than `AKHBAR_MEDIA_MAX_PIXELS` is a 422), and every "
    "file served from it is made afresh: upright, in sRGB, without EXIF, XMP or IPTC "
    "metadata (a GPS position never leaves). The upload itself is not kept. The answer "
    "lists every file: the original, each configured width in WebP and in JPEG (photos) "
    "or PNG (graphics), and the crops around the focal point. Needs `media:write`.",
    status_code=status.HTTP_201_CREATED,
    response_model=MediaPublic,
    responses=problem_responses(401, 403, 413, 415, 422, 503),
)
def upload_media(
    form: Annotated[MediaUpload, Form(media_type="multipart/form-data")],
    response: Response,
    session: SessionDep,
    library: LibraryDep,
    _editor: MediaEditor,
    resources: ResourcesDep,
) -> MediaPublic:
    service.check_size(library, form.file.size)
    started = time.perf_counter()
    media = service.add_media(
        session,
        library,
        data=form.file.file.read(library.max_bytes + 1),
        alt=form.alt,
        caption=form.caption,
        credit=form.credit,
        focal_point=form.focal(),
    )
    metrics = resources.metrics
    metrics.media_processing.observe(time.perf_counter() - started)
    metrics.media_uploads.labels(media.format).inc()
    metrics.media_bytes.inc(media.total_bytes)
    response.headers["Location"] = f"/v1/media/{media.id}"
    return media_public(media)


@router.get(
    "",
    summary="List pictures",
    description="The library, newest first, a page at a time. Needs `media:write`.",
    response_model=MediaPage,
    responses=problem_responses(401, 403, 422),
)
def list_media(
    request: Request,
    response: Response,
    session: SessionDep,
    page: PageQueryDep,
    _editor: MediaEditor,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Words the alt text or caption holds (any spelling of hamza).",
            examples=["سوق"],
        ),
    ] = None,
    format_: Annotated[
        Literal["jpeg", "png", "gif", "webp", "avif"] | None,
        Query(alias="format", description="What was uploaded."),
    ] = None,
    unused: Annotated[
        bool | None,
        Query(
            description="`true`: only pictures no article or author shows; `false`: only "
            "pictures in use."
        ),
    ] = None,
) -> MediaPage:
    rows, next_cursor = service.list_media(
        session, limit=page.limit, cursor=page.cursor, q=q, format_=format_, unused=unused
    )
    return build_page(
        MediaPage,
        [media_public(row) for row in rows],
        limit=page.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.get(
    "/{media_id}",
    summary="Get a picture",
    description="One picture of the library and its files. Needs `media:write`.",
    response_model=MediaPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def get_media(media_id: MediaId, session: SessionDep, _editor: MediaEditor) -> MediaPublic:
    return media_public(service.get_media(session, media_id))


@router.patch(
    "/{media_id}",
    summary="Update a picture",
    description="Change the fields sent. A new focal point makes new crops (new URLs; the "
    "old files are removed). Articles showing the picture change too. Needs `media:write`.",
    response_model=MediaPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def update_media(
    media_id: MediaId,
    data: MediaUpdate,
    session: SessionDep,
    library: LibraryDep,
    _editor: MediaEditor,
) -> MediaPublic:
    return media_public(service.update_media(session, library, media_id, data))


@router.delete(
    "/{media_id}",
    summary="Delete a picture",
    description="A picture an article or author shows is refused with 409 unless "
    "`detach=true`. Its files are removed once it is gone. Needs `media:write`.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def delete_media(
    media_id: MediaId,
    session: SessionDep,
    library: LibraryDep,
    _editor: MediaEditor,
    detach: Annotated[
        bool, Query(description="Take the picture off the articles and authors first.")
    ] = False,
) -> None:
    service.delete_media(session, library, media_id, detach=detach)


_KEY = re.compile(KEY_PATTERN)


@files.get(
    "/media/{key:path}",
    summary="Get a media file",
    description="A file of the media library, when Akhbar serves them (no "
    "`AKHBAR_MEDIA_PUBLIC_URL`). Names are content-addressed: a file never changes, so it "
    "may be cached for a year. Byte ranges are served from local storage.",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}, "image/jpeg": {}, "image/png": {}}},
        **problem_responses(404, 422),
    },
)
async def get_media_file(
    key: Annotated[str, Path(examples=["12/5f0c9a1e2b7d4c3a8e61-640x427.webp"])],
    request: Request,
) -> Response:
    # No dependencies and no thread for a file in memory: this is the hot path of every
    # page's pictures when no CDN stands in front.
    if not _KEY.fullmatch(key):
        raise NotFound("no such media file")
    headers = {
        "ETag": f'"{key.rsplit("/", 1)[1].split("-", 1)[0]}"',
        "Cache-Control": IMMUTABLE,
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    if none_match(request.headers.get("if-none-match", ""), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    content_type = CONTENT_TYPES[key.rsplit(".", 1)[1]]
    resources = resources_of(request.app)
    assert resources is not None
    library = resources.part(MediaLibrary)
    ranged = "range" in request.headers
    data = None if ranged else library.served.get(key)
    if data is None:
        storage = library.storage
        if isinstance(storage, LocalStorage):
            path = storage.path(key)
            data = None if ranged else await run_in_threadpool(_small_file, path)
            if data is None:  # large, ranged or missing: streamed from the file
                if not await run_in_threadpool(path.is_file):
                    raise NotFound("no such media file")
                return FileResponse(path, media_type=content_type, headers=headers)
        else:
            try:
                data = await run_in_threadpool(storage.get, key)
            except MissingFile:
                raise NotFound("no such media file") from None
        library.served.put(key, data)
    return Response(data, media_type=content_type, headers=headers)


def _small_file(path: pathlib.Path) -> bytes | None:
    """The file's bytes if it is small enough to keep in memory (None otherwise, or when
    there is no such file)."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size > SMALL_FILE_BYTES:
                return None
            return file.read()
    except FileNotFoundError:
        return None
