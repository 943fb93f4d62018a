"""The full-text index: normalised article text, kept in step with every article write.

SQLite: an FTS5 table ``article_fts`` (rowid = article id) over the normalised title,
excerpt and body, plus for each a ``*_stems`` column holding every proclitic-free reading
of its words. PostgreSQL: ``article_search`` with one weighted ``tsvector`` (A title and
its stems, B excerpt and its stems, C body, D body stems) under a GIN index. Both also
keep the title and excerpt readings as plain words for the fuzzy fallback's trigrams.
Both hold the text through ``search_key``, never raw: SQLite's unicode61 tokenizer would
split words at every haraka otherwise.

Neither table is in the SQLModel metadata (their types have no portable form): the
migration creates them, and Alembic's comparison leaves them out (``SEARCH_TABLES``).
"""

from collections.abc import Callable

from sqlalchemy import Connection, column, select, table, text
from sqlmodel import Session

from app.articles.events import ArticleChanged, ArticlePurged
from app.core.db import unit_of_work
from app.core.events import EventHandlers
from app.models import Article
from app.text.arabic import key_tokens, stems

SEARCH_TABLES = ("article_fts", "article_trigram", "article_search")
_article = table("article", column("id"), column("title"), column("excerpt"), column("body_text"))


def _keys(value: str | None) -> str:
    return " ".join(key_tokens(value or ""))


def _stems(*values: str | None) -> str:
    return " ".join(
        sorted({s for value in values for t in key_tokens(value or "") for s in stems(t)})
    )


def subscribe(handlers: EventHandlers) -> None:
    handlers.subscribe(ArticleChanged, _article_changed)
    handlers.subscribe(
        ArticlePurged, lambda session, event: remove_article(session, event.article_id)
    )


def _article_changed(session: Session, event: ArticleChanged) -> None:
    if event.text_changed:
        index_article(session, event.article)


def index_article(session: Session, article: Article) -> None:
    """Put the article's current text in the index (flushes; the caller commits)."""
    session.flush()
    assert article.id is not None
    index_text(session, article.id, article.title, article.excerpt, article.body_text)


def index_text(
    session: Session, article_id: int, title: str, excerpt: str | None, body_text: str
) -> None:
    params = {
        "id": article_id,
        "title": _keys(title),
        "excerpt": _keys(excerpt),
        "body": _keys(body_text),
        "title_stems": _stems(title),
        "excerpt_stems": _stems(excerpt),
        "body_stems": _stems(body_text),
        "words": _stems(title, excerpt),
    }
    if session.get_bind().dialect.name == "sqlite":
        remove_article(session, article_id)
        session.execute(
            text(
                "INSERT INTO article_fts"
                " (rowid, title, excerpt, body, title_stems, excerpt_stems, body_stems)"
                " VALUES (:id, :title, :excerpt, :body, :title_stems, :excerpt_stems,"
                " :body_stems)"
            ),
            params,
        )
        session.execute(
            text("INSERT INTO article_trigram (rowid, words) VALUES (:id, :words)"), params
        )
    else:
        session.execute(
            text(
                "INSERT INTO article_search (article_id, document, words) VALUES (:id,"
                " setweight(to_tsvector('simple', :title), 'A')"
                " || setweight(to_tsvector('simple', :title_stems), 'A')"
                " || setweight(to_tsvector('simple', :excerpt), 'B')"
                " || setweight(to_tsvector('simple', :excerpt_stems), 'B')"
                " || setweight(to_tsvector('simple', :body), 'C')"
                " || setweight(to_tsvector('simple', :body_stems), 'D'), :words)"
                " ON CONFLICT (article_id) DO UPDATE"
                " SET document = EXCLUDED.document, words = EXCLUDED.words"
            ),
            params,
        )


def remove_article(session: Session, article_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        for index_table in ("article_fts", "article_trigram"):
            session.execute(
                text(f"DELETE FROM {index_table} WHERE rowid = :id"), {"id": article_id}
            )
    # On PostgreSQL the row goes with the article (ON DELETE CASCADE).


def rebuild_index(
    session: Session, *, progress: Callable[[int], None] | None = None, batch: int = 500
) -> int:
    """Index every article again, a batch per transaction; the number indexed.

    Reads the four columns it needs, not the model: migrations call this, and a later
    revision's columns must not be asked of an earlier schema."""
    last_id, done = 0, 0
    while True:
        rows = session.execute(
            select(_article.c.id, _article.c.title, _article.c.excerpt, _article.c.body_text)
            .where(_article.c.id > last_id)
            .order_by(_article.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        with unit_of_work(session):
            for article_id, title, excerpt, body_text in rows:
                index_text(session, article_id, title, excerpt, body_text)
        last_id = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(len(rows))


def create_index_tables(connection: Connection) -> None:
    """The DDL, for the migration."""
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                "CREATE VIRTUAL TABLE article_fts USING fts5(title, excerpt, body,"
                " title_stems, excerpt_stems, body_stems,"
                " tokenize = 'unicode61 remove_diacritics 0')"
            )
        )
        # The `rank` column: BM25 with the title (and its readings) above the excerpt,
        # above the body. Weights in column order.
        connection.execute(
            text(
                "INSERT INTO article_fts (article_fts, rank)"
                " VALUES ('rank', 'bm25(10.0, 4.0, 1.0, 5.0, 2.0, 0.5)')"
            )
        )
        # Substrings of title and excerpt words, for the fuzzy fallback.
        connection.execute(
            text("CREATE VIRTUAL TABLE article_trigram USING fts5(words, tokenize = 'trigram')")
        )
    else:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        connection.execute(
            text(
                "CREATE TABLE article_search (article_id INTEGER PRIMARY KEY"
                " REFERENCES article (id) ON DELETE CASCADE, document TSVECTOR NOT NULL,"
                " words TEXT NOT NULL)"
            )
        )
        connection.execute(
            text("CREATE INDEX ix_article_search_document ON article_search USING GIN (document)")
        )
        connection.execute(
            text(
                "CREATE INDEX ix_article_search_words ON article_search"
                " USING GIN (words gin_trgm_ops)"
            )
        )


def drop_index_tables(connection: Connection) -> None:
    tables = (
        ["article_fts", "article_trigram"]
        if connection.dialect.name == "sqlite"
        else ["article_search"]
    )
    for name in tables:
        connection.execute(text(f"DROP TABLE {name}"))
