"""Managing subscriptions over the API: admin only, the secret shown once, targets
checked, test pings, the delivery log and redelivery."""

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from standardwebhooks import Webhook

from app.auth.scopes import Scope
from app.core.config import Settings
from app.main import create_app
from app.models import WebhookSubscription
from tests.factories import bearer, make_token
from tests.server import free_port
from tests.webhooks.conftest import deliveries
from tests.webhooks.receiver import receiving

PROBLEM = "application/problem+json"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK = "https://www.example.com/api/revalidate"


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    # Receivers in these tests listen on 127.0.0.1.
    return create_app(settings.model_copy(update={"webhooks_allow_private_targets": True}))


def subscribe(client: TestClient, admin: dict, **fields: object) -> dict:
    body = {"url": HOOK, "events": ["article.published"]} | fields
    response = client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestSubscriptions:
    def test_create_shows_the_secret_once(self, client: TestClient, admin: dict) -> None:
        response = client.post(
            "/v1/webhooks",
            json={
                "url": HOOK,
                "events": ["article.published", "article.updated", "article.published"],
                "description": "إعادة بناء الصفحات",
            },
            headers=admin,
        )

        assert response.status_code == 201
        created = response.json()
        assert response.headers["location"] == f"/v1/webhooks/{created['id']}"
        secret = created.pop("secret")
        assert secret.startswith("whsec_")
        assert len(secret) == 6 + 32
        assert created == {
            "id": 1,
            "url": HOOK,
            "events": ["article.published", "article.updated"],
            "description": "إعادة بناء الصفحات",
            "is_active": True,
            "created_at": created["created_at"],
            "updated_at": created["updated_at"],
        }
        assert client.get("/v1/webhooks/1", headers=admin).json() == created
        assert client.get("/v1/webhooks", headers=admin).json()["data"] == [created]

    def test_a_given_secret_is_kept(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        created = subscribe(client, admin, secret=SECRET)

        assert created["secret"] == SECRET
        assert session.get_one(WebhookSubscription, created["id"]).secret == SECRET

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"url": "ftp://example.com/x"}, "url", "an absolute http:// or https:// URL"),
            ({"url": "javascript:alert(1)"}, "url", "an absolute http:// or https:// URL"),
            ({"url": "http://127.0.0.1:9/x"}, "url", "127.0.0.1 is not a public address"),
            ({"url": "http://169.254.169.254/"}, "url", "169.254.169.254 is not a public"),
            ({"url": "http://localhost:8080/x"}, "url", "localhost is not a public address"),
            ({"url": "http://[::1]/x"}, "url", "::1 is not a public address"),
            ({"url": "https://user:pw@example.com/"}, "url", "credentials do not belong"),
            ({"events": []}, "events", "at least 1 item"),
            ({"events": ["article.exploded"]}, "events", "Input should be"),
            ({"secret": "whsec_c2hvcnQ="}, "secret", "24 to 64 bytes"),
            ({"secret": "not-a-secret"}, "secret", "starts with 'whsec_'"),
            ({"is_active": "sometimes"}, "is_active", "valid boolean"),
            ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ],
    )
    def test_bad_input_is_422_naming_the_field_and_creates_nothing(
        self,
        settings: Settings,
        session: Session,
        admin: dict,
        body: dict,
        field: str,
        message: str,
    ) -> None:
        # The operator has not allowed private targets here.
        with TestClient(create_app(settings)) as client:
            response = client.post(
                "/v1/webhooks",
                json={"url": HOOK, "events": ["ticker.changed"]} | body,
                headers=admin,
            )

            assert response.status_code == 422
            assert response.headers["content-type"] == PROBLEM
            [error] = response.json()["errors"]
            assert error["loc"][:2] == ["body", field]
            assert message in error["message"]
            assert client.get("/v1/webhooks", headers=admin).json()["data"] == []

    def test_update_changes_what_is_sent_and_delete_forgets_it(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        created = subscribe(client, admin)

        response = client.patch(
            f"/v1/webhooks/{created['id']}",
            json={"events": ["ticker.changed"], "is_active": False, "secret": SECRET},
            headers=admin,
        )

        assert response.status_code == 200
        assert response.json()["events"] == ["ticker.changed"]
        assert response.json()["is_active"] is False
        assert "secret" not in response.json()
        assert session.get_one(WebhookSubscription, created["id"]).secret == SECRET
        null = client.patch(f"/v1/webhooks/{created['id']}", json={"url": None}, headers=admin)
        assert null.status_code == 422
        private = client.patch(
            f"/v1/webhooks/{created['id']}", json={"url": "http://10.1.2.3/"}, headers=admin
        )
        assert private.status_code == 200  # this app allows private targets
        assert client.delete(f"/v1/webhooks/{created['id']}", headers=admin).status_code == 204
        for method in ("GET", "PATCH", "DELETE"):
            gone = client.request(
                method, f"/v1/webhooks/{created['id']}", json={"is_active": True}, headers=admin
            )
            assert gone.status_code == 404, method
            assert gone.json()["detail"] == f"no webhook with id {created['id']}"

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/v1/webhooks"),
            ("POST", "/v1/webhooks"),
            ("GET", "/v1/webhooks/1"),
            ("PATCH", "/v1/webhooks/1"),
            ("DELETE", "/v1/webhooks/1"),
            ("POST", "/v1/webhooks/1/ping"),
            ("GET", "/v1/webhooks/1/deliveries"),
            ("POST", "/v1/webhooks/deliveries/1/redeliver"),
        ],
    )
    def test_only_admins_may(
        self, client: TestClient, session: Session, admin: dict, method: str, path: str
    ) -> None:
        subscribe(client, admin)
        editor = bearer(make_token(session, Scope.articles_write, Scope.ticker_write))
        body = {"url": HOOK, "events": ["ticker.changed"]}

        anonymous = client.request(method, path, json=body)
        not_admin = client.request(method, path, json=body, headers=editor)

        assert (anonymous.status_code, not_admin.status_code) == (401, 403)
        assert not_admin.json()["detail"] == "this token lacks the scope 'admin'"


