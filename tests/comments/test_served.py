"""Comments against real servers: proxies, limits shared between workers, load."""

import threading
from collections import Counter

import httpx2 as httpx
import pytest
from sqlmodel import col, func, select

from app.core.config import Settings
from app.models import Comment
from app.wiring import session_for
from tests.factories import make_article
from tests.server import running_server


def body(n: int) -> dict[str, str]:
    return {"author_name": "قارئ", "author_email": f"r{n}@example.com", "body": f"تعليق {n}"}


def test_forwarded_address_is_believed_only_from_a_trusted_proxy(settings: Settings) -> None:
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
    relaxed = {"AKHBAR_COMMENTS_FLOOD_SECONDS": "0"}
    forwarded = {"X-Forwarded-For": "198.51.100.23"}
    for trusted in ("", "127.0.0.1"):
        env = {**relaxed, "AKHBAR_TRUSTED_PROXIES": trusted}
        with running_server(settings.database_url, env=env) as base_url:
            response = httpx.post(
                f"{base_url}/v1/articles/{article_id}/comments",
                json=body(len(trusted)),
                headers=forwarded,
            )
            assert response.status_code == 202

    with session_for(settings) as session:
        addresses = session.exec(select(Comment.client_ip).order_by(Comment.id)).all()
    assert addresses == ["127.0.0.1", "198.51.100.23"]


def test_the_client_address_cannot_be_forged_or_multiplied(settings: Settings) -> None:
    """Behind a trusted proxy: a client's own X-Forwarded-For line, sent before the
    proxy's, is not believed; the addresses of one IPv6 /64 share one rate limit."""
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
    env = {
        "AKHBAR_TRUSTED_PROXIES": "127.0.0.1",
        "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
        "AKHBAR_COMMENTS_RATE_LIMIT": "1/minute",
    }
    url = f"/v1/articles/{article_id}/comments"
    with running_server(settings.database_url, env=env) as base_url:
        forged = httpx.post(
            base_url + url,
            json=body(1),
            headers=[("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.23")],
        )
        same_network = [
            httpx.post(
                base_url + url, json=body(n), headers={"X-Forwarded-For": address}
            ).status_code
            for n, address in enumerate(
                ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:DB8:1:2::1", "2001:db8:1:3::1"],
                start=2,
            )
        ]

    assert forged.status_code == 202
    assert same_network == [202, 429, 429, 202]
    with session_for(settings) as session:
        addresses = session.exec(select(Comment.client_ip).order_by(col(Comment.id))).all()
    assert addresses == ["198.51.100.23", "2001:db8:1:2::1", "2001:db8:1:3::1"]


def test_workers_share_the_rate_limit_through_redis(
    settings: Settings, limiter_settings: dict
) -> None:
    if limiter_settings["redis_url"] is None:
        pytest.skip("in memory, each worker counts for itself: nothing is shared")
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
    env = {
        "AKHBAR_REDIS_URL": str(limiter_settings["redis_url"]),
        "AKHBAR_REDIS_PREFIX": str(limiter_settings["redis_prefix"]),
        "AKHBAR_COMMENTS_RATE_LIMIT": "5/minute",
        "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
    }
    with running_server(settings.database_url, workers=2, env=env) as base_url:
        # A new connection each time, so the requests spread over both workers.
        answers = [
            httpx.post(f"{base_url}/v1/articles/{article_id}/comments", json=body(n)).status_code
            for n in range(8)
        ]

    assert answers == [202] * 5 + [429] * 3


def test_no_comment_is_lost_under_load(settings: Settings) -> None:
    """2,000 posts from 50 concurrent clients to 2 workers: every one accepted, every
    accepted one stored. No 500, no "database is locked"."""
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
    env = {
        "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
        "AKHBAR_COMMENTS_RATE_LIMIT": "1000000/minute",
        "AKHBAR_COMMENTS_AUTO_APPROVE": "true",
    }
    clients, per_client = 50, 40
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client_posts(client: int, base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for n in range(per_client):
                response = http.post(
                    f"/v1/articles/{article_id}/comments", json=body(client * 1000 + n)
                )
                with lock:
                    statuses[response.status_code] += 1

    with running_server(settings.database_url, workers=2, env=env) as base_url:
        threads = [
            threading.Thread(target=client_posts, args=(c, base_url)) for c in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    with session_for(settings) as session:
        stored = session.exec(select(func.count()).select_from(Comment)).one()
    assert statuses == Counter({201: clients * per_client})
    assert stored == clients * per_client
