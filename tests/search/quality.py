"""Loading the search collection and scoring the queries (shared by the test and bench)."""

from dataclasses import dataclass

from sqlmodel import Session

from app.articles.schemas import ArticleCreate
from app.articles.service import create_article
from app.core.db import unit_of_work
from app.search.schemas import SearchQuery
from app.search.service import search
from tests.search.collection import QUERIES, TARGETS, distractors


def load_collection(session: Session) -> dict[int, str]:
    """Every document as a published article; article id → target key (or "")."""
    keys: dict[int, str] = {}
    documents = [(key, *text) for key, text in TARGETS.items()]
    documents += [("", title, body) for title, body in distractors()]
    for n, (key, title, body) in enumerate(documents):
        with unit_of_work(session):
            article = create_article(
                session,
                data=ArticleCreate(
                    title=title,
                    slug=f"doc-{n}",
                    body=f"<p>{body}</p>",
                    status="published",
                    published_at="2026-11-01T08:00:00Z",
                ),
            )
            assert article.id is not None
            keys[article.id] = key
    return keys


@dataclass(frozen=True)
class QueryResult:
    query: str
    expected: list[str]
    ranked: list[str]  # target keys of the top ten, "" for a distractor

    @property
    def missing(self) -> list[str]:
        return [key for key in self.expected if key not in self.ranked]

    @property
    def reciprocal_rank(self) -> float:
        ranks = [self.ranked.index(key) + 1 for key in self.expected if key in self.ranked]
        return 1 / min(ranks) if ranks else 0.0


def run_queries(session: Session, keys: dict[int, str]) -> list[QueryResult]:
    results = []
    for q, expected in QUERIES:
        hits, _ = search(session, query=SearchQuery(q=q, limit=10), timeout_ms=10_000)
        ranked = [keys[hit.article.id] for hit in hits if hit.article.id is not None]
        results.append(QueryResult(q, expected, ranked))
    return results


def recall_at_10(results: list[QueryResult]) -> float:
    wanted = sum(len(r.expected) for r in results)
    return sum(len(r.expected) - len(r.missing) for r in results) / wanted


def mean_reciprocal_rank(results: list[QueryResult]) -> float:
    return sum(r.reciprocal_rank for r in results) / len(results)
