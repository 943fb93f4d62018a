"""Request ids, JSON log lines and Prometheus metrics.

Every log line is one JSON object on stdout, with the id of the request it belongs to.
Log lines are scrubbed of anything shaped like an API token, a bearer credential or an
e-mail address, whatever logged them.

Metrics live in this process, or, when ``PROMETHEUS_MULTIPROC_DIR`` is set (``akhbar serve
--workers N`` sets it), in files that every worker writes, so that ``/metrics`` on any
worker answers for all of them.
"""

import asyncio
import logging
import os
import re
import time
from bisect import bisect_left
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, event

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# What a client may send as X-Request-ID and see in the logs: no spaces, quotes or
# control characters (they would let a client forge log lines), at most 128 characters.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_SECRETS = (
    # API tokens (akh_), and preview links' secrets (akp_): the key is the whole secret.
    (re.compile(r"(ak[hp])_[0-9A-Za-z_-]+"), r"\1_[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), r"\1 [redacted]"),
    (
        re.compile(r"[^\s\"'<>@,;:()\[\]\\]+@[^\s\"'<>@,;:()\[\]\\]+\.[^\s\"'<>@,;:()\[\]\\]+"),
        "[e-mail]",
    ),
)


_CREDENTIAL_HINT = re.compile(r"(?i)bearer|basic")


def accepted_request_id(value: str | None) -> str | None:
    """The client's X-Request-ID when it is safe to log and return, else None."""
    return value if value is not None and _REQUEST_ID.fullmatch(value) else None


def redact(text: str) -> str:
    if (
        "@" not in text
        and "akh_" not in text
        and "akp_" not in text
        and not _CREDENTIAL_HINT.search(text)
    ):
        return text  # the common case, without three regular expressions
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extra fields
    given as ``extra={"fields": {...}}`` and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(entry, default=str).decode())


