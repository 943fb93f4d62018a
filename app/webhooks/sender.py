"""One delivery attempt: a signed POST to an address checked at this moment.

A small HTTP/1.1 client (h11, which uvicorn already brings) rather than a general one, so
that nothing the general ones do behind our back applies: no proxy from the environment,
no redirect followed (a 3xx is a failure, not a hop to an unchecked address), no second
DNS lookup between the check and the connection. The whole attempt, from the lookup to the
last byte read, has one deadline, and at most ``MAX_RESPONSE_BYTES`` of the answer are read.
"""

import asyncio
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import h11

from app.core.clock import utc_now
from app.http.outbound import UnsafeTarget, resolve_target
from app.webhooks.signing import signed_headers

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Akhbar-Webhooks/1.0"
ERROR_MAX = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    # Seconds the receiver asked us to wait (Retry-After on a 429 or 503).
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def send(
    url: str,
    *,
    body: bytes,
    timeout: float,
    allow_private: bool,
    signed: tuple[str, str] | None = None,
    content_type: str = "application/json",
) -> Outcome:
    """POST ``body`` to ``url``, signed with (secret, message id) when ``signed`` is given;
    never raises."""
    started = time.monotonic()

    def outcome(status: int | None, error: str | None, retry_after: float | None = None) -> Outcome:
        elapsed = round((time.monotonic() - started) * 1000)
        return Outcome(status, error[:ERROR_MAX] if error else None, elapsed, retry_after)

    try:
        async with asyncio.timeout(timeout):
            host, port, addresses = await asyncio.to_thread(
                resolve_target, url, allow_private=allow_private
            )
            parts = urlsplit(url)
            headers = {
                "Host": parts.netloc,
                "User-Agent": USER_AGENT,
                "Content-Type": content_type,
                "Content-Length": str(len(body)),
                "Connection": "close",
            }
            if signed is not None:
                headers |= signed_headers(*signed, int(time.time()), body)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            tls = parts.scheme == "https"
            status, reason, retry_after = await _post(
                [str(a) for a in addresses], port, host, tls, target, headers, body
            )
    except UnsafeTarget as exc:
        return outcome(None, f"refused target: {exc}")
    except TimeoutError:
        return outcome(None, f"no answer within {timeout:g} s")
    except (OSError, h11.ProtocolError, ssl.SSLError) as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    error = None if 200 <= status < 300 else f"HTTP {status}" + (f": {reason}" if reason else "")
    return outcome(status, error, retry_after)


async def _post(
    addresses: list[str],
    port: int,
    host: str,
    tls: bool,
    target: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[int, str, float | None]:
    """The status, a line of the answer's body, and its Retry-After, from the first of the
    addresses that accepts a connection."""
    context = ssl.create_default_context() if tls else None
    last_error: OSError = OSError(f"{host} has no address")
    for address in addresses:
        try:
            reader, writer = await asyncio.open_connection(
                address, port, ssl=context, server_hostname=host if tls else None
            )
        except OSError as exc:
            last_error = exc
            continue
        try:
            return await _exchange(reader, writer, target, headers, body)
        finally:
            writer.close()
    raise last_error


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    target: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[int, str, float | None]:
    connection = h11.Connection(our_role=h11.CLIENT)
    request = h11.Request(method="POST", target=target, headers=list(headers.items()))
    writer.write(connection.send(request) or b"")
    writer.write(connection.send(h11.Data(data=body)) or b"")
    writer.write(connection.send(h11.EndOfMessage()) or b"")
    await writer.drain()
    response: h11.Response | None = None
    content = bytearray()
    received = 0
    while received <= MAX_RESPONSE_BYTES:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            chunk = await reader.read(16 * 1024)
            received += len(chunk)
            connection.receive_data(chunk)
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            if len(content) < ERROR_MAX:
                content += event.data[: ERROR_MAX - len(content)]
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    if response is None:
        if received > MAX_RESPONSE_BYTES:
            raise OSError(f"no status line in the first {MAX_RESPONSE_BYTES} bytes of the answer")
        raise OSError("the receiver closed the connection without an answer")
    # What a failure said, for the delivery log: one line of text.
    said = " ".join(content.decode("utf-8", "replace").split())[:200]
    return response.status_code, said, _retry_after(response)


def _retry_after(response: h11.Response) -> float | None:
    if response.status_code not in (429, 503):
        return None
    for name, value in response.headers:
        if name == b"retry-after":
            text = value.decode("latin-1").strip()
            if text.isdigit():
                return float(text)
            try:
                return max(0.0, (parsedate_to_datetime(text) - utc_now()).total_seconds())
            except (TypeError, ValueError):
                return None
    return None
