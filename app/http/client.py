"""Who is on the other end: the client address, believed from a proxy only if trusted,
and the key its limits are counted under."""

from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from socket import AF_INET, inet_pton
from typing import Annotated

from fastapi import Depends, Request

from app.http.deps import SettingsDep

Network = IPv4Network | IPv6Network


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted_proxies: Sequence[Network]
) -> str:
    """The socket's peer, unless it is a trusted proxy: then the nearest address in
    ``X-Forwarded-For`` that is not itself a trusted proxy. Every line of the header
    counts, in order (a client may send its own line before the proxy appends one), and
    the chain is read from the right, since a client can write anything on the left.
    Addresses come out canonical (``2001:DB8:0::1`` → ``2001:db8::1``, an IPv4-mapped
    IPv6 address as IPv4), so one client is one string."""
    address = _canonical(peer) or peer or "unknown"
    if not forwarded_for or not _is_trusted(address, trusted_proxies):
        return address
    hops = [part.strip() for line in forwarded_for for part in line.split(",")]
    for hop in reversed(hops):
        canonical = _canonical(hop)
        if canonical is None:
            break  # a malformed chain: believe no more of it
        address = canonical
        if not _is_trusted(canonical, trusted_proxies):
            break
    return address


def limit_key(address: str, *, ipv6_prefix: int) -> str:
    """What limits count under: the address, or for IPv6 its network of ``ipv6_prefix``
    bits (one subscriber holds a whole /64, and would otherwise have 2**64 buckets)."""
    ip = _ip(address)
    if isinstance(ip, IPv6Address):
        return str(IPv6Network((ip, ipv6_prefix), strict=False))
    return address


@lru_cache(maxsize=8192)
def _ip(value: str | None) -> IPv4Address | IPv6Address | None:
    """The address ``value`` names, if any (parsed once: a request asks it of the same
    few strings several times, and a site's readers come back)."""
    if not value:
        return None
    try:  # four decimal numbers, as nearly every client's address is: parsed in C
        return IPv4Address(inet_pton(AF_INET, value))
    except (OSError, ValueError):
        pass
    try:
        ip = ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@lru_cache(maxsize=8192)
def _canonical(value: str | None) -> str | None:
    ip = _ip(value)
    if ip is None or value is None:
        return None
    # IPv4 parses only in its one spelling (no leading zeros): the text is canonical.
    return value if isinstance(ip, IPv4Address) and ":" not in value else str(ip)


def _is_trusted(address: str, trusted_proxies: Sequence[Network]) -> bool:
    ip = _ip(address)
    if ip is not None:
        for network in trusted_proxies:
            if ip in network:
                return True
    return False


async def _client(request: Request, settings: SettingsDep) -> str:
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist("X-Forwarded-For"),
        settings.trusted_proxies,
    )


ClientAddress = Annotated[str, Depends(_client)]


async def _client_key(client: ClientAddress, settings: SettingsDep) -> str:
    return limit_key(client, ipv6_prefix=settings.ipv6_limit_prefix)


# The key a client's limits are counted under (its address; for IPv6, its /64).
ClientKey = Annotated[str, Depends(_client_key)]
