#!/usr/bin/env python3
"""Akhbar as a peer of ../shared/bench-peers: load its dataset, write endpoints.tsv.

    EXTRA_PEERS_DIR=/path/to/akhbar/bench/peers bash up.sh akhbar   (start.sh, then this)

Runs under the project's virtualenv (re-executing itself there). Loading goes straight
into the SQLite file (bench/content.py) and is skipped when the same dataset (md5) is
already in it; start.sh loads before it starts the servers.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    if not VENV_PYTHON.exists():
        raise SystemExit(f"{VENV_PYTHON} missing: run `make test` in {ROOT} first")
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])

sys.path.insert(0, str(ROOT))
PEERS = os.environ.get("BENCH_PEERS_DIR", str(ROOT.parent / "shared" / "bench-peers" / "peers"))
sys.path.insert(0, PEERS)

from peerlib import BENCH_WORK, http, q, read_dataset, write_endpoints  # noqa: E402

from app.core.config import Settings  # noqa: E402
from bench.content import load  # noqa: E402

W = Path(BENCH_WORK) / "akhbar"
DATABASE = W / "akhbar.db"
PORTS = {
    "akhbar-1w": int(os.environ.get("AKHBAR1_PORT", 8093)),
    "akhbar-2w": int(os.environ.get("AKHBAR2_PORT", 8094)),
}


def ensure_loaded() -> None:
    _meta, articles, tickers, digest = read_dataset()
    marker = W / "dataset.md5"
    if DATABASE.exists() and marker.exists() and marker.read_text() == digest:
        return
    W.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DATABASE}{suffix}").unlink(missing_ok=True)
    count = load(
        Settings(database_url=f"sqlite:///{DATABASE}"),
        articles,
        tickers=[t["headline"] for t in tickers],
    )
    marker.write_text(digest)
    print(f"akhbar: loaded {count} articles", file=sys.stderr)


def main() -> None:
    ensure_loaded()
    if "--load-only" in sys.argv:
        return
    meta, *_ = read_dataset()
    rows = []
    for label, port in PORTS.items():
        base = f"http://127.0.0.1:{port}"
        status, article = http("GET", f"{base}/v1/articles/{q(meta['sample_slug'])}")
        if status != 200:
            raise SystemExit(f"{label}: the sample article is not served ({status})")
        rows += [
            (label, "list20", f"{base}/v1/articles?limit=20"),
            (label, "by_slug", f"{base}/v1/articles/{q(meta['sample_slug'])}"),
            (label, "comments", f"{base}/v1/articles/{article['id']}/comments"),
            (label, "search", f"{base}/v1/search?q={q(meta['search_word'])}&limit=20"),
        ]
    write_endpoints(str(W), rows)


if __name__ == "__main__":
    main()
