"""The ``akhbar`` command line: migrate, demo, serve, worker, openapi, tokens, search."""

import asyncio
import logging.config
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from app.auth.scopes import Scope
from app.core.config import PROJECT_ROOT, Settings, SettingsError, load_settings
from app.core.db import create_db_engine
from app.http.observability import MULTIPROCESS_DIR_VARIABLE, logging_config
from app.webhooks.worker import DeliveryWorker

cli = typer.Typer(help="Akhbar (أخبار): a headless, Arabic-first news content API.")
tokens_cli = typer.Typer(help="Mint, list and revoke API tokens.")
cli.add_typer(tokens_cli, name="tokens")
search_cli = typer.Typer(help="The full-text search index.")
cli.add_typer(search_cli, name="search")
import_cli = typer.Typer(help="Bring content over from another system.")
cli.add_typer(import_cli, name="import")
media_cli = typer.Typer(help="The media library's files.")
cli.add_typer(media_cli, name="media")

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
    """Load the demo content (Arabic articles, categories, tags, authors, ticker) into an
    empty database; a database with content is left as it is."""
    from app.demo.loader import load_demo_content

    report = load_demo_content(_settings())
    if report.already_has_content:
        typer.echo("demo content: none added, the database already has content")
    else:
        typer.echo(f"demo content: {report.created} created")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn (uvloop and httptools), JSON logs on stdout.

    On SIGTERM or Ctrl-C it stops accepting connections, lets requests in flight finish
    (up to 5 s) and exits."""
    settings = _settings()  # refuse a bad configuration here, with one clear line
    with _metrics_shared_by(workers):
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="app.http.server:ProblemHttpToolsProtocol",
            # The app reads X-Forwarded-For itself, only from AKHBAR_TRUSTED_PROXIES.
            proxy_headers=False,
            server_header=False,
            access_log=False,  # the app writes its own, with route, request id and timing
            log_config=logging_config(settings.log_level),
            # Live ticker streams never end by themselves: give them a few seconds, then
            # close them (clients reconnect, with Last-Event-ID, to another worker).
            timeout_graceful_shutdown=5,
        )


@cli.command()
def worker() -> None:
    """Deliver webhooks, apart from the API processes (set AKHBAR_WEBHOOKS_WORKER=false on
    those to leave it all to this one). Any number may run at once; each delivery goes
    out from one of them at a time. On SIGTERM or Ctrl-C it lets attempts in flight
    finish (a few seconds) and exits."""
    settings = _settings()
    logging.config.dictConfig(logging_config(settings.log_level))
    asyncio.run(_deliver_until_stopped(settings))


async def _deliver_until_stopped(settings: Settings) -> None:
    engine = create_db_engine(settings)
    delivery = DeliveryWorker(engine, settings)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, lambda: asyncio.ensure_future(delivery.stop()))
    logging.getLogger("akhbar.webhooks").info("webhook worker started")
    delivery.start()
    try:
        await delivery.finished()
    finally:
        engine.dispose()
    logging.getLogger("akhbar.webhooks").info("webhook worker stopped")


@contextmanager
def _metrics_shared_by(workers: int) -> Iterator[None]:
    """With several workers, give them a directory to share their metrics through
    (unless the operator chose one), removed when the server stops."""
    if workers == 1 or os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="akhbar-metrics-") as directory:
        os.environ[MULTIPROCESS_DIR_VARIABLE] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR_VARIABLE]


@cli.command()
def openapi(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the committed file differs.")
    ] = False,
    path: Annotated[Path, typer.Option(help="Where the schema lives.")] = OPENAPI_PATH,
) -> None:
    """Write the OpenAPI schema to openapi/openapi.json (or check that it is current)."""
    from app.http.openapi import render_openapi
    from app.main import create_app

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


@tokens_cli.command("create")
def create_token(
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    scope: Annotated[list[Scope], typer.Option(help="A scope to grant; repeat for several.")],
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Expire after this many days.")
    ] = None,
) -> None:
    """Mint a token. Its secret is the last line printed, and is never shown again."""
    from app.auth.schemas import TokenCreate
    from app.auth.service import create_token as mint
    from app.core.clock import utc_now
    from app.core.db import unit_of_work
    from app.wiring import session_for

    expires_at = utc_now() + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        data = TokenCreate(name=name, scopes=scope, expires_at=expires_at)
    except ValidationError as exc:
        typer.echo(f"akhbar: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None
    with session_for(_settings()) as session:
        with unit_of_work(session):
            token, secret = mint(
                session, name=data.name, scopes=data.scopes, expires_at=data.expires_at
            )
        typer.echo(
            f"token {token.id} ({token.name}): {token.scopes}, "
            f"expires {_when(token.expires_at)}. Store the secret now; it is not kept:"
        )
    typer.echo(secret)


@tokens_cli.command("list")
def list_tokens() -> None:
    """Every token, without secrets."""
    from app.auth.service import list_tokens as all_tokens
    from app.wiring import session_for

    with session_for(_settings()) as session:
        cursor: str | None = None
        typer.echo("id\tprefix\tname\tscopes\tcreated\texpires\tlast used\trevoked")
        while True:
            rows, cursor = all_tokens(session, limit=100, cursor=cursor)
            for t in rows:
                fields = [
                    str(t.id), f"akh_{t.prefix}…", t.name, t.scopes, _when(t.created_at),
                    _when(t.expires_at), _when(t.last_used_at), _when(t.revoked_at),
                ]  # fmt: skip
                typer.echo("\t".join(fields))
            if cursor is None:
                break


@tokens_cli.command("revoke")
def revoke_token(token_id: Annotated[int, typer.Argument(min=1, help="The token's id.")]) -> None:
    """Revoke a token: it stops working at once."""
    from app.auth.service import revoke_token as revoke
    from app.core.db import unit_of_work
    from app.core.errors import NotFound
    from app.wiring import session_for

    with session_for(_settings()) as session:
        try:
            with unit_of_work(session):
                token = revoke(session, token_id)
        except NotFound as exc:
            typer.echo(f"akhbar: {exc.detail}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"token {token.id} ({token.name}) revoked at {_when(token.revoked_at)}")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the search index from every article, with a progress bar."""
    from sqlmodel import func, select

    from app.models import Article
    from app.search.index import rebuild_index
    from app.wiring import session_for

    with session_for(_settings()) as session:
        total = session.exec(select(func.count()).select_from(Article)).one()
        with typer.progressbar(length=total, label="indexing", file=sys.stderr) as bar:
            done = rebuild_index(session, progress=bar.update)
    typer.echo(f"indexed {done} articles")


