"""Which address a request comes from: the socket's, or a trusted proxy's word for it."""

from ipaddress import ip_network

import pytest

from app.client import client_address

PROXIES = [ip_network("10.0.0.0/8"), ip_network("2001:db8::/32")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        # No trusted proxies: the header is ignored.
        ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),
        # An untrusted peer cannot claim another address.
        ("203.0.113.9", "198.51.100.1", PROXIES, "203.0.113.9"),
        # A trusted proxy: the address it saw.
        ("10.0.0.2", "198.51.100.1", PROXIES, "198.51.100.1"),
        # A chain through two trusted proxies: the nearest untrusted address, not the
        # left-most one, which the client wrote itself.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.5", PROXIES, "198.51.100.1"),
        ("10.0.0.2", "2001:db8::5, 2001:db8::7", PROXIES, "2001:db8::5"),
        # A malformed hop stops the walk.
        ("10.0.0.2", "198.51.100.1, garbage", PROXIES, "10.0.0.2"),
        ("10.0.0.2", None, PROXIES, "10.0.0.2"),
        (None, None, PROXIES, "unknown"),
    ],
)
def test_client_address(
    peer: str | None, forwarded_for: str | None, trusted: list, expected: str
) -> None:
    assert client_address(peer, forwarded_for, trusted) == expected
