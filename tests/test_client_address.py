"""Which address a request comes from: the socket's, or a trusted proxy's word for it."""

from ipaddress import ip_network

import pytest

from app.http.client import client_address, limit_key

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
        # Two header lines (the client's own, then the proxy's): read as one chain, from
        # the right; the first line alone would be the client's forgery.
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], PROXIES, "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 7.7.7.7", "198.51.100.1, 10.0.0.9"], PROXIES, "198.51.100.1"),
        # One address, one spelling.
        ("2001:DB8:0:0::0:1", None, [], "2001:db8::1"),
        ("::ffff:203.0.113.9", None, [], "203.0.113.9"),
        ("10.0.0.2", "2001:0DB9:0000::0001", PROXIES, "2001:db9::1"),
    ],
)
def test_client_address(
    peer: str | None, forwarded_for: str | list[str] | None, trusted: list, expected: str
) -> None:
    lines = [forwarded_for] if isinstance(forwarded_for, str) else forwarded_for or []

    assert client_address(peer, lines, trusted) == expected


@pytest.mark.parametrize(
    ("address", "prefix", "key"),
    [
        ("203.0.113.9", 64, "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::7", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", 128, "2001:db8:1:2:aaaa::1/128"),
        ("2001:db8:1:2:aaaa::1", 48, "2001:db8:1::/48"),
    ],
)
def test_limits_count_an_ipv6_client_by_its_network(address: str, prefix: int, key: str) -> None:
    assert limit_key(address, ipv6_prefix=prefix) == key
