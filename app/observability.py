"""Request ids, JSON log lines and Prometheus metrics.

Every log line is one JSON object on stdout, with the id of the request it belongs to.
Log lines are scrubbed of anything shaped like an API token, a bearer credential or an
e-mail address, whatever logged them.

Metrics live in this process, or, when ``PROMETHEUS_MULTIPROC_DIR`` is set (``akhbar serve
--workers N`` sets it), in files that every worker writes, so that ``/metrics`` on any
worker answers for all of them.
"""

import logging
import os
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

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
    (re.compile(r"akh_[0-9A-Za-z]+"), "akh_[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), r"\1 [redacted]"),
    (
        re.compile(r"[^\s\"'<>@,;:()\[\]\\]+@[^\s\"'<>@,;:()\[\]\\]+\.[^\s\"'<>@,;:()\[\]\\]+"),
        "[e-mail]",
    ),
)


def accepted_request_id(value: str | None) -> str | None:
    """The client's X-Request-ID when it is safe to log and return, else None."""
    return value if value is not None and _REQUEST_ID.fullmatch(value) else None


def redact(text: str) -> str:
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


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The application's Prometheus metrics. Routes are labelled by their template
    (``/v1/articles/{ref}``), never by the path a client sent."""

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None
        # In multiprocess mode the values go to files and are read back from there.
        registry = None if self.multiprocess_dir else CollectorRegistry()
        self._registry = registry
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
            "kept (miss), or made with no change counter to trust (bypass).",
            ["result"],
            registry=registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        status_label = str(status)
        self.requests.labels(method, route, status_label).inc()
        self.latency.labels(method, route, status_label).observe(seconds)

    def watch_pool(self, engine: Engine) -> None:
        pool = engine.pool
        size = getattr(pool, "size", None)
        overflow = getattr(pool, "_max_overflow", 0)
        if callable(size):
            self.pool_capacity.set(size() + max(overflow, 0))
        event.listen(pool, "checkout", lambda *_: self.pool_in_use.inc())
        event.listen(pool, "checkin", lambda *_: self.pool_in_use.dec())

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (of every worker)."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
