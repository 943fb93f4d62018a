#!/usr/bin/env bash
# One line of versions for the peer report.
root="$(cd "$(dirname "$0")/../../.." && pwd)"
"$root/.venv/bin/python" -c 'import sys, fastapi, uvicorn, sqlalchemy, sqlite3
print(f"Akhbar {sys.argv[1]} (FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__} + uvloop + httptools, SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}, CPython {sys.version.split()[0]}); access log on, response cache on")' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo dev)"
