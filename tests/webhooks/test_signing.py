"""Standard Webhooks signatures: the specification's own example, and a receiver using
the reference library."""

import base64
import json
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.webhooks.signing import new_secret, secret_key, sign, signed_headers

# The example of the Standard Webhooks specification and its libraries' tests.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_example() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_a_receiver_with_the_reference_library_accepts_our_deliveries() -> None:
    secret = new_secret()
    body = json.dumps({"type": "article.published", "data": {"title": "خبر عاجل"}}).encode()
    headers = signed_headers(secret, "evt_42", int(time.time()), body)

    payload = Webhook(secret).verify(body, headers)

    assert payload["data"]["title"] == "خبر عاجل"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body + b" ", headers),
        lambda body, headers: (body, {**headers, "webhook-id": "evt_43"}),
        lambda body, headers: (body, {**headers, "webhook-timestamp": str(int(time.time()) - 1)}),
        lambda body, headers: (body, {**headers, "webhook-signature": "v1,AAAA"}),
    ],
)
def test_a_changed_body_id_or_timestamp_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    body = b'{"type": "ticker.changed"}'
    headers = signed_headers(secret, "evt_42", int(time.time()), body)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(*tamper(body, headers))


def test_an_old_delivery_is_refused_as_a_replay() -> None:
    secret = new_secret()
    body = b"{}"
    headers = signed_headers(secret, "evt_1", int(time.time()) - 3600, body)

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, headers)


def test_new_secrets_are_random_24_byte_keys() -> None:
    secrets = {new_secret() for _ in range(100)}

    assert len(secrets) == 100
    assert all(s.startswith("whsec_") and len(secret_key(s)) == 24 for s in secrets)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with 'whsec_'"),
        ("whsec_not base64!", "followed by base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "24 to 64 bytes"),
    ],
)
def test_a_malformed_secret_is_refused(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        secret_key(secret)
