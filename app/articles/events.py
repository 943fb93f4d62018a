"""What the articles domain announces (see app.core.events)."""

from dataclasses import dataclass
from datetime import datetime

from app.articles.schemas import ArticleListItem, article_keys
from app.core.events import Event
from app.models import Article


@dataclass(frozen=True)
class SeenArticle:
    """What the public saw of an article before a change: its list form, or nothing."""

    item: ArticleListItem | None = None
    keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, article: Article, now: datetime) -> "SeenArticle":
        if not article.is_public_at(now):
            return cls()
        return cls(ArticleListItem.from_article(article), tuple(article_keys(article)))


@dataclass(frozen=True)
class ArticleChanged(Event):
    """An article was created or changed (flushed): ``before`` is what the public saw of
    it; ``text_changed`` is False when only what it embeds changed (a term's name)."""

    article: Article
    before: SeenArticle
    now: datetime
    text_changed: bool = True


@dataclass(frozen=True)
class ArticlePurged(Event):
    """A deleted article was destroyed with everything that was its own."""

    article_id: int
