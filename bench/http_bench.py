"""Read performance over HTTP: Akhbar against the ceiling of a Python server.

    .venv/bin/python bench/http_bench.py [--articles 10000] [--duration 10] [--connections 32]
                                          [--peers-report /tmp/peer-bench/peer-bench.md]

Installs wrk (Debian's package) if it is missing, generates N Arabic articles with three
approved comments each and a ticker into a fresh SQLite database, then, one server at a
time on loopback: `akhbar serve` with 1 and 2 workers, the same with the response cache
off, and a bare ASGI app (bench/bare_asgi.py) under the same uvicorn answering Akhbar's
own article-list bytes. Each endpoint gets a warm-up, then a timed wrk run (2 threads,
32 connections). Writes bench/RESULTS.md: requests/s, p50 and p99, the targets, the
memory of each worker, and the peer table of ../shared/bench-peers when given.
"""

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from bench.content import generate, load  # noqa: E402
from tests.server import clean_environment, free_port  # noqa: E402

BIN = Path(sys.executable).parent
WRK_SCRIPT = ROOT / "bench" / "wrk_report.lua"
TICKER = [
    "عاجل | وصول وفد المفاوضين إلى العاصمة",
    "خاص | البنك المركزي يبقي الفائدة دون تغيير",
    "افتتاح المعرض السنوي للكتاب",
    "المنتخب يتأهل إلى الدور النهائي",
]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: run `apt-get install wrk` as root, or this as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    return shutil.which("wrk") or "wrk"