class TestPing:
    def test_a_ping_arrives_signed_and_its_result_is_answered(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        with receiving() as receiver:
            created = subscribe(client, admin, url=receiver.url, events=["ticker.changed"])

            response = client.post(f"/v1/webhooks/{created['id']}/ping", headers=admin)

            [request] = receiver.wait_for(1)
        assert response.status_code == 200
        result = response.json()
        assert result["status"] == "succeeded"
        assert (result["attempts"], result["last_status_code"], result["last_error"]) == (
            1,
            200,
            None,
        )
        assert result["event_type"] == "webhook.ping"
        assert result["message_id"] == request.headers["webhook-id"]
        assert request.path == "/hooks/akhbar"
        assert Webhook(created["secret"]).verify(request.body, request.headers) == {
            "id": result["message_id"],
            "type": "webhook.ping",
            "timestamp": request.json["timestamp"],
            "data": {
                "webhook_id": created["id"],
                "message": "اختبار من أخبار: هذا الاشتراك يصله ما يُرسَل.",
            },
        }

    def test_a_ping_nobody_answers_fails_once_with_the_reason(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        created = subscribe(client, admin, url=f"http://127.0.0.1:{free_port()}/hook")

        result = client.post(f"/v1/webhooks/{created['id']}/ping", headers=admin).json()

        assert result["status"] == "failed"
        assert result["attempts"] == 1
        assert result["last_status_code"] is None
        assert result["last_error"].startswith("ConnectionRefusedError")
        assert [d.status for d in deliveries(session)] == ["failed"]

    def test_a_failing_receiver_is_reported_with_what_it_said(
        self, client: TestClient, admin: dict
    ) -> None:
        with receiving([503]) as receiver:
            created = subscribe(client, admin, url=receiver.url)
            result = client.post(f"/v1/webhooks/{created['id']}/ping", headers=admin).json()

        assert (result["status"], result["last_status_code"]) == ("failed", 503)
        assert result["last_error"] == "HTTP 503: عطل مؤقت"

    def test_the_resolved_address_is_checked_when_sending(
        self, settings: Settings, session: Session, admin: dict
    ) -> None:
        # A subscription whose host was public when it was made and resolves to loopback
        # now (DNS rebinding): the delivery-time check refuses it, and nothing is sent.
        with receiving() as receiver:
            port = receiver.server.server_port
            session.add(
                WebhookSubscription(url=f"http://localhost:{port}/", events=[], secret=SECRET)
            )
            session.commit()
            with TestClient(create_app(settings)) as client:
                result = client.post("/v1/webhooks/1/ping", headers=admin).json()

            assert receiver.received == []
        assert result["status"] == "failed"
        assert result["last_error"] in {
            "refused target: localhost is 127.0.0.1, not a public address",
            "refused target: localhost is ::1, not a public address",
        }


class TestDeliveryLog:
    def test_lists_newest_first_by_status_and_redelivers_finished_ones(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        with receiving([500, 200, 200]) as receiver:
            created = subscribe(client, admin, url=receiver.url)
            hook = created["id"]
            failed = client.post(f"/v1/webhooks/{hook}/ping", headers=admin).json()
            succeeded = client.post(f"/v1/webhooks/{hook}/ping", headers=admin).json()

            log = client.get(f"/v1/webhooks/{hook}/deliveries", headers=admin).json()
            only_failed = client.get(
                f"/v1/webhooks/{hook}/deliveries?status=failed", headers=admin
            ).json()
            first_page = client.get(f"/v1/webhooks/{hook}/deliveries?limit=1", headers=admin)
            second_page = client.get(
                f"/v1/webhooks/{hook}/deliveries",
                params={"limit": 1, "cursor": first_page.json()["meta"]["next_cursor"]},
                headers=admin,
            ).json()

            again = client.post(f"/v1/webhooks/deliveries/{failed['id']}/redeliver", headers=admin)
            twice = client.post(
                f"/v1/webhooks/deliveries/{again.json()['id']}/redeliver", headers=admin
            )
            missing = client.post("/v1/webhooks/deliveries/999/redeliver", headers=admin)

        assert log["data"] == [succeeded, failed]
        assert only_failed["data"] == [failed]
        assert [d["id"] for d in first_page.json()["data"] + second_page["data"]] == [
            succeeded["id"],
            failed["id"],
        ]
        assert again.status_code == 202
        redelivery = again.json()
        assert redelivery["message_id"] == failed["message_id"]
        assert (redelivery["status"], redelivery["attempts"]) == ("pending", 0)
        assert redelivery["next_attempt_at"] is not None
        assert twice.status_code == 409
        assert twice.json()["detail"] == (
            "this delivery is still pending: it will be tried again by itself"
        )
        assert missing.status_code == 404
        assert json.loads(receiver.received[0].body)["type"] == "webhook.ping"

    def test_a_deleted_subscription_takes_its_log_with_it(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        created = subscribe(client, admin, url=f"http://127.0.0.1:{free_port()}/")
        client.post(f"/v1/webhooks/{created['id']}/ping", headers=admin)
        assert len(deliveries(session)) == 1

        client.delete(f"/v1/webhooks/{created['id']}", headers=admin)

        assert deliveries(session) == []
        log = client.get(f"/v1/webhooks/{created['id']}/deliveries", headers=admin)
        assert log.status_code == 404
