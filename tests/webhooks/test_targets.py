"""SSRF protection: webhook targets must be public addresses, checked on what the host
resolves to."""

import pytest

from app.http.outbound import UnsafeTarget, check_url, resolve_target


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.5/hook",
        "http://172.16.3.4/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        # IPv6 forms that reach an IPv4 loopback or private address.
        "http://[64:ff9b::7f00:1]/hook",  # NAT64
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 to the cloud metadata address
        "http://[2002:7f00:1::1]/hook",  # 6to4
        "http://[2002:c0a8:0101::1]/hook",  # 6to4 of 192.168.1.1
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::10.1.2.3]/hook",
        "http://[2001:0:7f00:1:0:0:0:0]/hook",  # Teredo with a loopback server
        "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64
        "http://224.0.0.1/hook",
        "http://2130706433/hook",
    ],
)
def test_private_and_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget, match="not a public address"):
        resolve_target(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://8.8.8.8/hook", ["8.8.8.8"]),
        ("http://[2001:4860:4860::8888]:8443/hook", ["2001:4860:4860::8888"]),
        ("http://[64:ff9b::808:808]/hook", ["64:ff9b::808:808"]),  # NAT64 to a public one
        ("http://[2002:808:808::1]/hook", ["2002:808:808::1"]),  # 6to4 of a public one
    ],
)
def test_public_addresses_are_allowed(url: str, addresses: list[str]) -> None:
    _host, _port, resolved = resolve_target(url, allow_private=False)

    assert [str(a) for a in resolved] == addresses


def test_the_operator_may_allow_private_targets() -> None:
    host, port, resolved = resolve_target("http://127.0.0.1:9999/hook", allow_private=True)

    assert (host, port, [str(a) for a in resolved]) == ("127.0.0.1", 9999, ["127.0.0.1"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/hook", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("http:///hook", "no host"),
        ("https://user:pass@example.org/hook", "credentials"),
        ("http://example.org:99999/hook", "not a URL"),
    ],
)
def test_malformed_targets_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeTarget, match=message):
        check_url(url)


def test_default_ports() -> None:
    assert check_url("https://hooks.example.org/x") == ("hooks.example.org", 443)
    assert check_url("http://hooks.example.org/x") == ("hooks.example.org", 80)


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        resolve_target("http://no-such-host.invalid/hook", allow_private=False)
