"""The `akhbar` command, run as a user runs it."""

from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, select

from app.auth.secrets import is_well_formed
from app.core.config import Settings
from app.core.db import create_db_engine
from app.demo.loader import demo_content
from app.models import Article, Author, Category, Tag
from tests.server import akhbar


def row_counts(database_url: str) -> dict[str, int]:
    engine = create_db_engine(Settings(database_url=database_url))
    try:
        with Session(engine) as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Article, Category, Tag, Author)
            }
    finally:
        engine.dispose()


class TestMigrateAndDemo:
    def test_demo_twice_changes_nothing(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'news.db'}"
        content = demo_content()
        total = sum(
            len(content[key]) for key in ("categories", "tags", "authors", "articles", "ticker")
        )

        migrated = akhbar("migrate", database_url=url)
        first = akhbar("demo", database_url=url)
        counts_after_first = row_counts(url)
        second = akhbar("demo", database_url=url)

        assert migrated.stdout == "database migrated to head\n"
        assert first.stdout == f"demo content: {total} created\n"
        assert second.stdout == "demo content: none added, the database already has content\n"
        assert (
            row_counts(url)
            == counts_after_first
            == {
                "Article": len(content["articles"]),
                "Category": len(content["categories"]),
                "Tag": len(content["tags"]),
                "Author": len(content["authors"]),
            }
        )

    def test_bad_configuration_is_one_line_and_exit_2(self, tmp_path: Path) -> None:
        result = akhbar("migrate", database_url="mysql://x@y/z", check=False)

        assert result.returncode == 2
        assert result.stderr == (
            "akhbar: invalid configuration: AKHBAR_DATABASE_URL: Value error, "
            "unsupported database 'mysql': use sqlite or postgresql\n"
        )

    def test_serve_refuses_bad_configuration_before_listening(self) -> None:
        result = akhbar("serve", "--port", "1", database_url="not a url", check=False)

        assert result.returncode == 2
        assert result.stderr.startswith("akhbar: invalid configuration: AKHBAR_DATABASE_URL")


class TestOpenapiCommand:
    def test_writes_the_schema_and_check_detects_drift(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'unused.db'}"
        target = tmp_path / "openapi.json"

        written = akhbar("openapi", "--path", str(target), database_url=url)
        current = akhbar("openapi", "--check", "--path", str(target), database_url=url)
        target.write_text(target.read_text().replace("Akhbar", "Akhbar-old", 1))
        drifted = akhbar("openapi", "--check", "--path", str(target), database_url=url, check=False)

        assert written.stdout == f"wrote {target}\n"
        assert current.returncode == 0
        assert drifted.returncode == 1
        assert drifted.stderr == f"{target} is out of date: run `akhbar openapi`\n"

    def test_committed_schema_passes_the_check(self, tmp_path: Path) -> None:
        result = akhbar("openapi", "--check", database_url=f"sqlite:///{tmp_path / 'u.db'}")

        assert result.returncode == 0


class TestTokensCommands:
    def test_create_list_revoke(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'news.db'}"
        akhbar("migrate", database_url=url)

        created = akhbar(
            "tokens", "create", "--name", "غرفة الأخبار", "--scope", "articles:write",
            "--scope", "taxonomy:write", "--expires-in-days", "30", database_url=url,
        )  # fmt: skip
        secret = created.stdout.splitlines()[-1]
        listed = akhbar("tokens", "list", database_url=url)
        revoked = akhbar("tokens", "revoke", "1", database_url=url)
        missing = akhbar("tokens", "revoke", "2", database_url=url, check=False)
        listed_after = akhbar("tokens", "list", database_url=url)

        assert is_well_formed(secret)
        assert created.stdout.startswith("token 1 (غرفة الأخبار): articles:write taxonomy:write")
        header, row = listed.stdout.splitlines()
        assert header.split("\t") == [
            "id", "prefix", "name", "scopes", "created", "expires", "last used", "revoked",
        ]  # fmt: skip
        fields = row.split("\t")
        assert fields[:4] == [
            "1",
            f"akh_{secret[4:12]}…",
            "غرفة الأخبار",
            "articles:write taxonomy:write",
        ]
        assert fields[6:] == ["never", "never"]
        assert secret not in listed.stdout
        assert revoked.stdout.startswith("token 1 (غرفة الأخبار) revoked at ")
        assert missing.returncode == 1
        assert missing.stderr == "akhbar: no token with id 2\n"
        assert listed_after.stdout.splitlines()[1].split("\t")[7] != "never"

    def test_unknown_scope_is_refused(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'news.db'}"

        result = akhbar(
            "tokens", "create", "--name", "x", "--scope", "root", database_url=url, check=False
        )

        assert result.returncode == 2
        assert "'root' is not one of" in result.stderr


class TestSearchReindex:
    def test_rebuilds_a_lost_index(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'news.db'}"
        akhbar("migrate", database_url=url)
        akhbar("demo", database_url=url)
        engine = create_db_engine(Settings(database_url=url))
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM article_fts"))
        engine.dispose()

        result = akhbar("search", "reindex", database_url=url)

        engine = create_db_engine(Settings(database_url=url))
        with engine.connect() as connection:
            indexed = connection.execute(text("SELECT count(*) FROM article_fts")).scalar_one()
        engine.dispose()
        articles = len(demo_content()["articles"])
        assert result.stdout.splitlines()[-1] == f"indexed {articles} articles"
        assert indexed == articles
