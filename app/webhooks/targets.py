"""Where webhooks may be sent: SSRF protection.

A target URL is http(s), with a host and no credentials. At delivery time its host is
resolved and every address must be a public one: loopback, private, link-local (cloud
metadata lives at 169.254.169.254), shared, multicast, unspecified and reserved addresses
are refused, including IPv6 addresses that carry a non-public IPv4 one (mapped,
compatible, NAT64, 6to4, Teredo), unless the operator allows private targets. The
delivery then connects to an address checked here, not to a second lookup's answer (a
DNS answer that changes between check and connection is how checks are evaded).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """A target this server will not send to."""


def check_url(url: str) -> tuple[str, int]:
    """The host and port of a usable target URL; UnsafeTarget otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("the URL must be http or https")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("credentials do not belong in the URL: sign with the secret")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# NAT64 for a site's own networks (RFC 8215): never a public destination.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, by which a packet can reach IPv4 hosts:
    IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d),
    6to4 (2002:aabb:ccdd::) and Teredo (its server and its client)."""
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        if not all(is_public(embedded) for embedded in embedded_ipv4(address)):
            return False
        if address.ipv4_mapped is not None:
            return True  # the IPv4 address it maps decides, and it is public
    return address.is_global and not address.is_multicast


def resolve_target(url: str, *, allow_private: bool) -> tuple[str, int, list[IPAddress]]:
    """The host, port and the addresses a delivery may connect to; UnsafeTarget when the
    host does not resolve or any of its addresses is not public (and that is not allowed)."""
    host, port = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeTarget(f"{host} is {address}, not a public address")
    return host, port, addresses
