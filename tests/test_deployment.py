"""compose.yaml and the Dockerfile stay in step with the code: real settings, real
commands, files that exist. (No Docker engine runs here; the image itself is not built.)"""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from app.core.config import PROJECT_ROOT, Settings, unknown_variables
from tests.server import AKHBAR

COMPOSE = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))
DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")


def akhbar_help(*command: str) -> str:
    return subprocess.run(
        [AKHBAR, *command, "--help"], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def test_compose_runs_api_postgresql_redis_and_migrations() -> None:
    services = COMPOSE["services"]

    assert set(services) == {"api", "migrate", "postgres", "redis"}
    assert services["api"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["api"]["environment"] == services["migrate"]["environment"]


def test_compose_environment_is_valid_settings() -> None:
    environment = COMPOSE["services"]["api"]["environment"]

    assert unknown_variables(environment) == []
    settings = Settings(
        _env_file=None,
        **{name.removeprefix("AKHBAR_").lower(): value for name, value in environment.items()},
    )
    assert settings.sqlalchemy_url.host == "postgres"
    assert settings.redis_url == "redis://redis:6379/0"


@pytest.mark.parametrize("service", ["api", "migrate"])
def test_compose_commands_exist(service: str) -> None:
    program, command, *arguments = COMPOSE["services"][service]["command"]
    options = [argument for argument in arguments if argument.startswith("--")]

    assert program == "akhbar"
    help_text = akhbar_help(command)
    for option in options:
        assert option in help_text


def test_dockerfile_copies_files_that_exist_and_serves() -> None:
    sources = [
        source
        for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.M)
        for source in line.split()[:-1]
    ]

    assert sources
    for source in sources:
        assert (Path(PROJECT_ROOT) / source).exists(), source
    assert 'CMD ["akhbar", "serve", "--host", "0.0.0.0", "--port", "8000"]' in DOCKERFILE
    assert "--require-hashes" in DOCKERFILE
