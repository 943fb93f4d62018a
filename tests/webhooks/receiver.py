"""A real webhook receiver on 127.0.0.1: it records every POST and answers from a script."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it came

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Answers each POST with the next of ``statuses`` (200 once they run out), after
    ``delay`` seconds; a failure says ``Retry-After: retry_after`` when that is given."""

    def __init__(
        self,
        statuses: list[int] | None = None,
        *,
        delay: float = 0.0,
        port: int = 0,
        retry_after: str | None = None,
    ) -> None:
        self.statuses = list(statuses or [])
        self.delay = delay
        self.retry_after = retry_after
        self.received: list[Received] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._lock.notify_all()
                time.sleep(receiver.delay)
                answer = b"ok" if status < 300 else "عطل مؤقت".encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    if status >= 400 and receiver.retry_after is not None:
                        self.send_header("Retry-After", receiver.retry_after)
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # several workers connect at once

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/akhbar"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """The first ``count`` requests, once they have come (AssertionError if not)."""
        with self._lock:
            arrived = self._lock.wait_for(lambda: len(self.received) >= count, timeout)
            assert arrived, f"{len(self.received)} of {count} requests came in {timeout} s"
            return list(self.received[:count])

    def types(self) -> list[str]:
        with self._lock:
            return [request.json["type"] for request in self.received]


@contextmanager
def receiving(statuses: list[int] | None = None, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(statuses, **options)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
