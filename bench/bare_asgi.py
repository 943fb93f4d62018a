"""The ceiling for a Python server: a raw ASGI app that answers every request with the
bytes in the file named by BARE_BODY (Akhbar's own answer to the article list), under the
same uvicorn (uvloop, httptools) as Akhbar. With BARE_HEADERS (a file of `name: value`
lines) it sends those headers too, e.g. Akhbar's caching and security headers.

    BARE_BODY=list.json uvicorn bench.bare_asgi:app --loop uvloop --http httptools
"""

import os
from pathlib import Path

BODY = Path(os.environ["BARE_BODY"]).read_bytes()
HEADERS = [(b"content-type", b"application/json")]
if os.environ.get("BARE_HEADERS"):
    lines = Path(os.environ["BARE_HEADERS"]).read_bytes().splitlines()
    HEADERS = [tuple(part.strip() for part in line.split(b":", 1)) for line in lines if line]
HEADERS.append((b"content-length", str(len(BODY)).encode()))


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
