"""Requests Akhbar makes to addresses others chose (webhook targets, the pictures of an
imported site): SSRF protection.

A target URL is http(s), with a host and no credentials. When it is used its host is
resolved and every address must be a public one: loopback, private, link-local (cloud
metadata lives at 169.254.169.254), shared, multicast, unspecified and reserved addresses
are refused, including IPv6 addresses that carry a non-public IPv4 one (mapped,
compatible, NAT64, 6to4, Teredo), unless the operator allows private targets. The
connection then goes to an address checked here, not to a second lookup's answer (a
DNS answer that changes between check and connection is how checks are evaded).
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urljoin, urlsplit

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


class DownloadFailed(Exception):
    """A download that did not bring the file: the reason, in one line, and whether trying
    again later may bring it (a timeout, a dropped connection, a 429 or a 5xx)."""

    def __init__(self, reason: str, *, may_pass: bool = False) -> None:
        super().__init__(reason)
        self.may_pass = may_pass


# Redirects a download follows, each to a URL checked like the first.
MAX_REDIRECTS = 3


def download(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool,
    user_agent: str = "Akhbar/1.0",
) -> bytes:
    """GET ``url``'s body, at most ``max_bytes`` of it (more: DownloadFailed, the rest
    unread), connecting only to checked addresses (``resolve_target``), and following a
    few redirects, each checked again. UnsafeTarget when an address is refused."""
    for _hop in range(MAX_REDIRECTS + 1):
        host, port, addresses = resolve_target(url, allow_private=allow_private)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _PinnedConnection(
            parts.scheme == "https", host, port, str(addresses[0]), timeout
        )
        try:
            connection.request(
                "GET", target, headers={"User-Agent": user_agent, "Accept": "image/*"}
            )
            answer = connection.getresponse()
            if answer.status in (301, 302, 303, 307, 308) and answer.getheader("Location"):
                url = urljoin(url, answer.getheader("Location", ""))
                continue
            if answer.status != 200:
                raise DownloadFailed(
                    f"HTTP {answer.status} {answer.reason}".strip(),
                    may_pass=answer.status in (429, 500, 502, 503, 504),
                )
            declared = answer.getheader("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise DownloadFailed(f"{declared} bytes: more than the {max_bytes} accepted")
            body = answer.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise DownloadFailed(f"more than the {max_bytes} bytes accepted")
            return body
        except (OSError, http.client.HTTPException) as exc:
            reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise DownloadFailed(reason, may_pass=True) from None
        finally:
            connection.close()
    raise DownloadFailed(f"more than {MAX_REDIRECTS} redirects")


class _PinnedConnection(http.client.HTTPSConnection):
    """HTTP(S) to ``host`` at the one address that was checked; TLS verifies ``host``."""

    def __init__(self, tls: bool, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._tls, self._address = tls, address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._tls:
            sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        self.sock = sock
