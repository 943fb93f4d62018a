"""What each domain event ends of the public answers, named by their surrogate keys: every
worker's response cache ends the entries holding one (app.core.changes carries them).

A change nobody outside sees (a draft's edit, a pending comment) ends nothing. The keys
are those the routes tag their answers with: ``article-N`` (an article, and every list
or search holding it), ``articles`` (every list and search of articles), ``search``
(every search), ``article-N-comments``, ``category-N`` / ``tag-N`` / ``author-N`` and
their lists, ``media-N``, ``ticker``.
"""

from sqlmodel import Session

from app.articles.events import ArticleChanged
from app.articles.schemas import ArticleListItem
from app.comments.events import CommentChanged
from app.core.changes import CLOCK, end_keys
from app.core.events import EventHandlers
from app.media.events import MediaChanged
from app.models import CommentStatus
from app.taxonomy.events import TermChanged
from app.taxonomy.service import COLLECTION
from app.ticker.events import HeadlinesChanged, HeadlineWindowSet

# What decides which lists an article is in, and where: a change of any moves it.
_LISTED_BY = ("published_at", "category", "tags", "authors", "is_exclusive", "is_breaking", "lang")


def subscribe(handlers: EventHandlers) -> None:
    handlers.subscribe(ArticleChanged, article_changed)
    handlers.subscribe(CommentChanged, comment_changed)
    handlers.subscribe(TermChanged, term_changed)
    handlers.subscribe(MediaChanged, media_changed)
    handlers.subscribe(HeadlinesChanged, headlines_changed)
    handlers.subscribe(HeadlineWindowSet, headline_window)


def article_changed(session: Session, event: ArticleChanged) -> None:
    article, before, now = event.article, event.before, event.now
    keys = [CLOCK] if article.is_scheduled_at(now) else []
    public = article.is_public_at(now)
    if before.item is None and not public:
        end_keys(session, keys)  # a draft, before and after: nothing public changed
        return
    # Every answer showing it holds its key (its terms' keys name the terms' own pages).
    subject = f"article-{article.id}"
    keys.append(subject)
    if not public:
        keys += [f"{subject}-comments", "articles"]
    elif before.item is None or _moved_in_lists(session, event):
        keys.append("articles")
    elif event.text_changed:
        keys.append("search")  # what it matches may have changed
    end_keys(session, keys)


def _moved_in_lists(session: Session, event: ArticleChanged) -> bool:
    """Whether a public article's change (still public) moves it into or out of a list,
    or within one."""
    assert event.before.item is not None
    # Its terms as they are now, links written by this change included.
    session.flush()
    session.expire(event.article, ["category", "tags", "authors"])
    now = ArticleListItem.from_article(event.article)
    return any(getattr(now, name) != getattr(event.before.item, name) for name in _LISTED_BY)


def comment_changed(session: Session, event: CommentChanged) -> None:
    """An approved comment shows on its article's comment list, and in the article's
    ``comment_count`` wherever the article shows; a pending or rejected one nowhere."""
    approved = event.comment.status is CommentStatus.approved
    was_approved = event.before is CommentStatus.approved
    if approved != was_approved or (approved and event.edited):
        article = f"article-{event.comment.article_id}"
        end_keys(session, [f"{article}-comments", article])


def term_changed(session: Session, event: TermChanged) -> None:
    # The articles showing it announce their own change (app.articles.subscribers).
    end_keys(session, [f"{event.kind}-{event.term_id}", COLLECTION[event.kind]])


def media_changed(session: Session, event: MediaChanged) -> None:
    # Authors showing it as their avatar hold its key; articles announce their own change.
    end_keys(session, [f"media-{event.media_id}"])


def headlines_changed(session: Session, _event: HeadlinesChanged) -> None:
    end_keys(session, ["ticker"])


def headline_window(session: Session, _event: HeadlineWindowSet) -> None:
    end_keys(session, [CLOCK])
