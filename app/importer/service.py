"""Importing a WordPress site: each record becomes Akhbar rows, once.

Every WordPress id that became a row here is kept in ``import_record`` with a fingerprint
of what it was. A record seen again with the same fingerprint is left alone; a changed one
updates its row (an article keeps a revision, as any edit does); a new one is created. So
running an import twice changes nothing, and a later run brings only what is new or
changed. Articles go through the same services as the editor API (sanitising, slugs,
search index, webhook events). A dry run reads and converts everything and writes nothing.

What comes over, and how:

- posts: ``publish`` → published, ``future`` → scheduled, ``draft``/``pending``/``private``
  → draft; ``trash`` and empty auto-drafts are skipped. Dates in UTC (created, published,
  modified). The first category is the article's category; further categories and the tags
  become tags (Akhbar's categories are flat: WordPress's parents are not kept). Sticky
  posts are marked breaking (``sticky``); a category or tag named «عاجل» marks breaking,
  «خاص» or «حصري» exclusive. The featured image with its alt text and caption.
- slugs decoded from percent-encoding; a slug WordPress cut at 200 encoded characters gets
  the full one from the title and keeps the cut one as an old slug that still finds it.
- authors: display name, a slug made from it, and the bio (REST API); never the login or
  the e-mail.
- comments, with their threads and statuses (approved, hold → pending, spam, trash; pings
  and trackbacks skipped); e-mails and addresses stored private, as any comment's are.
  An approved comment on a public article sends ``comment.approved``, as a moderator's
  approval does: a subscriber that mirrors comments gets the imported ones too.
"""

import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.articles.schemas import ArticleCreate, ArticleUpdate
from app.articles.service import create_article, update_article
from app.comments.events import CommentChanged
from app.comments.service import MAX_DEPTH, body_hash, refresh_comment_count
from app.core.clock import utc_now
from app.core.db import unit_of_work
from app.core.errors import AkhbarError, Conflict, NotFound
from app.core.events import publish
from app.core.fields import DESCRIPTION_MAX
from app.core.lengths import (
    COMMENT_AUTHOR_MAX,
    COMMENT_BODY_MAX,
    EMAIL_MAX,
    EXCERPT_MAX,
    NAME_MAX,
    TITLE_MAX,
)
from app.importer.convert import (
    article_slugs,
    body_html,
    decode_slug,
    plain_line,
    plain_text,
    term_slug,
)
from app.importer.media import MediaTally, SiteMedia
from app.importer.wordpress import WpAttachment, WpAuthor, WpComment, WpPost, WpTerm
from app.models import (
    Article,
    ArticleSlugRedirect,
    Author,
    Category,
    Comment,
    CommentStatus,
    ImportRecord,
    ImportSource,
    Tag,
)
from app.taxonomy.schemas import AuthorCreate, AuthorUpdate, TermCreate, TermUpdate
from app.taxonomy.service import create_term, update_term
from app.text.html import sanitize_html
from app.text.slugs import cut_at_word, slugify, with_suffix

Sticky = Literal["breaking", "exclusive", "none"]
PUBLISHED = {"publish": "published", "future": "published"}
DRAFTS = {"draft", "pending", "private"}
SKIPPED_STATUSES = {"trash": "in WordPress's trash", "auto-draft": "an empty auto-draft"}
COMMENT_STATUS = {
    "1": CommentStatus.approved,
    "approve": CommentStatus.approved,
    "approved": CommentStatus.approved,
    "0": CommentStatus.pending,
    "hold": CommentStatus.pending,
    "spam": CommentStatus.spam,
    "trash": CommentStatus.trash,
}
BREAKING_TERMS = {"عاجل", "breaking"}
EXCLUSIVE_TERMS = {"خاص", "حصري", "exclusive"}
UNCATEGORISED = {"uncategorized", "غير-مصنف", "غير-مصنّف"}


@dataclass
class Tally:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


