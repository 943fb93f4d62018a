"""Webhook delivery: how soon a receiver hears of a write, and how many events per second
go out, with the worker inside the API process and with `akhbar worker` apart.

    .venv/bin/python bench/webhooks_bench.py [--writes 200] [--burst 1000]

For each mode, on a fresh SQLite database and loopback only: one `akhbar serve` (and, in
the second mode, one `akhbar worker` beside an API that runs none), one subscription to a
receiver in this process that answers 200 at once. Then:

- latency: `--writes` articles published one after the other through the API; for each,
  the time from the API's 201 to the receiver having the event;
- throughput: `--burst` articles published through the API as fast as one client can,
  and the time from the first write to the last event received.

Writes bench/WEBHOOKS.md.
"""

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2 as httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.scopes import Scope  # noqa: E402
from app.auth.service import create_token  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.models import WebhookSubscription  # noqa: E402
from app.ops.migrations import upgrade_to_head  # noqa: E402
from app.wiring import session_for  # noqa: E402
from tests.server import AKHBAR, clean_environment, server_process  # noqa: E402

BIN = Path(sys.executable).parent


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}  # article id → time.monotonic() it came
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.arrivals[str(body["data"]["article"]["id"])] = time.monotonic()
                    receiver.lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait_for(self, count: int, timeout: float = 300) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: len(self.arrivals) >= count, timeout)


@contextmanager
def deployment(separate_worker: bool, directory: Path) -> Iterator[tuple[str, str, Receiver]]:
    database_url = f"sqlite:///{directory / ('separate' if separate_worker else 'inside')}.db"
    settings = Settings(database_url=database_url)
    upgrade_to_head(settings)
    receiver = Receiver()
    with session_for(settings) as session:
        session.add(
            WebhookSubscription(
                url=receiver.url,
                events=["article.published"],
                secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            )
        )
        session.commit()
        _token, secret = create_token(session, name="bench", scopes=[Scope.admin])
    env = {
        "AKHBAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "AKHBAR_ACCESS_LOG": "false",
        "AKHBAR_WEBHOOKS_WORKER": "false" if separate_worker else "true",
    }
    worker = None
    if separate_worker:
        worker = subprocess.Popen(
            [AKHBAR, "worker"],
            env=clean_environment(
                AKHBAR_DATABASE_URL=database_url, AKHBAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true"
            ),
            stdout=subprocess.DEVNULL,
        )
    try:
        with server_process(database_url, env=env) as (base_url, _process):
            yield base_url, secret, receiver
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()
        receiver.server.shutdown()


def publish(client: httpx.Client, token: str, n: int) -> str:
    response = client.post(
        "/v1/articles",
        json={"title": f"خبر للقياس رقم {n}", "body": "<p>نص قصير.</p>", "status": "published"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def measure(separate_worker: bool, writes: int, burst: int, directory: Path) -> dict[str, float]:
    with (
        deployment(separate_worker, directory) as (base_url, token, receiver),
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        latencies, write_times = [], []
        for n in range(writes):
            started = time.monotonic()
            article_id = publish(client, token, n)
            answered = time.monotonic()
            write_times.append(answered - started)
            with receiver.lock:
                receiver.lock.wait_for(lambda wanted=article_id: wanted in receiver.arrivals, 30)
                latencies.append(receiver.arrivals[article_id] - answered)
        started = time.monotonic()
        for n in range(burst):
            publish(client, token, writes + n)
        written = time.monotonic()
        receiver.wait_for(writes + burst)
        last = max(receiver.arrivals.values())
    latencies.sort()
    return {
        "write_p50_ms": statistics.median(write_times) * 1000,
        "latency_p50_ms": statistics.median(latencies) * 1000,
        "latency_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "latency_max_ms": latencies[-1] * 1000,
        "burst_write_per_s": burst / (written - started),
        "burst_delivered_per_s": burst / (last - started),
        "burst_lag_s": max(0.0, last - written),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for separate in (False, True):
            result = measure(separate, args.writes, args.burst, Path(directory))
            rows.append(("`akhbar worker` apart" if separate else "inside the API", result))
            print(rows[-1], flush=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Webhook delivery",
        "",
        f"`.venv/bin/python bench/webhooks_bench.py --writes {args.writes} --burst "
        f"{args.burst}`, {when}, {platform.node()}: one `akhbar serve` (1 worker) on SQLite,",
        "one subscription, a receiver on 127.0.0.1 answering 200 at once, all on the same",
        "2 cores. Latency: from the API's 201 for a published article to the receiver",
        f"having its event, over {args.writes} writes made one after the other. Burst:",
        f"{args.burst} articles published as fast as one client can; delivered/s counts from",
        "the first write to the last event received, lag from the last write's answer.",
        "",
        "| worker | write p50 ms | latency p50 ms | p99 ms | max ms "
        "| burst writes/s | delivered/s | lag s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['write_p50_ms']:.1f} | {r['latency_p50_ms']:.1f} "
            f"| {r['latency_p99_ms']:.1f} | {r['latency_max_ms']:.1f} "
            f"| {r['burst_write_per_s']:.0f} | {r['burst_delivered_per_s']:.0f} "
            f"| {r['burst_lag_s']:.2f} |"
        )
    lines += [
        "",
        "Inside the API, a commit that wrote an event wakes that process's worker at once.",
        "A worker apart finds it on its next look (`AKHBAR_WEBHOOKS_POLL_SECONDS`, 1 s):",
        "here each write waits for the previous event, so that look always comes a full",
        "interval after the last delivery; writes at random moments wait half of it on",
        "average.",
        "",
    ]
    (ROOT / "bench" / "WEBHOOKS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
