"""The one ASGI middleware every HTTP request passes first.

It gives each request an id (the client's ``X-Request-ID`` when it is safe, else a new
one) and returns it; refuses, before the app sees them, a Host that is not allowed, NUL in
the URL and a body declared larger than the limit; counts the body as the app reads it
and answers 413 the moment it passes the limit (nothing larger is ever held in memory);
adds the security headers to every answer; turns an unhandled exception into a 500
problem that carries the same headers; and writes the access log line and the metrics.
It does the same for an answer given at once (``answer_now``, app.http.immediate).
"""

import itertools
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from urllib.parse import unquote_to_bytes

from fastapi import HTTPException
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import FieldError, problem_response
from app.http.immediate import Answer, answer_now_of, header_lines
from app.http.observability import (
    AccessLog,
    Answered,
    Metrics,
    accepted_request_id,
    request_fields,
    request_id_var,
)

error_log = logging.getLogger("akhbar.errors")

# JSON needs no scripts, styles or frames; the docs pages set their own policy.
JSON_CONTENT_SECURITY_POLICY = b"default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
UNMATCHED_ROUTE = "<unmatched>"


def _new_request_ids() -> Iterator[str]:
    """Ids unique to each request of this process, and to the process (a random prefix):
    32 hex digits, as a random id would be, without a system call for each."""
    prefix = os.urandom(8).hex()
    for n in itertools.count():
        yield f"{prefix}{n:016x}"


def _start_request_ids() -> None:
    global _request_ids
    _request_ids = _new_request_ids()