@dataclass
class Report:
    kinds: dict[str, Tally] = field(
        default_factory=lambda: {
            kind: Tally() for kind in ("categories", "tags", "authors", "posts", "comments")
        }
    )
    notes: list[str] = field(default_factory=list)
    # The pictures brought into the media library (--media).
    media: MediaTally | None = None

    @property
    def failed(self) -> int:
        return sum(len(tally.failed) for tally in self.kinds.values())

    def lines(self) -> list[str]:
        rows = ["kind        imported  updated  unchanged  skipped  failed"]
        for kind, t in self.kinds.items():
            skipped = sum(t.skipped.values())
            rows.append(
                f"{kind:<11} {t.imported:>8} {t.updated:>8} {t.unchanged:>10} "
                f"{skipped:>8} {len(t.failed):>7}"
            )
        for kind, t in self.kinds.items():
            rows += [f"skipped {kind}: {n} {reason}" for reason, n in sorted(t.skipped.items())]
            rows += [f"failed {kind}: {reason}" for reason in t.failed]
        if self.media is not None:
            m = self.media
            rows.append(
                f"pictures: {m.fetched} brought in, {m.reused} already in the library, "
                f"{len(m.failed)} not to be had (their articles keep the address)"
            )
            rows += [f"picture not brought in: {reason}" for reason in m.failed]
        rows += [f"note: {note}" for note in self.notes]
        return rows