@media_cli.command("sweep")
def sweep_media(
    apply: Annotated[
        bool, typer.Option("--apply", help="Remove the files (without it: only list them).")
    ] = False,
    older_than: Annotated[
        float,
        typer.Option(
            min=0,
            help="Leave files written in the last this many hours (an upload may be under way).",
        ),
    ] = 1.0,
) -> None:
    """List the stored files no picture points to (left by a crash or a failed upload);
    with --apply, remove them."""
    from app.media.library import MediaLibrary
    from app.media.service import sweep
    from app.wiring import session_for

    settings = _settings()
    library = MediaLibrary.from_settings(settings)
    with session_for(settings) as session:
        strays = sweep(session, library, grace=timedelta(hours=older_than))
    for key in strays:
        typer.echo(key)
    if apply:
        library.remove(strays)
    verb = "removed" if apply else "would remove (run with --apply)"
    typer.echo(f"{len(strays)} stray file{'s' if len(strays) != 1 else ''}: {verb}", err=True)


@import_cli.command("wordpress")
def import_wordpress(
    file: Annotated[
        Path | None,
        typer.Argument(help="A WordPress export (Tools → Export, WXR).", dir_okay=False),
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Read a live site's REST API at this address instead.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="A WordPress user, for drafts.")] = None,
    app_password: Annotated[
        str | None,
        typer.Option(envvar="WORDPRESS_APP_PASSWORD", help="That user's application password."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check everything, write nothing.")
    ] = False,
    sticky: Annotated[
        str, typer.Option(help="What a sticky post becomes: breaking, exclusive or none.")
    ] = "breaking",
    concurrency: Annotated[
        int, typer.Option(min=1, max=16, help="Requests at once to the REST API.")
    ] = 4,
    retries: Annotated[
        int,
        typer.Option(min=0, max=10, help="Tries again after a failed request (1 s, 2 s, 4 s…)."),
    ] = 5,
    media: Annotated[
        bool,
        typer.Option(
            "--media",
            help="Bring the featured and in-body pictures into the media library (downloaded "
            "once; the bodies then show the library's files).",
        ),
    ] = False,
    media_from_private_addresses: Annotated[
        bool,
        typer.Option(
            "--media-from-private-addresses",
            help="Let --media download from loopback and private addresses (a site on your "
            "own network; never for a site you do not run).",
        ),
    ] = False,
) -> None:
    """Import a WordPress site: posts, categories, tags, authors, featured images and
    comments. Run it again at any time: what is unchanged is skipped, what changed is
    updated, what is new is added."""
    from app.importer import rest, wxr
    from app.importer.media import SiteMedia
    from app.importer.service import WordPressImporter
    from app.importer.wordpress import WpPost
    from app.media.library import MediaLibrary
    from app.wiring import session_for

    if (file is None) == (url is None):
        _fail("give a WXR file or --url, one of them")
    if sticky not in ("breaking", "exclusive", "none"):
        _fail(f"--sticky is breaking, exclusive or none, not {sticky!r}")
    settings = _settings()
    try:
        with session_for(settings) as session:
            pictures = (
                SiteMedia(
                    session,
                    MediaLibrary.from_settings(settings),
                    allow_private=media_from_private_addresses,
                    # A picture is not worth the wait a page of posts is (0.5 s, 1 s, 2 s).
                    retries=min(retries, 3),
                    retry_base_seconds=0.5,
                )
                if media and not dry_run
                else None
            )
            if file is not None:
                if not file.is_file():
                    _fail(f"no such file: {file}")
                found = wxr.survey(file)
                importer = WordPressImporter(
                    session,
                    found.site or file.resolve().as_uri(),
                    dry_run=dry_run,
                    sticky=sticky,  # type: ignore[arg-type]
                    media=found.attachments,
                    pictures=pictures,
                )
                total, records = found.posts, wxr.read(file)
            else:
                assert url is not None
                source = rest.RestSource(
                    url,
                    user=user,
                    app_password=app_password,
                    concurrency=concurrency,
                    retries=retries,
                )
                importer = WordPressImporter(
                    session,
                    source.site,
                    dry_run=dry_run,
                    sticky=sticky,  # type: ignore[arg-type]
                    pictures=pictures,
                )
                checkpoint = importer.source.checkpoint
                total = source.total_posts(checkpoint)
                records = source.records(checkpoint, on_checkpoint=importer.save_checkpoint)
            with _progress(total, "posts") as tick:
                for record in records:
                    importer.add(record)
                    if isinstance(record, WpPost):
                        tick()
            importer.finish()
    except (wxr.WxrError, rest.RestError) as exc:
        _fail(str(exc))
    typer.echo(
        ("dry run: nothing was written\n" if dry_run else "") + "\n".join(importer.report.lines())
    )
    if importer.report.failed:
        raise typer.Exit(1)


def _fail(message: str) -> None:
    typer.echo(f"akhbar: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _progress(total: int, what: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr: done / total, rate, time left."""
    started, terminal = time.monotonic(), sys.stderr.isatty()
    with typer.progressbar(
        length=max(total, 1), label=what, show_pos=True, show_eta=True, file=sys.stderr
    ) as bar:
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if terminal:  # the rate beside the label (elsewhere each change is a line)
                bar.label = f"{what} ({done / max(time.monotonic() - started, 1e-6):.0f}/s)"
            bar.update(1)

        yield tick


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"


def main() -> None:
    cli()
