"""Who is on the other end: the client address, believed from a proxy only if trusted."""

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated

from fastapi import Depends, Request

from app.db import SettingsDep

Network = IPv4Network | IPv6Network


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[Network]
) -> str:
    """The socket's peer, unless it is a trusted proxy: then the nearest address in
    ``X-Forwarded-For`` that is not itself a trusted proxy (read from the right, since
    a client can write anything on the left)."""
    address = peer or "unknown"
    if not forwarded_for or not _is_trusted(address, trusted_proxies):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if not _is_ip(hop):
            break  # a malformed chain: believe no more of it
        address = hop
        if not _is_trusted(hop, trusted_proxies):
            break
    return address


def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted_proxies: Sequence[Network]) -> bool:
    if not trusted_proxies or not _is_ip(address):
        return False
    ip = ip_address(address)
    return any(ip in network for network in trusted_proxies)


def _client(request: Request, settings: SettingsDep) -> str:
    return client_address(
        request.client.host if request.client else None,
        request.headers.get("X-Forwarded-For"),
        settings.trusted_proxies,
    )


ClientAddress = Annotated[str, Depends(_client)]
