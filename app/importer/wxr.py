"""Reading a WordPress export (WXR 1.0–1.2), streamed: one item in memory at a time.

A WXR file is an RSS channel: the site's authors, categories and tags first, then one
``<item>`` per post, page, attachment or menu entry, each with its comments and metadata.
The file is read twice: a first pass counts the posts (for the progress bar) and keeps
what posts refer to by id (attachments: the featured images), the second yields records as
the parser reaches them, dropping each element once read. Entities are not expanded beyond
what expat allows (it refuses "billion laughs" amplification) and nothing external is
ever fetched.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.importer.wordpress import (
    WpAttachment,
    WpAuthor,
    WpComment,
    WpPost,
    WpTerm,
    parse_wp_date,
)

Record = WpTerm | WpAuthor | WpPost

_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
}


class WxrError(ValueError):
    """The file is not a WordPress export this reader understands."""


def _name(tag: str) -> str:
    """``wp:post_id`` for ``{http://wordpress.org/export/1.2/}post_id``."""
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    if uri.startswith("http://wordpress.org/export/"):
        prefix = "excerpt" if uri.rstrip("/").endswith("excerpt") else "wp"
    else:
        prefix = _NAMESPACES.get(uri, uri)
    return f"{prefix}:{local}"


# Fields whose white space is content.
_RAW = {"content:encoded", "excerpt:encoded", "wp:comment_content"}


def _text(element: ET.Element, name: str) -> str:
    for child in element:
        if _name(child.tag) == name:
            return (child.text or "").strip() if name not in _RAW else child.text or ""
    return ""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


@dataclass
class Survey:
    """The first pass: the site, how many posts, and the attachments posts point at."""

    site: str = ""
    posts: int = 0
    attachments: dict[int, WpAttachment] = field(default_factory=dict)


def _elements(path: Path) -> Iterator[tuple[str, ET.Element, ET.Element | None]]:
    """(name, element, channel) of each finished child of the channel."""
    channel: ET.Element | None = None
    depth = 0
    try:
        for event, element in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1 and _name(element.tag) != "rss":
                    raise WxrError("not a WordPress export: the root element is not <rss>")
                if depth == 2 and _name(element.tag) == "channel":
                    channel = element
                continue
            depth -= 1
            if depth == 2 and channel is not None:
                yield _name(element.tag), element, channel
                channel.remove(element)  # read: let it go
    except ET.ParseError as exc:
        raise WxrError(f"not well-formed XML: {exc}") from None
    if channel is None:
        raise WxrError("not a WordPress export: no <channel>")


def survey(path: Path) -> Survey:
    found = Survey()
    for name, element, _channel in _elements(path):
        if name in ("wp:base_site_url", "link") and not found.site:
            found.site = (element.text or "").strip().rstrip("/")
        elif name == "item":
            post_type = _text(element, "wp:post_type")
            if post_type == "attachment":
                attachment = _attachment(element)
                found.attachments[attachment.id] = attachment
            elif post_type == "post":
                found.posts += 1
    return found


def read(path: Path) -> Iterator[Record]:
    """Terms and authors as the channel lists them, then the posts (other items skipped)."""
    for name, element, _channel in _elements(path):
        if name == "wp:author":
            yield WpAuthor(
                id=_int(_text(element, "wp:author_id")),
                login=_text(element, "wp:author_login"),
                display_name=_text(element, "wp:author_display_name")
                or _text(element, "wp:author_login"),
            )
        elif name == "wp:category":
            yield WpTerm(
                kind="category",
                id=_int(_text(element, "wp:term_id")),
                slug=_text(element, "wp:category_nicename"),
                name=_text(element, "wp:cat_name"),
                description=_text(element, "wp:category_description"),
                parent_slug=_text(element, "wp:category_parent"),
            )
        elif name == "wp:tag":
            yield WpTerm(
                kind="post_tag",
                id=_int(_text(element, "wp:term_id")),
                slug=_text(element, "wp:tag_slug"),
                name=_text(element, "wp:tag_name"),
                description=_text(element, "wp:tag_description"),
            )
        elif name == "item" and _text(element, "wp:post_type") == "post":
            yield _post(element)


def _meta(element: ET.Element) -> dict[str, str]:
    meta = {}
    for child in element:
        if _name(child.tag) == "wp:postmeta":
            meta[_text(child, "wp:meta_key")] = _text(child, "wp:meta_value")
    return meta


def _attachment(element: ET.Element) -> WpAttachment:
    return WpAttachment(
        id=_int(_text(element, "wp:post_id")),
        url=_text(element, "wp:attachment_url") or _text(element, "guid"),
        alt=_meta(element).get("_wp_attachment_image_alt", ""),
        caption=_text(element, "excerpt:encoded").strip(),
    )


def _post(element: ET.Element) -> WpPost:
    terms = [
        (child.get("domain", ""), child.get("nicename", ""), (child.text or "").strip())
        for child in element
        if _name(child.tag) == "category" and child.get("domain") in ("category", "post_tag")
    ]
    return WpPost(
        id=_int(_text(element, "wp:post_id")),
        type="post",
        status=_text(element, "wp:status"),
        title=_text(element, "title"),
        slug=_text(element, "wp:post_name"),
        content=_text(element, "content:encoded"),
        excerpt=_text(element, "excerpt:encoded").strip(),
        date_gmt=parse_wp_date(_text(element, "wp:post_date_gmt"))
        or parse_wp_date(_text(element, "wp:post_date")),
        modified_gmt=parse_wp_date(_text(element, "wp:post_modified_gmt")),
        author=_text(element, "dc:creator"),
        terms=terms,
        sticky=_text(element, "wp:is_sticky") == "1",
        comments_open=_text(element, "wp:comment_status") != "closed",
        thumbnail_id=_int(_meta(element).get("_thumbnail_id", "0")),
        comments=[_comment(child) for child in element if _name(child.tag) == "wp:comment"],
    )


def _comment(element: ET.Element) -> WpComment:
    return WpComment(
        id=_int(_text(element, "wp:comment_id")),
        parent_id=_int(_text(element, "wp:comment_parent")),
        author_name=_text(element, "wp:comment_author"),
        author_email=_text(element, "wp:comment_author_email"),
        author_url=_text(element, "wp:comment_author_url"),
        author_ip=_text(element, "wp:comment_author_IP"),
        date_gmt=parse_wp_date(_text(element, "wp:comment_date_gmt"))
        or parse_wp_date(_text(element, "wp:comment_date")),
        content=_text(element, "wp:comment_content"),
        approved=_text(element, "wp:comment_approved"),
        type=_text(element, "wp:comment_type"),
    )