_request_ids = _new_request_ids()
os.register_at_fork(after_in_child=_start_request_ids)  # a forked worker: a prefix of its own


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the {limit} bytes accepted here")


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        max_public_body_bytes: int | None = None,
        larger_bodies: Mapping[str, int] | None = None,
        allowed_hosts: Sequence[str] = ("*",),
        hsts_seconds: int = 0,
        access_log: AccessLog | None = None,
    ) -> None:
        self.app = app
        self._inner_answer_now = answer_now_of(app)
        self.access_log = access_log
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.max_public_body_bytes = min(max_public_body_bytes or max_body_bytes, max_body_bytes)
        # Paths whose writes (with a token) may send more than max_body_bytes: uploads.
        self.larger_bodies = dict(larger_bodies or {})
        self.allowed_hosts = [host.lower() for host in allowed_hosts]
        self.headers = list(SECURITY_HEADERS)
        if hsts_seconds:
            self.headers.append((b"strict-transport-security", b"max-age=%d" % hsts_seconds))
        # What is added to an answer without a policy of its own, and to one with it.
        self._added = (
            [(b"content-security-policy", JSON_CONTENT_SECURITY_POLICY), *self.headers],
            self.headers,
        )
        self._added_lines = tuple(header_lines(headers) for headers in self._added)

    def answer_now(self, scope: Scope) -> Answer | None:
        """The answer the app has at once for a request without a body, with this
        middleware's headers, metrics and access line; None if it has none."""
        inner = self._inner_answer_now
        if inner is None or scope["type"] != "http":
            return None
        started_at = time.perf_counter()
        request_headers = _headers(scope)
        if (
            request_headers.get("content-length", "0") != "0"
            or "transfer-encoding" in request_headers
            or self._refusal(scope, request_headers, self.max_public_body_bytes) is not None
        ):
            return None
        head = scope["method"] == "HEAD"
        app_scope = {**scope, "method": "GET"} if head else scope
        answer = inner(app_scope)
        if answer is None:
            return None
        request_id = self._request_id(request_headers)
        self._record(scope, app_scope, request_headers, request_id, answer.status, started_at)
        has_policy = answer.has(b"content-security-policy")
        id_header = (b"x-request-id", request_id.encode())
        return Answer(
            answer.status,
            [*answer.headers, *self._added[has_policy], id_header],
            b"" if head else answer.body,
            lines=answer.lines + self._added_lines[has_policy] + header_lines((id_header,)),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        request_headers = _headers(scope)
        request_id = self._request_id(request_headers)
        token = request_id_var.set(request_id)
        status = 500
        response_started = False
        # HEAD is GET without the body, wherever GET is served: the app answers a GET (the
        # same headers, validators and 304s), and only the headers leave. Once they have,
        # the server's receive() reports the exchange over, which ends a stream too.
        head = scope["method"] == "HEAD"
        app_scope = {**scope, "method": "GET"} if head else scope
        body_sent = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started, body_sent
            if head and message["type"] == "http.response.body":
                if body_sent:
                    return
                body_sent = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = self._with_headers(
                    message.get("headers", ()), status, request_id
                )
            await send(message)

        received = 0
        # A request without a token is a reader's (the only anonymous write is a comment):
        # its body gets the small limit.
        limit = (
            self.larger_bodies.get(scope["path"], self.max_body_bytes)
            if "authorization" in request_headers
            else self.max_public_body_bytes
        )

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        self.metrics.in_flight.inc()
        try:
            refusal = self._refusal(scope, request_headers, limit)
            if refusal is not None:
                await refusal(app_scope, receive, send_with_headers)
            else:
                await self.app(app_scope, receive_within_limit, send_with_headers)
        except BodyTooLarge as exc:
            if response_started:
                raise
            await problem_response(413, str(exc.detail))(app_scope, receive, send_with_headers)
        except Exception:
            error_log.exception("unhandled error", extra={"fields": _request_fields(scope)})
            if response_started:
                raise
            response = problem_response(500, "the server failed to answer this request")
            await response(app_scope, receive, send_with_headers)
        finally:
            self.metrics.in_flight.dec()
            self._record(scope, app_scope, request_headers, request_id, status, started_at)
            request_id_var.reset(token)

    def _request_id(self, request_headers: dict[str, str]) -> str:
        return accepted_request_id(request_headers.get("x-request-id")) or next(_request_ids)

    def _with_headers(
        self, headers: Iterable[tuple[bytes, bytes]], status: int, request_id: str
    ) -> list[tuple[bytes, bytes]]:
        """An answer's headers and those of the edge."""
        headers = list(headers)
        has_policy = any(name.lower() == b"content-security-policy" for name, _ in headers)
        if status == 413:  # the rest of the body is unread: no further requests
            headers.append((b"connection", b"close"))
        return [*headers, *self._added[has_policy], (b"x-request-id", request_id.encode())]

    def _record(
        self,
        scope: Scope,
        app_scope: Scope,
        request_headers: dict[str, str],
        request_id: str,
        status: int,
        started_at: float,
    ) -> None:
        """The metrics and the access line of an answered request."""
        seconds = time.perf_counter() - started_at
        route = getattr(app_scope.get("route"), "path", None) or UNMATCHED_ROUTE
        self.metrics.observe_request(scope["method"], route, status, seconds)
        if self.access_log is not None:
            client = scope.get("client")
            self.access_log.write(
                Answered(
                    request_id,
                    scope["method"],
                    scope["path"],
                    scope.get("query_string"),
                    route,
                    status,
                    seconds,
                    client[0] if client else None,
                    request_headers.get("user-agent"),
                )
            )

    def _refusal(self, scope: Scope, headers: dict[str, str], limit: int) -> Response | None:
        if "*" not in self.allowed_hosts and not _host_allowed(
            headers.get("host", ""), self.allowed_hosts
        ):
            return problem_response(400, "this server does not answer for that Host")
        if "\x00" in scope["path"]:
            return _nul_problem("path")
        if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            return _nul_problem("query")
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return problem_response(413, str(BodyTooLarge(limit).detail))
        return None


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _request_fields(scope: Scope) -> dict[str, object]:
    return request_fields(scope["method"], scope["path"], scope.get("query_string"))


def _host_allowed(host: str, allowed: Sequence[str]) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower()
    return any(
        name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:]))
        for pattern in allowed
    )


def _nul_problem(where: str) -> Response:
    # PostgreSQL cannot store or compare NUL and SQLite can: refusing it at the door makes
    # both databases answer alike, whatever parameter it hides in.
    return problem_response(
        422,
        "NUL characters are not allowed in URLs",
        errors=[FieldError(loc=[where], message="contains NUL", type="nul")],
    )
