"""GET /v1/ticker/stream against real servers: changes arrive live, on any worker."""

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest

from app.auth.scopes import Scope
from app.core.config import Settings
from app.wiring import session_for
from tests.factories import bearer, make_headline, make_token
from tests.server import running_server

# Changes must reach a stream within 2 s; the watchers poll every second.
DEADLINE = 2.5


@dataclass
class Event:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [headline["text"] for headline in json.loads(self.data)["data"]]


class EventStream:
    """Reads an SSE response on a thread, so that a test can wait with a timeout."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self._events: queue.Queue[Event] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        current = Event()
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if current.data or current.comments:
                        self._events.put(current)
                    current = Event()
                elif line.startswith(":"):
                    current.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "data":
                        current.data += value
                    elif name in ("id", "event"):
                        setattr(current, name, value)
        except httpx.HTTPError:
            pass  # the test closed the stream

    def next(self, timeout: float = DEADLINE) -> Event:
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout} s") from None

    def close(self) -> None:
        """Hang up, as a browser tab closing does (and unblock the reading thread)."""
        sock = self.response.extensions["network_stream"].get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self._events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@contextmanager
def stream(base_url: str, headers: dict[str, str] | None = None) -> Iterator[EventStream]:
    with (
        httpx.Client(base_url=base_url, timeout=httpx.Timeout(30, read=None)) as client,
        client.stream("GET", "/v1/ticker/stream", headers=headers or {}) as response,
    ):
        events = EventStream(response)
        try:
            yield events
        finally:
            events.close()


@pytest.fixture
def editor_and_server(settings: Settings) -> Iterator[tuple[httpx.Client, str]]:
    with session_for(settings) as session:
        make_headline(session, "خاص | أول", position=0)
        headers = bearer(make_token(session, Scope.ticker_write))
    with (
        running_server(settings.database_url, workers=2) as base_url,
        httpx.Client(base_url=base_url, headers=headers, timeout=30) as editor,
    ):
        yield editor, base_url


class TestTickerStream:
    def test_sends_the_list_then_every_change(
        self, editor_and_server: tuple[httpx.Client, str]
    ) -> None:
        editor, base_url = editor_and_server
        with stream(base_url) as events:
            first = events.next()
            created = editor.post("/v1/ticker", json={"text": "عاجل | ثانٍ"}).json()
            after_create = events.next()
            editor.put("/v1/ticker/order", json={"ids": [created["id"]]})
            after_reorder = events.next()
            editor.patch(f"/v1/ticker/{created['id']}", json={"is_active": False})
            after_update = events.next()
            editor.delete(f"/v1/ticker/{created['id']}")
            after_delete_of_hidden = events.nothing_within(1.5)

        assert events.status_code == 200
        assert events.response.headers["content-type"].startswith("text/event-stream")
        assert (first.event, first.texts()) == ("ticker", ["أول"])
        assert after_create.texts() == ["أول", "ثانٍ"]
        assert after_reorder.texts() == ["ثانٍ", "أول"]
        assert after_update.texts() == ["أول"]
        # Deleting a headline nobody could see changes nothing on the bar: no event.
        assert after_delete_of_hidden
        assert len({first.id, after_create.id, after_reorder.id, after_update.id}) == 4

    def test_a_window_closing_by_itself_is_sent(
        self, editor_and_server: tuple[httpx.Client, str]
    ) -> None:
        editor, base_url = editor_and_server
        ends_at = datetime.now(UTC) + timedelta(seconds=2)
        editor.post("/v1/ticker", json={"text": "مؤقت", "ends_at": ends_at.isoformat()})

        with stream(base_url) as events:
            while_open = events.next()
            closed = events.next(timeout=2 + DEADLINE)

        assert while_open.texts() == ["أول", "مؤقت"]
        assert closed.texts() == ["أول"]
        assert datetime.now(UTC) >= ends_at

    def test_last_event_id_of_the_current_list_is_not_sent_again(
        self, editor_and_server: tuple[httpx.Client, str]
    ) -> None:
        editor, base_url = editor_and_server
        with stream(base_url) as events:
            current = events.next()

        with stream(base_url, headers={"Last-Event-ID": str(current.id)}) as resumed:
            nothing_yet = resumed.nothing_within(1.5)
            editor.post("/v1/ticker", json={"text": "جديد"})
            change = resumed.next()

        assert nothing_yet
        assert change.texts() == ["أول", "جديد"]

    def test_a_client_may_hold_only_a_few_streams(self, settings: Settings) -> None:
        limited = {"AKHBAR_TICKER_STREAMS_PER_CLIENT": "2"}
        with running_server(settings.database_url, env=limited) as base_url:
            with stream(base_url) as one, stream(base_url) as two:
                one.next()
                two.next()
                refused = httpx.get(f"{base_url}/v1/ticker/stream", timeout=10)
            # A closed stream frees its slot as soon as the server sees the disconnect.
            deadline = time.monotonic() + DEADLINE
            while httpx.get(f"{base_url}/v1/ticker", timeout=10).status_code == 200:
                with stream(base_url) as again:
                    if again.status_code == 200:
                        again_first = again.next()
                        break
                assert time.monotonic() < deadline, "the closed streams' slots were not freed"
                time.sleep(0.1)

        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "30"
        assert refused.json()["detail"] == "at most 2 open ticker streams per client"
        assert again_first.event == "ticker"

    def test_limits_count_readers_behind_the_proxy_and_the_worker_as_a_whole(
        self, settings: Settings
    ) -> None:
        env = {
            "AKHBAR_TRUSTED_PROXIES": "127.0.0.1",
            "AKHBAR_TICKER_STREAMS_PER_CLIENT": "1",
            "AKHBAR_TICKER_STREAMS_MAX": "2",
        }

        def reader(address: str) -> dict[str, str]:
            return {"X-Forwarded-For": address}

        with (
            running_server(settings.database_url, env=env) as base_url,
            stream(base_url, headers=reader("198.51.100.1")) as first,
            stream(base_url, headers=reader("198.51.100.2")) as second,
        ):
            # Two readers behind one proxy each get their own stream…
            first.next()
            second.next()
            # …one of them, no second one…
            again = httpx.get(
                f"{base_url}/v1/ticker/stream", headers=reader("198.51.100.1"), timeout=10
            )
            # …and a third reader finds the worker full.
            third = httpx.get(
                f"{base_url}/v1/ticker/stream", headers=reader("198.51.100.3"), timeout=10
            )

        assert again.status_code == 429
        assert third.status_code == 503
        assert third.headers["retry-after"] == "30"
        assert third.json()["detail"] == (
            "this server follows 2 ticker streams already: reconnect later, or poll GET /v1/ticker"
        )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_quiet_stream_gets_a_heartbeat_comment_every_15_seconds(settings: Settings) -> None:
    with running_server(settings.database_url) as base_url, stream(base_url) as events:
        events.next()
        started = time.monotonic()
        heartbeat = events.next(timeout=17)
        waited = time.monotonic() - started

    assert heartbeat.comments == ["ping"]
    assert heartbeat.data == ""
    assert 14 <= waited <= 16