def logging_config(level: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` that ``akhbar serve`` hands uvicorn: JSON lines on
    stdout for uvicorn's own messages and Akhbar's; uvicorn's access log off (the app
    writes a richer one)."""
    handler = {"handlers": ["stdout"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "uvicorn": handler,
            "uvicorn.access": {"handlers": [], "propagate": False},
            "akhbar": handler,
        },
        "root": {"handlers": ["stdout"], "level": "WARNING"},
    }


def request_fields(method: str, path: str, query_string: bytes | None) -> dict[str, Any]:
    """What a log line says of a request: its method, path and query, secrets redacted."""
    query = unquote_plus(query_string.decode("latin-1")) if query_string else None
    return {"method": method, "path": redact(path), "query": redact(query) if query else None}


@dataclass(slots=True)  # not frozen: a frozen one's fields cost a call each to set
class Answered:
    """What the access log says of an answered request."""

    request_id: str
    method: str
    path: str
    query_string: bytes | None
    route: str
    status: int
    seconds: float
    client: str | None
    user_agent: str | None
    at: float = field(default_factory=time.time)

    def line(self) -> dict[str, Any]:
        return {
            "time": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "akhbar.access",
            "message": "request",
            "request_id": self.request_id,
            **request_fields(self.method, self.path, self.query_string),
            "route": self.route,
            "status": self.status,
            "duration_ms": round(self.seconds * 1000, 2),
            "client": self.client,
            "user_agent": redact(self.user_agent) if self.user_agent is not None else None,
        }


class AccessLog:
    """One JSON line per answered request on stdout.

    The same shape as the other log lines, without the logging module (its records cost
    more than everything else a cached answer does), made and written in batches: what
    each request was waits at most ``flush_seconds`` (or until 256 have gathered), then
    their lines are made together and written at once. A busy worker makes one write for
    many requests, and each request costs it a record, not a JSON line made between two
    answers (which cost a cached answer a third of its speed)."""

    def __init__(self, fd: int = 1, *, flush_seconds: float = 0.05, batch: int = 256) -> None:
        self._fd = fd
        self._flush_seconds = flush_seconds
        self._batch = batch
        self._pending: list[Answered] = []
        self._timer: asyncio.TimerHandle | None = None

    def write(self, answered: Answered) -> None:
        self._pending.append(answered)
        if len(self._pending) >= self._batch:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not in an event loop: nothing would flush later
                self.flush()
                return
            self._timer = loop.call_later(self._flush_seconds, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        lines = bytearray()
        for answered in self._pending:
            lines += orjson.dumps(answered.line(), option=orjson.OPT_APPEND_NEWLINE)
        self._pending.clear()
        view = memoryview(lines)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        view.release()


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Tally:
    """The requests of one label set not yet handed to Prometheus."""

    __slots__ = ("buckets", "count", "histogram", "requests", "seconds")

    def __init__(self, requests: Any, histogram: Any) -> None:
        self.requests, self.histogram = requests, histogram
        self.count, self.seconds = 0, 0.0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last: +Inf

    def hand_over(self) -> None:
        self.requests.inc(self.count)
        # What Histogram.observe does for one observation, for all of them at once.
        self.histogram._sum.inc(self.seconds)
        for n, (count, bucket) in enumerate(
            zip(self.buckets, self.histogram._buckets, strict=True)
        ):
            if count:
                bucket.inc(count)
                self.buckets[n] = 0
        self.count, self.seconds = 0, 0.0


class Metrics:
    """The application's Prometheus metrics. Routes are labelled by their template
    (``/v1/articles/{ref}``), never by the path a client sent."""

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None
        # In multiprocess mode the values go to files and are read back from there.
        registry = None if self.multiprocess_dir else CollectorRegistry()
        self._registry = registry
        # Requests and cache hits are counted here and handed to Prometheus once per turn
        # of the event loop (and before a scrape): a busy worker's answer costs a few
        # additions, not a lock and a shared-memory write for each value.
        self._tallies: dict[tuple[str, str, int], _Tally] = {}
        self._counted: list[_Tally] = []  # those with requests to hand over
        self._hits = 0
        self._handing_over = False
        self.requests = Counter(
            "akhbar_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "akhbar_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "akhbar_http_requests_in_flight",
            "Requests being answered now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_in_use = Gauge(
            "akhbar_db_pool_connections_in_use",
            "Database connections checked out of the pool now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_capacity = Gauge(
            "akhbar_db_pool_connections_max",
            "Database connections the pool may open (size plus overflow).",
            registry=registry,
            multiprocess_mode="livesum",
        )

        self.cache_lookups = Counter(
            "akhbar_response_cache_lookups",
            "Public answers: served from the response cache (hit), made by the app and "
            "kept (miss), or made while the cache is off or cannot hear changes (bypass).",
            ["result"],
            registry=registry,
        )
        self._hit_lookups = self.cache_lookups.labels("hit")  # shown from the start, at 0
        self.media_uploads = Counter(
            "akhbar_media_uploads",
            "Pictures uploaded to the media library, by what was detected in them.",
            ["format"],
            registry=registry,
        )
        self.media_bytes = Counter(
            "akhbar_media_stored_bytes",
            "Bytes of the files made from uploaded pictures and stored.",
            registry=registry,
        )
        self.media_processing = Histogram(
            "akhbar_media_processing_seconds",
            "Time to check an uploaded picture and make every file served from it.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
            registry=registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        tally = self._tallies.get(key)
        if tally is None:  # the label look-ups take a lock: once per label set
            labels = (method, route, str(status))
            tally = _Tally(self.requests.labels(*labels), self.latency.labels(*labels))
            self._tallies[key] = tally
        if not tally.count:
            self._counted.append(tally)
        tally.count += 1
        tally.seconds += seconds
        tally.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self._hand_over_soon()

    def cache_hit(self) -> None:
        self._hits += 1
        self._hand_over_soon()

    def hand_over(self) -> None:
        """Give Prometheus what was counted since the last time."""
        self._handing_over = False
        for tally in self._counted:
            tally.hand_over()
        self._counted.clear()
        if self._hits:
            self._hit_lookups.inc(self._hits)
            self._hits = 0

    def _hand_over_soon(self) -> None:
        if self._handing_over:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in an event loop: now
            self.hand_over()
            return
        self._handing_over = True
        loop.call_soon(self.hand_over)

    def watch_pool(self, engine: Engine) -> None:
        pool = engine.pool
        size = getattr(pool, "size", None)
        overflow = getattr(pool, "_max_overflow", 0)
        if callable(size):
            self.pool_capacity.set(size() + max(overflow, 0))
        event.listen(pool, "checkout", lambda *_: self.pool_in_use.inc())
        event.listen(pool, "checkin", lambda *_: self.pool_in_use.dec())

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (of every worker), as handed
        over (``hand_over``, in the event loop: counting is not thread-safe)."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
