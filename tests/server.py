"""Running the real ``akhbar`` command and a real uvicorn server in tests."""

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

AKHBAR = str(Path(sys.executable).parent / "akhbar")


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without its AKHBAR_* settings, plus ``settings``: a
    server under test gets only the configuration the test gives it. Its media library
    lives beside its database, never in the project's var/."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AKHBAR_")}
    database_url = settings.get("AKHBAR_DATABASE_URL")
    if database_url and "AKHBAR_MEDIA_DIR" not in settings:
        settings["AKHBAR_MEDIA_DIR"] = str(media_dir_for(database_url))
    return {**inherited, **settings}


def media_dir_for(database_url: str) -> Path:
    """The folder beside a SQLite file; one of the temporary folders for PostgreSQL."""
    if database_url.startswith("sqlite:///"):
        return Path(database_url.removeprefix("sqlite:///")).parent / "media"
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"akhbar-test-media-{digest}"


def akhbar(*args: str, database_url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = clean_environment(AKHBAR_DATABASE_URL=database_url)
    return subprocess.run(
        [AKHBAR, *args], env=env, capture_output=True, text=True, timeout=120, check=check
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> Iterator[str]:
    """`akhbar serve` on a free loopback port; yields its base URL, stops it afterwards
    (SIGTERM, as an orchestrator would). Its output goes to ``log_path`` if given."""
    with server_process(database_url, workers=workers, env=env, log_path=log_path) as served:
        yield served[0]


@contextmanager
def server_process(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like running_server, yielding the process too, for tests that signal it."""
    port = free_port()
    env = clean_environment(**(env or {}), AKHBAR_DATABASE_URL=database_url)
    with open(log_path, "w+b") if log_path else tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [AKHBAR, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"akhbar serve exited early:\n{log.read().decode()}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("akhbar serve did not answer within 20 s")
                time.sleep(0.1)
            yield base_url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.seek(0)
        defects = server_errors(log.read().decode(errors="replace"))
        # A served test fails when its server logged an unhandled error or a defect, even
        # if every answer the test looked at was right.
        assert not defects, "the server logged errors:\n" + "\n".join(defects)


def server_errors(log: str) -> list[str]:
    """The lines of a server's log that report an unhandled error or a defect."""
    return [
        line
        for line in log.splitlines()
        if line.startswith(("Traceback", "Exception in ASGI application"))
        or (
            '"level":"error"' in line
            and ('"logger":"akhbar.errors"' in line or "Exception in ASGI application" in line)
        )
    ]