def fingerprint(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


class WordPressImporter:
    def __init__(
        self,
        session: Session,
        site: str,
        *,
        dry_run: bool = False,
        sticky: Sticky = "breaking",
        media: dict[int, WpAttachment] | None = None,
        pictures: SiteMedia | None = None,
    ) -> None:
        self.session = session
        self.dry_run = dry_run
        self.sticky = sticky
        self.media = media or {}
        # Where the pictures go when they come into the library too (--media).
        self.pictures = pictures
        self.report = Report(media=pictures.tally if pictures is not None else None)
        self.source = self._source(site)
        # WordPress's term slugs and author keys → Akhbar slugs, for the posts that follow.
        self._terms: dict[tuple[str, str], str] = {}
        self._term_names: dict[str, str] = {}
        self._authors: dict[str, str] = {}

    # Records

    def add(self, record: WpTerm | WpAuthor | WpPost) -> None:
        """Bring one record over: a term, an author, or a post with its comments, each
        with its import records in one transaction (a run stopped anywhere leaves each
        record wholly in or wholly out, and the next run takes up from there)."""
        with self._unit():
            if isinstance(record, WpTerm):
                self.term(record)
            elif isinstance(record, WpAuthor):
                self.author(record)
            else:
                self.post(record)

    @contextmanager
    def _unit(self) -> Iterator[None]:
        """A unit of work; a dry run's is always rolled back (it writes nothing anyway)."""
        if self.dry_run:
            try:
                yield
            finally:
                self.session.rollback()
            return
        with unit_of_work(self.session):
            yield

    def term(self, term: WpTerm) -> None:
        kind, tally_name = (
            ("category", "categories") if term.kind == "category" else ("tag", "tags")
        )
        model: type[Category] | type[Tag] = Category if kind == "category" else Tag
        tally = self.report.kinds[tally_name]
        if kind == "category" and term.slug in UNCATEGORISED:
            tally.skipped["WordPress's default category"] += 1
            return
        name = cut_at_word(plain_line(term.name), NAME_MAX) or decode_slug(term.slug)
        description = plain_text(term.description)[:DESCRIPTION_MAX] or None
        slug = term_slug(term.slug, name)
        if not slug:
            tally.failed.append(f"{kind} {term.id} ({term.name!r}): no letters or digits")
            return
        wanted = {"name": name, "description": description}
        used = self._sync_term(kind, model, (TermCreate, TermUpdate), term.id, slug, wanted, tally)
        self._remember_term(term, used, name)

    def author(self, author: WpAuthor) -> None:
        name = cut_at_word(plain_line(author.display_name), NAME_MAX) or f"author {author.id}"
        slug = slugify(name) or f"author-{author.id}"
        wanted = {"name": name, "bio": plain_text(author.bio)[:DESCRIPTION_MAX] or None}
        tally = self.report.kinds["authors"]
        used = self._sync_term(
            "author", Author, (AuthorCreate, AuthorUpdate), author.id, slug, wanted, tally
        )
        self._authors.update(dict.fromkeys([k for k in (str(author.id), author.login) if k], used))

    def _sync_term(
        self,
        kind: str,
        model: type[Category] | type[Tag] | type[Author],
        schemas: tuple[type[TermCreate], type[TermUpdate]],
        remote_id: int,
        slug: str,
        wanted: dict[str, Any],
        tally: Tally,
    ) -> str:
        """Update the row a WordPress term or author became (if it changed), or adopt one
        with its slug made here before, or create it; the slug that names it here."""
        create, change = schemas
        local = self._record(kind, remote_id)
        row = self.session.get(model, local.local_id) if local is not None else None
        if row is not None and local is not None:
            if local.fingerprint == fingerprint(wanted):
                tally.unchanged += 1
            else:
                tally.updated += 1
                if not self.dry_run:
                    update_term(self.session, model, row.slug, change(**wanted))
                    self._map(kind, remote_id, row.id, wanted)
            return row.slug
        existing = self.session.exec(select(model.id).where(model.slug == slug)).first()
        if existing is not None:  # the same made here before the import
            tally.unchanged += 1
            if not self.dry_run:
                self._map(kind, remote_id, existing, wanted)
            return slug
        tally.imported += 1
        if not self.dry_run:
            created = create_term(self.session, model, create(slug=slug, **wanted))
            self._map(kind, remote_id, created.id, wanted)
        return slug

    def post(self, post: WpPost) -> None:
        tally = self.report.kinds["posts"]
        if post.status in SKIPPED_STATUSES:
            tally.skipped[SKIPPED_STATUSES[post.status]] += 1
            return
        if post.status not in PUBLISHED and post.status not in DRAFTS:
            tally.skipped[f"status {post.status!r}"] += 1
            return
        try:
            fields, old_slug = self._article_fields(post)
            data = ArticleCreate.model_validate(fields)
        except (ValueError, ValidationError) as exc:
            tally.failed.append(f"post {post.id} ({plain_line(post.title)[:60]!r}): {_reason(exc)}")
            return
        wanted = {
            "fields": fields,
            "old_slug": old_slug,
            "created": post.date_gmt,
            "modified": post.modified_gmt,
        }
        local = self._record("post", post.id)
        article = self.session.get(Article, local.local_id) if local is not None else None
        if article is not None and local is not None:
            if local.fingerprint == fingerprint(wanted):
                tally.unchanged += 1
            elif self.dry_run:
                tally.updated += 1
            else:
                if not self._update(article, fields, post, tally):
                    return
                tally.updated += 1
                self._after_save(article.id, post, old_slug, wanted)
        else:
            tally.imported += 1
            if not self.dry_run:
                created = self._create(data, post)
                self._after_save(created, post, old_slug, wanted)
        self._comments(post, article.id if article is not None else None)

    # Posts

    def _article_fields(self, post: WpPost) -> tuple[dict[str, Any], str | None]:
        body = body_html(post.content, self.media)
        title = cut_at_word(plain_line(post.title), TITLE_MAX)
        if not title:
            title = cut_at_word(" ".join(plain_text(body).split()[:10]), TITLE_MAX)
        if not title:
            raise ValueError("no title and no text to make one from")
        slug, old_slug = article_slugs(post.slug, title)
        category, tags, flags = self._post_terms(post)
        author = self._authors.get(post.author)
        image = post.image or self.media.get(post.thumbnail_id)
        if self.pictures is not None:
            body = self.pictures.body(sanitize_html(body), fallback_alt=title)
        fields: dict[str, Any] = {
            "title": title,
            "slug": slug,
            "body": body,
            "excerpt": cut_at_word(plain_text(post.excerpt), EXCERPT_MAX) or None,
            "status": PUBLISHED.get(post.status, "draft"),
            "published_at": post.date_gmt if post.status in PUBLISHED else None,
            "category": category,
            "tags": tags,
            "authors": [author] if author else [],
            "comments_enabled": post.comments_open,
            **flags,
        }
        if image is not None and image.url:
            alt = plain_line(image.alt)[:400] or None
            caption = cut_at_word(plain_text(image.caption), EXCERPT_MAX) or None
            media_id = (
                self.pictures.picture(image.url, alt=alt or title, caption=caption)
                if self.pictures is not None
                else None
            )
            fields["featured_image"] = (
                {"media_id": media_id}
                if media_id is not None
                else {"url": image.url, "alt": alt, "caption": caption}
            )
        return fields, old_slug

    def _post_terms(self, post: WpPost) -> tuple[str | None, list[str], dict[str, bool]]:
        category = None
        tags: list[str] = []
        flags = {"is_breaking": False, "is_exclusive": False}
        if post.sticky and self.sticky != "none":
            flags[f"is_{self.sticky}"] = True
        for taxonomy, raw_slug, name in post.terms:
            kind = "category" if taxonomy == "category" else "tag"
            slug = self._terms.get((kind, raw_slug)) or self._undeclared_term(kind, raw_slug, name)
            if slug is None:
                continue
            label = self._term_names.get(slug, name)
            if label in BREAKING_TERMS or slug in BREAKING_TERMS:
                flags["is_breaking"] = True
            if label in EXCLUSIVE_TERMS or slug in EXCLUSIVE_TERMS:
                flags["is_exclusive"] = True
            is_flag = label in BREAKING_TERMS | EXCLUSIVE_TERMS or slug in BREAKING_TERMS
            if kind == "category" and (slug in UNCATEGORISED or is_flag):
                continue  # WordPress's default, or a flag rather than a section
            if kind == "category" and category is None:
                category = slug
            elif kind == "tag":
                tags.append(slug)
            else:  # a second category: a tag of the same name, if there is one
                tag = self._terms.get(("tag", raw_slug))
                if tag:
                    tags.append(tag)
        return category, list(dict.fromkeys(tags)), flags

    def _undeclared_term(self, kind: str, raw_slug: str, name: str) -> str | None:
        """A term a post names that the export did not list (a partial export): found
        or made by its slug, as it has no id to be recorded under."""
        label = cut_at_word(plain_line(name), NAME_MAX)
        if not label:  # a REST API term id that was not listed: nothing to make it from
            return None
        slug = term_slug(raw_slug, label)
        if not slug or (kind == "category" and raw_slug in UNCATEGORISED):
            return None
        model: type[Category] | type[Tag] = Category if kind == "category" else Tag
        exists = self.session.exec(select(model.id).where(model.slug == slug)).first()
        if exists is None and not self.dry_run:
            create_term(self.session, model, TermCreate(name=label, slug=slug))
        if exists is None:
            self.report.kinds["categories" if kind == "category" else "tags"].imported += 1
        self._terms[(kind, raw_slug)] = slug
        self._term_names[slug] = label
        return slug

    def _create(self, data: ArticleCreate, post: WpPost) -> int:
        attempt, slug = 1, data.slug
        while True:
            try:
                article = create_article(self.session, data=data)
            except Conflict:  # the slug belongs to an article that was not imported
                attempt += 1
                assert slug is not None
                data = data.model_copy(update={"slug": with_suffix(slug, attempt)})
                continue
            if attempt > 1:
                self.report.notes.append(
                    f"post {post.id}: the slug {slug!r} was taken here; it is {data.slug!r}"
                )
            assert article.id is not None
            return article.id

    def _update(self, article: Article, fields: dict[str, Any], post: WpPost, tally: Tally) -> bool:
        assert article.id is not None
        try:
            update_article(self.session, article.id, data=ArticleUpdate.model_validate(fields))
        except (Conflict, NotFound) as exc:  # raised before it wrote anything
            tally.failed.append(f"post {post.id}: not updated: {exc}")
            return False
        return True

    def _after_save(
        self, article_id: int | None, post: WpPost, old_slug: str | None, wanted: dict[str, Any]
    ) -> None:
        """WordPress's own dates, the old slug, the record."""
        assert article_id is not None
        # A scheduled post's date is to come: it was made by its last change at the latest.
        known = [moment for moment in (post.date_gmt, post.modified_gmt) if moment is not None]
        dates: dict[str, datetime] = {}
        if known:
            dates["created_at"] = min(known)
        if post.modified_gmt is not None:
            dates["updated_at"] = post.modified_gmt
        if dates:  # not an edit: no new version, no revision
            self.session.execute(
                update(Article).where(col(Article.id) == article_id).values(**dates)
            )
        if old_slug and self.session.get(ArticleSlugRedirect, old_slug) is None:
            owner = self.session.exec(select(Article.id).where(Article.slug == old_slug)).first()
            if owner is None:
                self.session.add(ArticleSlugRedirect(old_slug=old_slug, article_id=article_id))
        self._map("post", post.id, article_id, wanted)

    # Comments

    def _comments(self, post: WpPost, article_id: int | None) -> None:
        tally = self.report.kinds["comments"]
        if article_id is None:
            record = self._record("post", post.id)
            article_id = record.local_id if record is not None else None
        changed = False
        for comment in sorted(post.comments, key=lambda c: c.id):
            if comment.type not in ("", "comment"):
                tally.skipped[f"a {comment.type}"] += 1
                continue
            status = COMMENT_STATUS.get(comment.approved)
            body = plain_text(comment.content)[:COMMENT_BODY_MAX].strip()
            if status is None or not body:
                tally.skipped["empty" if not body else f"status {comment.approved!r}"] += 1
                continue
            wanted = _comment_fields(comment, status, body)
            local = self._record("comment", comment.id)
            if local is not None and local.fingerprint == fingerprint(wanted):
                tally.unchanged += 1
                continue
            if local is not None:
                tally.updated += 1
            else:
                tally.imported += 1
            if self.dry_run or article_id is None:
                continue
            row = self.session.get(Comment, local.local_id) if local is not None else None
            before = row.status if row is not None else None
            old_body = row.body if row is not None else None
            if row is None:
                row = Comment(article_id=article_id, client_ip="", **wanted)
            else:
                for name, value in wanted.items():
                    setattr(row, name, value)
            row.article_id = article_id
            row.client_ip = comment.author_ip[:45]
            parent = self._record("comment", comment.parent_id) if comment.parent_id else None
            parent_row = self.session.get(Comment, parent.local_id) if parent else None
            while parent_row is not None and parent_row.depth + 1 >= MAX_DEPTH:
                parent_row = self.session.get(Comment, parent_row.parent_id or 0)
            row.parent_id = parent_row.id if parent_row is not None else None
            row.depth = parent_row.depth + 1 if parent_row is not None else 0
            self.session.add(row)
            self.session.flush()
            self._map("comment", comment.id, row.id, wanted)
            # As a moderator's approval would: on a public article, comment.approved.
            edited = old_body is not None and old_body != row.body
            publish(self.session, CommentChanged(row, before, edited=edited, now=utc_now()))
            changed = True
        if changed and article_id is not None:
            refresh_comment_count(self.session, article_id)

    # The record

    def _source(self, site: str) -> ImportSource:
        source = self.session.exec(select(ImportSource).where(ImportSource.url == site)).first()
        if source is None:
            source = ImportSource(url=site)
            if not self.dry_run:
                with unit_of_work(self.session):
                    self.session.add(source)
        return source

    def _record(self, kind: str, remote_id: int) -> ImportRecord | None:
        if self.source.id is None:
            return None
        return self.session.exec(
            select(ImportRecord).where(
                ImportRecord.source_id == self.source.id,
                ImportRecord.kind == kind,
                ImportRecord.remote_id == remote_id,
            )
        ).first()

    def _map(self, kind: str, remote_id: int, local_id: int | None, wanted: Any) -> None:
        assert local_id is not None
        assert self.source.id is not None
        record = self._record(kind, remote_id) or ImportRecord(
            source_id=self.source.id,
            kind=kind,
            remote_id=remote_id,
            local_id=local_id,
            fingerprint="",
        )
        record.local_id = local_id
        record.fingerprint = fingerprint(wanted)
        record.updated_at = utc_now()
        self.session.add(record)
        self.session.flush()

    def _remember_term(self, term: WpTerm, slug: str, name: str) -> None:
        kind = "category" if term.kind == "category" else "tag"
        self._terms[(kind, term.slug)] = slug
        self._terms[(kind, str(term.id))] = slug
        self._term_names[slug] = name

    def save_checkpoint(self, checkpoint: str) -> None:
        """Everything up to ``checkpoint`` is in (the REST API reader's progress)."""
        if not self.dry_run and checkpoint:
            with unit_of_work(self.session):
                self.source.checkpoint = checkpoint
                self.session.add(self.source)

    def finish(self) -> None:
        if not self.dry_run and self.source.id is not None:
            with unit_of_work(self.session):
                self.source.last_run_at = utc_now()
                self.session.add(self.source)


def _comment_fields(comment: WpComment, status: CommentStatus, body: str) -> dict[str, Any]:
    url = comment.author_url.strip()
    moment = comment.date_gmt or utc_now()
    return {
        "author_name": cut_at_word(plain_line(comment.author_name), COMMENT_AUTHOR_MAX) or "زائر",
        "author_email": comment.author_email.strip().lower()[:EMAIL_MAX],
        "author_url": url if url.startswith(("http://", "https://")) and len(url) <= 2048 else None,
        "body": body,
        "body_hash": body_hash(body),
        "status": status,
        "created_at": moment,
        "updated_at": moment,
    }


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}"
    if isinstance(exc, AkhbarError):
        return str(exc)
    return str(exc)
