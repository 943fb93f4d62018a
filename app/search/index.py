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

from collections.abc import Callable, Iterable

from sqlalchemy import Connection, text
from sqlmodel import Session, col, select

from app.models import Article
from app.text.arabic import key_tokens, stems

SEARCH_TABLES = ("article_fts", "article_trigram", "article_search")


def _keys(value: str | None) -> str:
    return " ".join(key_tokens(value or ""))


def _stems(*values: str | None) -> str:
    return " ".join(
        sorted({s for value in values for t in key_tokens(value or "") for s in stems(t)})
    )


def index_article(session: Session, article: Article) -> None:
    """Put the article's current text in the index (flushes; the caller commits)."""
    session.flush()
    params = {
        "id": article.id,
        "title": _keys(article.title),
        "excerpt": _keys(article.excerpt),
        "body": _keys(article.body_text),
        "title_stems": _stems(article.title),
        "excerpt_stems": _stems(article.excerpt),
        "body_stems": _stems(article.body_text),
        "words": _stems(article.title, article.excerpt),
    }
    if session.get_bind().dialect.name == "sqlite":
        assert article.id is not None
        remove_article(session, article.id)
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
        for table in ("article_fts", "article_trigram"):
            session.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), {"id": article_id})
    # On PostgreSQL the row goes with the article (ON DELETE CASCADE).


def rebuild_index(
    session: Session, *, progress: Callable[[int], None] | None = None, batch: int = 500
) -> int:
    """Index every article again, a batch per transaction; the number indexed."""
    last_id, done = 0, 0
    while True:
        articles: Iterable[Article] = session.exec(
            select(Article).where(col(Article.id) > last_id).order_by(col(Article.id)).limit(batch)
        ).all()
        articles = list(articles)
        if not articles:
            return done
        for article in articles:
            index_article(session, article)
        session.commit()
        last_id = articles[-1].id or last_id
        done += len(articles)
        if progress is not None:
            progress(len(articles))


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
    for table in tables:
        connection.execute(text(f"DROP TABLE {table}"))
