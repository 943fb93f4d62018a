"""A worker under the anonymous attacks of issue 17, item 1: does it stay small and quick?

    .venv/bin/python bench/attacks.py [--seconds 30]
    .venv/bin/python bench/attacks.py --postgres postgresql://postgres@127.0.0.1/test \\
        --redis redis://127.0.0.1:6379/0

Starts `akhbar serve` with one worker (demo content; SQLite, or a new PostgreSQL database
with Redis), measures its memory idle, then for ``--seconds`` runs every attack at once,
each from its own threads, while one more client asks /healthz every 20 ms:

- JSON bodies built to cost: 60 KiB of tens of thousands of values, and of one key
  repeated, posted as comments (no token);
- junk and varied query parameters on the article list (each variant a cache entry if the
  cache keyed on the raw query);
- searches of a dozen long words and of close spellings, from many addresses;
- header sections of 1 MiB, and connections that send their head one byte a second;
- live ticker streams, more than one client may hold.

Prints /healthz p50/p99/max, the worker's memory idle and at its largest, and what each
attack got back (status counts).
"""

import argparse
import json
import random
import socket
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_speed import LETTERS, _children, _rss_mib, database  # noqa: E402
from tests.server import akhbar, server_process  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--postgres", help="an admin URL; the bench makes its own database")
    parser.add_argument("--redis", help="a Redis URL (limits and cache), with --postgres")
    args = parser.parse_args()

    with database(args.postgres, articles=0, reuse=False) as (url, _):
        akhbar("migrate", database_url=url)
        akhbar("demo", database_url=url)
        env = {"AKHBAR_TRUSTED_PROXIES": "127.0.0.1"}
        if args.redis:
            env["AKHBAR_REDIS_URL"] = args.redis
        with server_process(url, workers=1, env=env) as (base_url, process):
            pids = _children(process.pid) or [process.pid]
            run(base_url, pids, args.seconds, "postgresql" if args.postgres else "sqlite")


def run(base_url: str, pids: list[int], seconds: float, backend: str) -> None:
    host, port = urlsplit(base_url).hostname or "", urlsplit(base_url).port or 80
    with httpx.Client(base_url=base_url) as client:
        for _ in range(50):  # warm up: a few of every kind of request
            client.get("/healthz")
            client.get("/v1/articles")
        article = client.get("/v1/articles", params={"limit": 1}).json()["data"][0]["id"]
    time.sleep(1)
    idle = max(_rss_mib(pid) for pid in pids)
    deadline = time.monotonic() + seconds
    statuses: dict[str, Counter] = defaultdict(Counter)
    health: list[float] = []
    rss: list[float] = []

    def http_attack(name: str, send: Callable[[httpx.Client, random.Random, int], httpx.Response]):
        def loop(n: int) -> None:
            rng = random.Random(n)
            headers = {"X-Forwarded-For": f"203.0.113.{n % 250 + 1}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
                while time.monotonic() < deadline:
                    try:
                        statuses[name][send(client, rng, n).status_code] += 1
                    except httpx.TransportError as exc:
                        statuses[name][type(exc).__name__] += 1

        return loop

    many_values = json.dumps({"author_name": "x", "body": "y", "e": [0] * 30_000})
    one_key = '{"author_name": "x", "body": "y", ' + '"k": 1, ' * 7_000 + '"z": 1}'

    def bodies(client: httpx.Client, rng: random.Random, n: int) -> httpx.Response:
        body = many_values if rng.random() < 0.5 else one_key
        return client.post(
            f"/v1/articles/{article}/comments",
            content=body,
            headers={"Content-Type": "application/json"},
        )

    def junk_params(client: httpx.Client, rng: random.Random, n: int) -> httpx.Response:
        if rng.random() < 0.5:
            return client.get("/v1/articles", params={f"junk{rng.random()}": "x" * 2000})
        return client.get(
            "/v1/articles",
            params={"limit": rng.randint(1, 100), "lang": rng.choice(["ar", "en", "fr"])},
        )

    def searches(client: httpx.Client, rng: random.Random, n: int) -> httpx.Response:
        words = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(6, 15))) for _ in range(12)]
        q = " ".join(words[: rng.choice([3, 12])])[:200]
        return client.get(
            "/v1/search",
            params={"q": q},
            headers={"X-Forwarded-For": f"198.51.{n}.{rng.randint(1, 250)}"},
        )

    def raw(name: str, payload: Callable[[socket.socket], None]) -> Callable[[int], None]:
        def loop(_n: int) -> None:
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection((host, port), timeout=15) as sock:
                        payload(sock)
                        answer = sock.recv(200).split(b" ", 2)
                        statuses[name][answer[1].decode() if len(answer) > 1 else "closed"] += 1
                except OSError as exc:
                    statuses[name][type(exc).__name__] += 1

        return loop

    def huge_head(sock: socket.socket) -> None:
        sock.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            for _ in range(16):
                sock.sendall(b"a" * 65536)
        except OSError:
            pass  # refused as soon as the limit came

    def slow_head(sock: socket.socket) -> None:
        for byte in b"GET /v1/articles HTTP/1.1\r\nHost: x\r\n":
            if time.monotonic() > deadline:
                return
            sock.send(bytes([byte]))
            time.sleep(1)

    def streams(n: int) -> None:
        held = []
        try:
            while time.monotonic() < deadline:
                client = httpx.Client(base_url=base_url, timeout=30)
                request = client.build_request("GET", "/v1/ticker/stream")
                response = client.send(request, stream=True)
                statuses["ticker streams"][response.status_code] += 1
                if response.status_code == 200:
                    held.append((client, response))
                else:
                    response.close()
                    client.close()
                time.sleep(0.5)
        finally:
            for client, response in held:
                response.close()
                client.close()

    def probe() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                health.append((time.perf_counter() - t0) * 1000)
                rss.append(max(_rss_mib(pid) for pid in pids))
                time.sleep(0.02)

    attacks: list[tuple[Callable[[int], None], int]] = [
        (http_attack("JSON bodies, 60 KiB", bodies), 2),
        (http_attack("junk query parameters", junk_params), 2),
        (http_attack("adversarial searches", searches), 2),
        (raw("1 MiB header sections", huge_head), 2),
        (raw("one byte a second", slow_head), 4),
        (streams, 1),
    ]
    threads = [threading.Thread(target=probe)]
    threads += [
        threading.Thread(target=attack, args=(n,))
        for attack, count in attacks
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    health.sort()
    print(f"database            {backend}, one worker, {seconds:.0f} s of every attack at once")
    print(
        f"/healthz            {len(health)} answers  p50 {statistics.median(health):.1f}  "
        f"p99 {health[int(len(health) * 0.99)]:.1f}  max {health[-1]:.1f} ms"
    )
    print(f"worker memory       idle {idle:.0f} MiB, at most {max(rss):.0f} MiB under attack")
    for name, counts in statuses.items():
        print(f"{name:20s}{dict(sorted(counts.items(), key=lambda kv: -kv[1]))}")


if __name__ == "__main__":
    main()
