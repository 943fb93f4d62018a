"""Answers given at once: what a worker can answer from memory, without awaiting anything.

A cached read and a beacon for an article the worker knows are answered from memory. Each
middleware that can answer so has ``answer_now(scope)``: the answer, or None to let the
request take its way through the app. Its ASGI ``__call__`` sends the same answer, so any
ASGI server gets it; ``akhbar serve``'s protocol (app.http.server) asks ``answer_now``
before it makes a request's ASGI task, and writes the answer in one write. The edge
(app.http.middleware) adds its headers, metrics and access line either way.
"""

from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import Scope, Send


class Answer:
    """A whole answer: its status, its headers (with their content-length, where it has a
    body), as a list and as the header lines the server writes, and its body. The cache
    keeps these, so a hit makes none and writes lines made once."""

    __slots__ = ("_lines", "body", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes = b"",
        *,
        lines: bytes | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self._lines = lines

    @property
    def lines(self) -> bytes:
        """The headers as HTTP/1.1 header lines, each ending in CRLF."""
        if self._lines is None:
            self._lines = header_lines(self.headers)
        return self._lines

    def has(self, name: bytes) -> bool:
        """Whether it has the header ``name`` (lowercase, as answers here name them)."""
        return self.lines.startswith(name + b":") or b"\n" + name + b":" in self.lines


def header_lines(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    return b"".join(b"%s: %s\r\n" % pair for pair in headers)


AnswerNow = Callable[[Scope], Answer | None]


def answer_now_of(app: Any) -> AnswerNow | None:
    """The ``answer_now`` of an ASGI app, None if it answers nothing at once."""
    found = getattr(app, "answer_now", None)
    return found if callable(found) else None


async def send_answer(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})