def wrk(wrk_bin: str, url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> dict:
    command = [wrk_bin, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_SCRIPT), url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


class Server:
    """A server process on a loopback port, its workers' memory, and its end."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [part.replace("{port}", str(self.port)) for part in command]
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not start: {command} (see {log})") from None
                time.sleep(0.2)

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each process answering requests (the workers; the server
        itself when it has none)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        workers = [
            pid
            for pid in pids
            if "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text()
        ] or [self.process.pid]
        return [_rss_mib(pid) for pid in workers]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/akhbar-bench"))
    parser.add_argument("--peers-report", type=Path, help="peer-bench.md of ../shared/bench-peers")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    args.workdir.mkdir(parents=True, exist_ok=True)

    database = args.workdir / f"akhbar-{args.articles}.db"
    url = f"sqlite:///{database}"
    if not database.exists():
        started = time.monotonic()
        load(Settings(database_url=url), generate(args.articles), tickers=TICKER)
        print(f"loaded {args.articles} articles in {time.monotonic() - started:.0f} s")

    def akhbar(workers: int, **settings: str) -> Server:
        env = clean_environment(AKHBAR_DATABASE_URL=url, **settings)
        command = [str(BIN / "akhbar"), "serve", "--port", "{port}", "--workers", str(workers)]
        return Server(command, env, args.workdir / "akhbar.log")

    # The URLs, from a first server: an article in the middle, its ETag, page 5,000.
    probe = akhbar(1)
    listing = httpx.get(probe.url + "/v1/articles")
    middle = httpx.get(f"{probe.url}/v1/articles/{args.articles // 2}").json()
    slug_path = "/v1/articles/" + quote(middle["slug"])
    etag = httpx.get(probe.url + slug_path).headers["etag"]
    page_path = "/v1/articles?limit=2"
    for _ in range(4_999):  # walk the cursors once, as a client would
        cursor = httpx.get(probe.url + page_path).json()["meta"]["next_cursor"]
        page_path = f"/v1/articles?limit=2&cursor={cursor}"
    probe.stop()
    body_file = args.workdir / "list.json"
    body_file.write_bytes(listing.content)
    headers_file = args.workdir / "list.headers"
    skipped = {"date", "server", "content-length", "x-request-id"}
    headers_file.write_text(
        "".join(
            f"{name}: {value}\n" for name, value in listing.headers.items() if name not in skipped
        )
    )

    endpoints = {
        "article list": ("/v1/articles", {}),
        "article by Arabic slug": (slug_path, {}),
        "ticker": ("/v1/ticker", {}),
        "comments of an article": (f"/v1/articles/{middle['id']}/comments", {}),
        "search": ("/v1/search?q=" + quote("المتحف"), {}),
        "304 revalidation": (slug_path, {"If-None-Match": etag}),
        "page 1 (limit 2)": ("/v1/articles?limit=2", {}),
        "page 5,000 (limit 2)": (page_path, {}),
    }
    runs: list[tuple[str, str, dict]] = []
    memory: dict[str, list[float]] = {}

    def measure(name: str, server: Server, selected: dict) -> None:
        for label, (path, headers) in selected.items():
            wrk(
                wrk_bin,
                server.url + path,
                seconds=args.warmup,
                connections=args.connections,
                headers=headers,
            )
            result = wrk(
                wrk_bin,
                server.url + path,
                seconds=args.duration,
                connections=args.connections,
                headers=headers,
            )
            runs.append((name, label, result))
            print(
                f"{name:24} {label:26} {result['rps']:>9.0f}/s p50 {result['p50_ms']:.2f} "
                f"p99 {result['p99_ms']:.2f} non2xx {result['non2xx3xx']:.0f}",
                flush=True,
            )

    for workers in (1, 2):
        server = akhbar(workers)
        measure(f"akhbar-{workers}w", server, endpoints)
        memory[f"akhbar-{workers}w"] = server.worker_rss_mib()
        server.stop()
        for name, extra in (
            ("bare-asgi", {}),
            ("bare-asgi+headers", {"BARE_HEADERS": str(headers_file)}),
        ):
            bare = Server(
                [
                    str(BIN / "uvicorn"),
                    "bench.bare_asgi:app",
                    "--app-dir",
                    str(ROOT),
                    "--port",
                    "{port}",
                    "--workers",
                    str(workers),
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                {**os.environ, "BARE_BODY": str(body_file), **extra},
                args.workdir / "bare.log",
            )
            measure(f"{name}-{workers}w", bare, {"article list": ("/v1/articles", {})})
            bare.stop()
    quiet = akhbar(1, AKHBAR_ACCESS_LOG="false")
    measure(
        "akhbar-1w, no access log",
        quiet,
        {k: endpoints[k] for k in ("article list", "article by Arabic slug")},
    )
    quiet.stop()
    uncached = akhbar(1, AKHBAR_RESPONSE_CACHE_SECONDS="0")
    measure(
        "akhbar-1w, cache off",
        uncached,
        {
            k: endpoints[k]
            for k in (
                "article list",
                "article by Arabic slug",
                "search",
                "page 1 (limit 2)",
                "page 5,000 (limit 2)",
            )
        },
    )
    memory["akhbar-1w, cache off"] = uncached.worker_rss_mib()
    uncached.stop()

    report = render(args, runs, memory, listing_bytes=len(listing.content))
    args.out.write_text(report, encoding="utf-8")
    for log in ("akhbar.log", "bare.log"):  # a run's access lines fill gigabytes
        (args.workdir / log).unlink(missing_ok=True)
    print(f"wrote {args.out}")


def render(args: argparse.Namespace, runs: list, memory: dict, *, listing_bytes: int) -> str:
    by = {(name, label): result for name, label, result in runs}
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    lines = [
        "# Read benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"({cpu[1] if cpu else platform.processor()}), Python {platform.python_version()}, "
        f"SQLite, {args.articles:,} articles with 3 comments each, loopback.",
        "",
        f"Command: `.venv/bin/python bench/http_bench.py --articles {args.articles} "
        f"--duration {args.duration} --connections {args.connections}` "
        f"(wrk -t2 -c{args.connections}, {args.warmup} s warm-up, {args.duration} s measured, "
        "one server at a time; wrk and the server share the 2 cores).",
        "",
        "| server | endpoint | requests/s | p50 ms | p99 ms | non-2xx/3xx |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, label, r in runs:
        lines.append(
            f"| {name} | {label} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {r['non2xx3xx']:.0f} |"
        )
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    for server, bare in (
        ("akhbar-1w", "bare-asgi-1w"),
        ("akhbar-2w", "bare-asgi-2w"),
        ("akhbar-1w", "bare-asgi+headers-1w"),
        ("akhbar-1w, no access log", "bare-asgi+headers-1w"),
    ):
        ceiling = by[(bare, "article list")]["rps"]
        for label in ("article list", "article by Arabic slug"):
            ratio = by[(server, label)]["rps"] / ceiling
            lines.append(
                f"| {label}: {server} ≥ 0.6 × {bare} ({ceiling:,.0f}/s) "
                f"| {ratio:.2f} × | {'yes' if ratio >= 0.6 else 'no'} |"
            )
    served = [(r["p99_ms"], f"{n} {e}") for n, e, r in runs if n.startswith("akhbar")]
    worst = max(p for p in served if "cache off" not in p[1])
    slowest_off = max(p for p in served if "cache off" in p[1])
    lines.append(
        f"| p99 < 50 ms at {args.connections} connections (worst as served, cache on) | "
        f"{worst[0]:.1f} ms ({worst[1]}); with the cache off: {slowest_off[0]:.0f} ms "
        f"({slowest_off[1]}) | {'yes' if worst[0] < 50 else 'no'} |"
    )
    first = by[("akhbar-1w, cache off", "page 1 (limit 2)")]["rps"]
    deep = by[("akhbar-1w, cache off", "page 5,000 (limit 2)")]["rps"]
    lines.append(
        f"| page 5,000 within 1.2 × page 1 (cache off) | {first / deep:.2f} × the "
        f"time of page 1 | {'yes' if first / deep <= 1.2 else 'no'} |"
    )
    heaviest = max(max(v) for v in memory.values())
    lines.append(
        f"| memory per worker < 150 MB at {args.articles:,} articles | "
        f"{heaviest:.0f} MiB (largest worker) | {'yes' if heaviest < 150 else 'no'} |"
    )
    lines += [
        "",
        "Resident memory after the runs (MiB, per worker): "
        + "; ".join(
            f"{name}: {', '.join(f'{m:.0f}' for m in values)}" for name, values in memory.items()
        ),
        "",
        f"The article-list answer is {listing_bytes:,} bytes (20 items, no bodies); the bare "
        "ASGI app answers those same bytes.",
    ]
    if args.peers_report and args.peers_report.exists():
        lines += [
            "",
            "## Side by side with WordPress and Directus",
            "",
            args.peers_report.read_text(encoding="utf-8").replace("\n# ", "\n### "),
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
