"""Typed clients see typed answers: the committed schema, turned into TypeScript by
openapi-typescript (pinned in clients/typescript), compiles a reader's program that lists
articles, reads one by slug, pages with the cursor, searches, reads comments and the
ticker and posts a comment, under `tsc --strict`, with no cast."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).parent.parent / "clients" / "typescript"


def test_the_typescript_client_compiles_strictly() -> None:
    npm = shutil.which("npm")
    if npm is None:
        reason = "npm is not installed (Node.js 20 and npm: Debian's nodejs and npm packages)"
        if os.environ.get("AKHBAR_TEST_TYPESCRIPT") == "required":
            pytest.fail(reason)
        pytest.skip(reason)
    for step in (["ci", "--no-audit", "--no-fund", "--loglevel=error"], ["run", "check"]):
        done = subprocess.run([npm, *step], cwd=CLIENT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm {step[0]}:\n{done.stdout}\n{done.stderr}"

    generated = (CLIENT / "generated" / "akhbar.d.ts").read_text(encoding="utf-8")
    assert '"/v1/articles/{ref}": {' in generated
