"""Settings come from AKHBAR_* variables and .env, and a bad one stops start-up clearly."""

from pathlib import Path

import pytest

from app.core.config import DEFAULT_DATABASE_URL, PROJECT_ROOT, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("AKHBAR_DATABASE_URL", raising=False)


class TestSettings:
    def test_default_is_the_sqlite_file_under_var(self) -> None:
        settings = load_settings()

        assert settings.database_url == DEFAULT_DATABASE_URL
        assert f"sqlite:///{PROJECT_ROOT / 'var' / 'akhbar.db'}" == DEFAULT_DATABASE_URL
        assert settings.is_sqlite

    def test_environment_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AKHBAR_DATABASE_URL", "postgresql://news@db.internal/akhbar")

        settings = load_settings()

        assert settings.sqlalchemy_url.drivername == "postgresql+psycopg"
        assert settings.sqlalchemy_url.host == "db.internal"

    def test_dotenv_file(self, tmp_path: Path) -> None:
        (tmp_path / ".env").write_text("AKHBAR_DATABASE_URL=sqlite:///from-dotenv.db\n")

        assert load_settings().database_url == "sqlite:///from-dotenv.db"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("not a url", "AKHBAR_DATABASE_URL: Value error, not a database URL: 'not a url'"),
            (
                "mysql://root@localhost/news",
                "AKHBAR_DATABASE_URL: Value error, unsupported database 'mysql': "
                "use sqlite or postgresql",
            ),
        ],
    )
    def test_bad_value_is_one_clear_line(
        self, monkeypatch: pytest.MonkeyPatch, value: str, message: str
    ) -> None:
        monkeypatch.setenv("AKHBAR_DATABASE_URL", value)

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert str(raised.value) == f"invalid configuration: {message}"

    def test_bad_number_names_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AKHBAR_DATABASE_POOL_SIZE", "many")

        with pytest.raises(
            SettingsError, match=r"^invalid configuration: AKHBAR_DATABASE_POOL_SIZE"
        ):
            load_settings()


class TestCorsOrigins:
    @pytest.mark.parametrize(
        "value",
        [
            "https://www.example.com,https://m.example.com",
            " https://www.example.com ,\nhttps://m.example.com ",
            '["https://www.example.com", "https://m.example.com"]',
        ],
        ids=["commas", "spaces-and-lines", "json"],
    )
    def test_comma_separated_or_json(self, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
        monkeypatch.setenv("AKHBAR_CORS_ORIGINS", value)

        assert load_settings().cors_origins == ["https://www.example.com", "https://m.example.com"]

    def test_something_that_is_not_an_origin_stops_the_start(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AKHBAR_CORS_ORIGINS", "https://www.example.com;https://m.example.com")

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert str(raised.value) == (
            "invalid configuration: AKHBAR_CORS_ORIGINS: Value error, not an origin "
            "(scheme://host[:port]): 'https://www.example.com;https://m.example.com'"
        )
