"""The application factory."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Scope

from app.articles.beacons import ViewBeacons
from app.articles.router import article_moved, preview_router
from app.articles.router import router as articles_router
from app.articles.service import ArticleMoved
from app.articles.views import ViewCounter, create_view_counter, keep_recording
from app.auth.router import router as tokens_router
from app.comments.router import router as comments_router
from app.comments.service import CommentPolicy
from app.core.changes import create_change_feed
from app.core.config import Settings, load_settings
from app.core.db import create_db_engine, session_gate
from app.core.errors import install_error_handlers
from app.core.site import Site, use_site
from app.feeds.router import router as feeds_router
from app.feeds.router import sitemaps as sitemaps_router
from app.http.immediate import Answer, answer_now_of
from app.http.limits import RateLimited, create_limiter, rate_limited
from app.http.middleware import EdgeMiddleware
from app.http.observability import AccessLog, Metrics
from app.http.openapi import DESCRIPTION, build_openapi, install_docs, operation_id
from app.http.resources import Resources, resources_of
from app.http.response_cache import ResponseCacheMiddleware
from app.media.library import MediaLibrary
from app.media.router import files as media_files
from app.media.router import router as media_router
from app.models.media import serve_files_from
from app.ops.migrations import Revisions
from app.ops.router import router as ops_router
from app.search.router import SearchGate, related_router
from app.search.router import router as search_router
from app.taxonomy.router import router as taxonomy_router
from app.ticker.router import router as ticker_router
from app.ticker.stream import TickerWatcher
from app.webhooks.router import events as webhook_events
from app.webhooks.router import router as webhooks_router
from app.webhooks.worker import DeliveryWorker
from app.wiring import clock_changes, event_handlers

# What browsers on the frontends' origins may send and read (tokens travel in a header,
# never in cookies, so credentials stay off).
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "Last-Event-ID",
    "X-Request-ID",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Last-Modified",
    "Link",
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-Request-ID",
]


class AkhbarAPI(FastAPI):
    """FastAPI, with Akhbar's own middleware (the edge, then the response cache) in front
    of FastAPI's layers rather than inside them: a cached answer is sent before the
    framework's error, telemetry and body-limit layers see the request (5 % more hits a
    second). The edge answers every unhandled error, so Starlette's 500 page, which it
    made unreachable, is left out."""

    def build_middleware_stack(self) -> ASGIApp:
        ours, self.user_middleware = self.user_middleware, []
        try:
            framework = super().build_middleware_stack()
        finally:
            self.user_middleware = ours
        app = framework.app if isinstance(framework, ServerErrorMiddleware) else framework
        for middleware in reversed(ours):
            app = middleware.cls(app, *middleware.args, **middleware.kwargs)
        return app

    def answer_now(self, scope: Scope) -> Answer | None:
        """The answer this app has at once for ``scope`` (app.http.immediate), once its
        middleware is built (by the first request)."""
        answer_now = answer_now_of(self.middleware_stack)
        return answer_now(scope) if answer_now is not None else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    serve_files_from(settings.media_public_url)
    use_site(Site.from_settings(settings))
    revisions = Revisions.of(settings)  # read once: a worker's code does not change

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings)
        metrics.watch_pool(engine)
        watcher = TickerWatcher(
            engine,
            poll_seconds=settings.ticker_poll_seconds,
            streams_per_client=settings.ticker_streams_per_client,
            streams_max=settings.ticker_streams_max,
        )
        feed = create_change_feed(settings)
        worker = DeliveryWorker(engine, settings) if settings.webhooks_worker else None
        resources = Resources(
            settings=settings,
            metrics=metrics,
            event_handlers=event_handlers(),
            engine=engine,
            session_gate=session_gate(engine),
            limiter=create_limiter(settings.redis_url, prefix=settings.redis_prefix),
            change_feed=feed,
            clock_changes=clock_changes(),
            on_commit=[
                *([feed.heard_locally] if feed else []),
                *([worker.on_commit] if worker else []),
            ],
            parts={
                CommentPolicy: CommentPolicy.from_settings(settings),
                TickerWatcher: watcher,
                SearchGate: SearchGate(settings.search_concurrency),
                MediaLibrary: MediaLibrary.from_settings(settings),
                Revisions: revisions,
                ViewCounter: create_view_counter(settings),
            },
        )
        app.state.resources = resources
        if feed is not None:
            await feed.start()
        if worker is not None:
            worker.start()
        recording = asyncio.create_task(keep_recording(resources.part(ViewCounter), engine))
        try:
            yield
        finally:
            recording.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recording
            if worker is not None:
                await worker.stop()
            if feed is not None:
                await feed.aclose()
            if access_log is not None:
                access_log.flush()
            await watcher.close()
            resources.limiter.close()
            resources.part(ViewCounter).close()
            engine.dispose()
            app.state.resources = None

    app = AkhbarAPI(
        title="Akhbar",
        version="1.0.0",
        summary="A headless, Arabic-first news content API.",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /v1/articles/ is not /v1/articles: a 404, not a redirect to an absolute URL
        # built from whatever Host the request named.
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        # Akhbar exports its own Prometheus metrics; FastAPI's OpenTelemetry hooks would
        # cost every request a look at the global providers.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    metrics = Metrics()
    access_log = (
        AccessLog() if settings.access_log and settings.log_level in ("debug", "info") else None
    )
    install_error_handlers(app)
    app.add_exception_handler(ArticleMoved, article_moved)
    app.add_exception_handler(RateLimited, rate_limited)
    app.add_middleware(
        ResponseCacheMiddleware,
        resources=lambda: resources_of(app),
        metrics=metrics,
        seconds=settings.response_cache_seconds,
        max_entries=settings.response_cache_entries,
        max_bytes=settings.response_cache_bytes,
        # Files are streamed (and ranged), and a CDN or the browser keeps them a year.
        # Sitemaps of the index are streamed: as large as a month of articles.
        bypass=("/media/", "/sitemaps/pages/"),
    )
    app.add_middleware(ViewBeacons, resources=lambda: resources_of(app))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    # Added last, so it is the outermost: it sees every request and every answer.
    app.add_middleware(
        EdgeMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_public_body_bytes=settings.max_public_body_bytes,
        # An upload is the picture and a few short fields.
        larger_bodies={"/v1/media": settings.media_max_bytes + (64 << 10)},
        allowed_hosts=settings.allowed_hosts,
        hsts_seconds=settings.hsts_seconds,
        access_log=access_log,
    )
    app.include_router(articles_router)
    app.include_router(preview_router)
    app.include_router(taxonomy_router)
    app.include_router(search_router)
    app.include_router(related_router)
    app.include_router(comments_router)
    app.include_router(ticker_router)
    app.include_router(tokens_router)
    app.include_router(webhooks_router)
    app.webhooks.include_router(webhook_events)
    app.include_router(media_router)
    app.include_router(media_files)
    app.include_router(feeds_router)
    app.include_router(sitemaps_router)
    app.include_router(ops_router)
    install_docs(app)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app
