"""The HTTP/1.1 protocol ``akhbar serve`` runs: uvicorn's httptools protocol, bounded.

What happens here happens before the app sees a request, so it answers as the app would
(an ``application/problem+json`` document), then closes the connection:

- a request the parser cannot read is a 400. The usual one is a URL with raw non-ASCII
  bytes (`curl '…?category=اقتصاد'` sends them as typed): HTTP allows only ASCII in the
  request line. Uvicorn answers a bare ``text/plain`` line; here it says how to send it.
- a header section larger than ``AKHBAR_HTTP_MAX_HEAD_BYTES`` is a 431, as soon as that
  many bytes have come without its end (the parser would otherwise buffer a header line
  of any size: eight connections sending 64 MiB lines grew a worker by 512 MiB);
- a request head not complete ``AKHBAR_HTTP_HEAD_TIMEOUT_SECONDS`` after the connection
  opened or its previous answer went out is a 408 (a client that sends a header byte
  every few seconds would otherwise hold a connection forever). Idle keep-alive
  connections are closed by uvicorn's own keep-alive timeout.

And a request the app can answer at once (app.http.immediate: a cached read, a known
beacon) is answered here, in one write, without the ASGI task, messages and awaits a
request otherwise costs. Only when nothing else is under way on the connection (answers
stay in order) and its client reads what it is sent (otherwise the request waits its
turn as any other, and so does reading from that client).
"""

import asyncio
import gc
import logging
import urllib.parse
from functools import cache, lru_cache
from types import SimpleNamespace

import orjson
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from app.core.config import Settings, load_settings
from app.core.errors import PROBLEM_MEDIA_TYPE, problem_type
from app.http.immediate import Answer, answer_now_of, header_lines

error_log = logging.getLogger("akhbar.errors")


@lru_cache(maxsize=1024)
def _unquote_known(path: str) -> str:
    return urllib.parse.unquote(path)


def _unquote(path: str) -> str:
    return _unquote_known(path) if len(path) <= 1024 else urllib.parse.unquote(path)


# Uvicorn decodes each request's path with urllib.parse.unquote, its only use of urllib:
# for an Arabic slug (a few hundred characters of %XX) that was a third of what a cached
# answer cost. The same paths come again and again: the last thousand short ones are
# remembered (at most a few MiB, whatever paths clients make up).
httptools_impl.urllib = SimpleNamespace(parse=SimpleNamespace(unquote=_unquote))  # type: ignore[attr-defined,assignment]

UNPARSABLE_DETAIL = (
    "this is not a valid HTTP request: a URL must be ASCII, with any other character "
    "percent-encoded (curl: -G --data-urlencode 'q=…'; browsers and HTTP libraries do it)"
)
HEAD_END = b"\r\n\r\n"


@lru_cache(maxsize=1)
def _default_lines(headers: tuple[tuple[bytes, bytes], ...]) -> bytes:
    # The server's own headers (its date, renewed each second), written once a second.
    return header_lines(headers)


@cache
def _settings() -> Settings:
    # The worker's own settings, read once: the server checked them before it started.
    return load_settings()


@cache
def _freeze_what_start_made() -> None:
    """At the worker's first connection, put what its start made (modules, the app, its
    routes, models and settings: some 100,000 objects) out of the garbage collector's
    sight. A full collection walks every object it sees while the event loop waits: with
    them, 50-100 ms stalls under a trickle of comment posts, a few a minute."""
    gc.collect()
    gc.freeze()


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes = 0
    _in_head = True
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _freeze_what_start_made()
        super().connection_made(transport)
        self._start_head_timer()  # a connection that asks nothing is closed

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            room = _settings().http_max_head_bytes - self._head_bytes
            # The head may end inside this chunk, and a body follow it: only the head counts.
            if len(data) > room and HEAD_END not in data[: room + len(HEAD_END)]:
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"the request's header section is larger than the "
                    f"{_settings().http_max_head_bytes} bytes accepted here",
                )
                return
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes and self._head_timer is None:
            # A head arriving in pieces: it has the head timeout to end. (A whole head in
            # one read, nearly every request, never needs the timer.)
            self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next head: uvicorn's keep-alive timeout guards the wait for its first byte.
        self._in_head, self._head_bytes = True, 0

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        answer = self._answer_now(cycle, app)
        if answer is None:
            super()._start_asgi_task(cycle, app)
            return
        self.transport.writelines(
            (
                STATUS_LINE[answer.status],
                _default_lines(tuple(self.server_state.default_headers)),
                answer.lines,
                b"\r\n" if cycle.keep_alive else b"connection: close\r\n\r\n",
                answer.body,
            )
        )
        cycle.response_complete = True  # what the parser reads of it next is dropped
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _answer_now(self, cycle: RequestResponseCycle, app: ASGI3Application) -> Answer | None:
        # (app is not the app when uvicorn refuses the request: over its concurrency limit)
        answer_now = answer_now_of(app) if app is self.app else None
        if answer_now is None or self.flow.write_paused:
            return None
        try:
            return answer_now(cycle.scope)  # type: ignore[arg-type]
        except Exception:  # the app's own way will answer it, or say what failed
            error_log.exception("answering at once failed")
            return None

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "Bad Request", UNPARSABLE_DETAIL)

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(
            _settings().http_head_timeout_seconds, self._head_timed_out
        )

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and self._head_bytes and not self.transport.is_closing():
            self._refuse(
                408,
                "Request Timeout",
                f"the request's head did not arrive within "
                f"{_settings().http_head_timeout_seconds:g} s",
            )
        elif self._in_head and not self.transport.is_closing():
            self.transport.close()  # nothing was asked: nothing to answer

    def _refuse(self, status: int, title: str, detail: str) -> None:
        body = orjson.dumps(
            {"type": problem_type(status), "title": title, "status": status, "detail": detail}
        )
        head = [f"HTTP/1.1 {status} {title}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
            b"content-length: %d" % len(body),
            b"connection: close",
        ]
        self._stop_head_timer()
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()
