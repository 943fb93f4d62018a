"""The ``akhbar`` command line: migrate, demo, serve, openapi."""

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app.config import PROJECT_ROOT, Settings, SettingsError, load_settings

cli = typer.Typer(help="Akhbar (أخبار): a headless, Arabic-first news content API.")

OPENAPI_PATH = PROJECT_ROOT / "openapi" / "openapi.json"


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"akhbar: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def migrate() -> None:
    """Upgrade the database to the latest schema revision."""
    from app.ops.migrations import upgrade_to_head

    upgrade_to_head(_settings())
    typer.echo("database migrated to head")


@cli.command()
def demo() -> None:
    """Load the demo content (Arabic articles, categories, tags, authors). Idempotent."""
    from app.demo.loader import load_demo_content

    report = load_demo_content(_settings())
    typer.echo(f"demo content: {report.created} created, {report.unchanged} already present")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn."""
    _settings()  # refuse a bad configuration here, with one clear line
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
    )


@cli.command()
def openapi(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the committed file differs.")
    ] = False,
    path: Annotated[Path, typer.Option(help="Where the schema lives.")] = OPENAPI_PATH,
) -> None:
    """Write the OpenAPI schema to openapi/openapi.json (or check that it is current)."""
    from app.main import create_app
    from app.openapi import render_openapi

    current = render_openapi(create_app(_settings()))
    if check:
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        if committed != current:
            typer.echo(f"{path} is out of date: run `akhbar openapi`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} is current")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current, encoding="utf-8")
    typer.echo(f"wrote {path}")


def main() -> None:
    cli()
