"""Feeds as bytes: RSS 2.0, Atom 1.0 (RFC 4287) and JSON Feed 1.1, from the same entries.

Text is written as UTF-8 (Arabic stays Arabic, never numeric entities); characters XML
cannot hold (control characters) are dropped.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import orjson

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
GENERATOR = "Akhbar"
# An empty feed's last change (Atom needs one): a fixed moment keeps its bytes stable.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` escaped for an XML element or a quoted attribute."""
    text = _NOT_XML.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def aware(moment: Any) -> Any:
    """A moment as a database gives it, in UTC with its zone: SQLite's datetimes come
    naive, and its max() of a datetime column as text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def w3c_datetime(moment: datetime) -> str:
    """RFC 3339 / W3C date-time, in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Link:
    name: str
    url: str | None
    slug: str = ""


@dataclass(frozen=True)
class Image:
    url: str
    content_type: str | None
    bytes: int | None
    width: int | None
    height: int | None
    alt: str | None


@dataclass(frozen=True)
class Entry:
    id: str
    url: str
    title: str
    summary: str | None
    content_html: str | None
    published: datetime
    updated: datetime
    language: str
    authors: Sequence[Link]
    categories: Sequence[Link]
    image: Image | None


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    home_url: str
    self_url: str
    language: str
    entries: Sequence[Entry]
    # The WebSub hub that hears of its changes, if one does.
    hub_url: str | None = None

    @property
    def updated(self) -> datetime:
        return max((entry.updated for entry in self.entries), default=EPOCH)


def _element(name: str, text: str | None, **attributes: str | None) -> str:
    attrs = "".join(
        f' {key.replace("__", ":")}="{xml_text(value)}"'
        for key, value in attributes.items()
        if value is not None
    )
    if text is None:
        return f"<{name}{attrs}/>"
    return f"<{name}{attrs}>{xml_text(text)}</{name}>"


def _join(parts: Iterable[str]) -> bytes:
    return "".join(parts).encode()


def rss(feed: Feed) -> bytes:
    def item(entry: Entry) -> Iterable[str]:
        yield "<item>"
        yield _element("title", entry.title)
        yield _element("link", entry.url)
        yield _element("guid", entry.id, isPermaLink="false")
        yield _element("pubDate", format_datetime(entry.published.astimezone(UTC), usegmt=True))
        for author in entry.authors:
            yield _element("dc:creator", author.name)
        for category in entry.categories:
            yield _element("category", category.name, domain=category.url)
        if entry.summary:
            yield _element("description", entry.summary)
        if entry.content_html is not None:
            yield _element("content:encoded", entry.content_html)
        if entry.image is not None:
            image = entry.image
            yield (
                f'<media:content url="{xml_text(image.url)}" medium="image"'
                + "".join(
                    f' {name}="{value}"'
                    for name, value in (
                        ("type", image.content_type),
                        ("width", image.width),
                        ("height", image.height),
                    )
                    if value is not None
                )
                + ">"
            )
            if image.alt:
                yield _element("media:description", image.alt)
            yield "</media:content>"
            if image.content_type and image.bytes is not None:
                yield _element(
                    "enclosure",
                    None,
                    url=image.url,
                    length=str(image.bytes),
                    type=image.content_type,
                )
        yield "</item>"

    def document() -> Iterable[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n'
        yield (
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        )
        yield _element("title", feed.title)
        yield _element("link", feed.home_url)
        yield _element("description", feed.description)
        yield _element("language", feed.language)
        yield _element("lastBuildDate", format_datetime(feed.updated, usegmt=True))
        yield _element("generator", GENERATOR)
        yield _element(
            "atom:link", None, href=feed.self_url, rel="self", type="application/rss+xml"
        )
        if feed.hub_url:
            yield _element("atom:link", None, href=feed.hub_url, rel="hub")
        for entry in feed.entries:
            yield from item(entry)
        yield "</channel></rss>\n"

    return _join(document())


def atom(feed: Feed) -> bytes:
    def person(person: Link) -> str:
        uri = _element("uri", person.url) if person.url else ""
        return f"<author>{_element('name', person.name)}{uri}</author>"

    def entry_of(entry: Entry) -> Iterable[str]:
        lang = f' xml:lang="{xml_text(entry.language)}"' if entry.language != feed.language else ""
        yield f"<entry{lang}>"
        yield _element("id", entry.id)
        yield _element("title", entry.title, type="text")
        yield _element("link", None, rel="alternate", type="text/html", href=entry.url)
        yield _element("published", w3c_datetime(entry.published))
        yield _element("updated", w3c_datetime(entry.updated))
        yield from (person(author) for author in entry.authors)
        for category in entry.categories:
            yield _element(
                "category",
                None,
                term=category.slug or category.name,
                label=category.name,
                scheme=category.url,
            )
        if entry.summary:
            yield _element("summary", entry.summary, type="text")
        if entry.content_html is not None:
            yield _element("content", entry.content_html, type="html")
        if entry.image is not None:
            image = entry.image
            yield _element(
                "link",
                None,
                rel="enclosure",
                href=image.url,
                type=image.content_type,
                length=str(image.bytes) if image.bytes is not None else None,
            )
        yield "</entry>"

    def document() -> Iterable[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n'
        yield f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{xml_text(feed.language)}">'
        yield _element("id", feed.self_url)
        yield _element("title", feed.title, type="text")
        yield _element("subtitle", feed.description, type="text")
        yield _element("updated", w3c_datetime(feed.updated))
        yield _element("link", None, rel="self", type="application/atom+xml", href=feed.self_url)
        yield _element("link", None, rel="alternate", type="text/html", href=feed.home_url)
        if feed.hub_url:
            yield _element("link", None, rel="hub", href=feed.hub_url)
        # An entry without an author of its own has the publication's.
        yield person(Link(feed.title, feed.home_url))
        yield _element("generator", GENERATOR)
        for entry in feed.entries:
            yield from entry_of(entry)
        yield "</feed>\n"

    return _join(document())


def json_feed(feed: Feed) -> bytes:
    def item(entry: Entry) -> dict[str, object]:
        data: dict[str, object] = {
            "id": entry.id,
            "url": entry.url,
            "title": entry.title,
            "date_published": w3c_datetime(entry.published),
            "date_modified": w3c_datetime(entry.updated),
            "language": entry.language,
            "authors": [
                {"name": a.name, **({"url": a.url} if a.url else {})} for a in entry.authors
            ],
            "tags": [category.name for category in entry.categories],
        }
        if entry.content_html is not None:
            data["content_html"] = entry.content_html
        else:
            data["content_text"] = entry.summary or ""
        if entry.summary:
            data["summary"] = entry.summary
        if entry.image is not None:
            data["image"] = entry.image.url
        return data

    return orjson.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed.title,
            "description": feed.description,
            "home_page_url": feed.home_url,
            "feed_url": feed.self_url,
            "language": feed.language,
            **({"hubs": [{"type": "WebSub", "url": feed.hub_url}]} if feed.hub_url else {}),
            "items": [item(entry) for entry in feed.entries],
        }
    )
