"""Reading a live WordPress site through its REST API (``/wp-json/wp/v2``), politely.

Pages of 100, at most ``concurrency`` requests at once, each retried with back-off on a
timeout, a refused connection, a 429 or a 5xx (honouring ``Retry-After``). Posts come in
the order they were last modified, and after each page the moment of its last post is
handed back as a checkpoint: an interrupted import starts again from there, and a later
one asks only for what was modified since. With a user and an application password it
reads drafts, scheduled and private posts, held comments and the raw content (shortcodes
unrendered); without, what the public sees.
"""

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from app.importer.wordpress import (
    WpAttachment,
    WpAuthor,
    WpComment,
    WpPost,
    WpTerm,
    parse_wp_date,
)
from app.importer.wxr import Record

PER_PAGE = 100
USER_AGENT = "Akhbar-Importer/1.0"
RETRIES = 5
MAX_WAIT_SECONDS = 60.0


class RestError(RuntimeError):
    """The site cannot be read (after the retries): the reason, in one line."""


class RestSource:
    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        app_password: str | None = None,
        concurrency: int = 4,
        timeout: float = 30.0,
        retries: int = RETRIES,
        retry_base_seconds: float = 1.0,
    ) -> None:
        self.site = url.rstrip("/")
        self.api = self.site + "/wp-json/wp/v2"
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.retry_base_seconds = retry_base_seconds
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.authenticated = bool(user and app_password)
        if user and app_password:
            token = base64.b64encode(f"{user}:{app_password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    # HTTP

    def get(self, path: str, **params: Any) -> tuple[Any, dict[str, str]]:
        """The JSON of ``path`` and the answer's headers, retrying what may pass."""
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.api}{path}" + (f"?{query}" if query else "")
        for attempt in range(self.retries + 1):
            wait = self.retry_base_seconds * 2**attempt
            try:
                request = urllib.request.Request(url, headers=self.headers)
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    return json.loads(answer.read()), dict(answer.headers.items())
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    raise RestError(f"GET {url}: HTTP {exc.code} {exc.reason}") from None
                retry_after = exc.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = max(wait, float(retry_after))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.retries:
                    raise RestError(f"GET {url}: {getattr(exc, 'reason', exc)}") from None
            except json.JSONDecodeError:
                raise RestError(f"GET {url}: the answer is not JSON (is this WordPress?)") from None
            time.sleep(min(wait, MAX_WAIT_SECONDS))
        raise AssertionError("unreachable")

    def pages(self, path: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            items, headers = self.get(path, per_page=PER_PAGE, page=page, **params)
            if not isinstance(items, list):
                raise RestError(f"GET {self.api}{path}: expected a list")
            yield items
            if page >= int(headers.get("X-WP-TotalPages", headers.get("x-wp-totalpages", 1))):
                return
            page += 1

    # What the importer reads

    def _post_filters(self, checkpoint: str | None) -> dict[str, Any]:
        filters: dict[str, Any] = {"orderby": "modified", "order": "asc"}
        if self.authenticated:
            filters |= {"status": "publish,future,draft,pending,private", "context": "edit"}
        moment = parse_wp_date(checkpoint)
        if moment is not None:
            # A second back: posts modified in the same second as the checkpoint come
            # again, and are recognised as unchanged.
            filters["modified_after"] = (moment - timedelta(seconds=1)).isoformat()
        return filters

    def total_posts(self, checkpoint: str | None = None) -> int:
        _items, headers = self.get("/posts", per_page=1, **self._post_filters(checkpoint))
        return int(headers.get("X-WP-Total", headers.get("x-wp-total", 0)))

    def records(
        self,
        checkpoint: str | None = None,
        on_checkpoint: Callable[[str], None] | None = None,
    ) -> Iterator[Record]:
        context = "edit" if self.authenticated else "view"
        for kind, path in (("category", "/categories"), ("post_tag", "/tags")):
            for page in self.pages(path, context=context):
                yield from (_term(kind, item) for item in page)
        for page in self.pages("/users", context=context):
            yield from (_author(item) for item in page)
        with ThreadPoolExecutor(self.concurrency) as pool:
            for page in self.pages("/posts", **self._post_filters(checkpoint)):
                media = pool.map(self._media, [item.get("featured_media") or 0 for item in page])
                comments = pool.map(self._comments, [item["id"] for item in page])
                for item, attachment, thread in zip(page, media, comments, strict=True):
                    yield _post(item, attachment, thread)
                if page and on_checkpoint is not None:
                    on_checkpoint(page[-1].get("modified_gmt") or "")

    def _media(self, media_id: int) -> WpAttachment | None:
        if not media_id:
            return None
        try:
            item, _headers = self.get(f"/media/{media_id}")
        except RestError:
            return None  # deleted or private: the post goes without its image
        return WpAttachment(
            id=media_id,
            url=item.get("source_url") or "",
            alt=item.get("alt_text") or "",
            caption=_rendered(item.get("caption")),
        )

    def _comments(self, post_id: int) -> list[WpComment]:
        statuses = ["approve", "hold", "spam", "trash"] if self.authenticated else ["approve"]
        found = []
        for status in statuses:
            context = "edit" if self.authenticated else "view"
            for page in self.pages("/comments", post=post_id, status=status, context=context):
                found += [_comment(item) for item in page]
        return found


def _rendered(field: Any) -> str:
    """``raw`` (edit context: what the editor wrote) or ``rendered``."""
    if isinstance(field, dict):
        return str(field.get("raw") if field.get("raw") is not None else field.get("rendered", ""))
    return str(field or "")


def _term(kind: str, item: dict[str, Any]) -> WpTerm:
    return WpTerm(
        kind=kind,
        id=int(item["id"]),
        slug=str(item.get("slug") or ""),
        name=str(item.get("name") or ""),
        description=str(item.get("description") or ""),
    )


def _author(item: dict[str, Any]) -> WpAuthor:
    return WpAuthor(
        id=int(item["id"]),
        login="",
        display_name=str(item.get("name") or ""),
        bio=str(item.get("description") or ""),
    )


def _post(item: dict[str, Any], image: WpAttachment | None, comments: list[WpComment]) -> WpPost:
    terms = [("category", str(i), "") for i in item.get("categories", [])]
    terms += [("post_tag", str(i), "") for i in item.get("tags", [])]
    return WpPost(
        id=int(item["id"]),
        type="post",
        status=str(item.get("status") or ""),
        title=_rendered(item.get("title")),
        slug=str(item.get("slug") or ""),
        content=_rendered(item.get("content")),
        excerpt=_rendered(item.get("excerpt")) if item.get("excerpt", {}).get("raw") else "",
        date_gmt=parse_wp_date(item.get("date_gmt")),
        modified_gmt=parse_wp_date(item.get("modified_gmt")),
        author=str(item.get("author") or ""),
        terms=terms,
        sticky=bool(item.get("sticky")),
        comments_open=item.get("comment_status") != "closed",
        thumbnail_id=image.id if image is not None else 0,
        image=image,
        comments=comments,
    )


# The REST API's comment statuses in WXR's terms.
_COMMENT_STATUS = {"approved": "1", "hold": "0"}


def _comment(item: dict[str, Any]) -> WpComment:
    return WpComment(
        id=int(item["id"]),
        parent_id=int(item.get("parent") or 0),
        author_name=str(item.get("author_name") or ""),
        author_email=str(item.get("author_email") or ""),
        author_url=str(item.get("author_url") or ""),
        author_ip=str(item.get("author_ip") or ""),
        date_gmt=parse_wp_date(item.get("date_gmt")),
        content=_rendered(item.get("content")),
        approved={"approved": "1", "hold": "0"}.get(
            str(item.get("status")), str(item.get("status"))
        ),
        type=str(item.get("type") or "comment"),
    )
