"""The media library's tests run on each database and on each storage: a folder, and
S3 as moto's emulator serves it over HTTP on 127.0.0.1 (no real S3 is reachable here;
the code path is the one a real bucket takes: boto3 over HTTP)."""

import socket
import uuid
from collections.abc import Iterator

import boto3
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from sqlmodel import Session

from app.auth.scopes import Scope
from app.core.config import Settings
from app.main import create_app
from app.media.library import MediaLibrary
from tests.factories import bearer, make_token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def media_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "local":
        return settings
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"akhbar-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    return settings.model_copy(
        update={
            "media_storage": "s3",
            "media_s3_bucket": bucket,
            "media_s3_endpoint_url": endpoint,
            "media_s3_access_key_id": "test",
            "media_s3_secret_access_key": SecretStr("test"),
            "media_s3_path_style": True,
            "media_s3_prefix": "media/",
        }
    )


@pytest.fixture
def app(media_settings: Settings) -> FastAPI:
    return create_app(media_settings)


@pytest.fixture
def library(media_settings: Settings) -> MediaLibrary:
    """The same storage the app writes to, to look at what it holds."""
    return MediaLibrary.from_settings(media_settings)


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.media_write))


def stored(library: MediaLibrary) -> list[str]:
    return sorted(key for key, _written in library.storage.stored_keys())


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes,
    *,
    alt: str = "سوق المدينة القديمة صباحاً",
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/media",
        files={"file": (filename, data, content_type)},
        data={"alt": alt, **fields},
        headers=headers,
    )
