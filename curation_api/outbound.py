"""The SSRF guard of every request the API's workers make to a URL someone else chose (webhook
endpoints, media copies): only public addresses may be reached.

Checked when a URL is accepted, and again at connection time: the transport resolves the host
itself, checks every address and connects to a checked one (:class:`GuardedTransport`), so a
DNS answer that changes between the check and the connection (DNS rebinding) cannot slip a
private address in. Every address a host resolves to must be public: one private address
among them would let a rotating resolver reach it. Clients built on it never follow redirects
on their own, so a public URL cannot bounce a request inward; a caller that follows one checks
the new URL first.

The ``allow_setting`` of a check names the setting that lifts it, so that a refusal tells the
operator which one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

Resolver = Callable[[str, int], list[str]]

SCHEMES = {"http": 80, "https": 443}
KINDS = ("loopback", "link_local", "unspecified", "multicast", "reserved", "private")


class UnsafeUrl(ValueError):
    """The URL is not one the caller may reach; the message says why."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"host {host!r} does not resolve: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


def refusal(address: str) -> str | None:
    """Why ``address`` is not public, or None when it is. IPv4-mapped IPv6 addresses
    (``::ffff:10.0.0.1``) are judged as the IPv4 address they carry."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in KINDS:
        if getattr(ip, f"is_{kind}"):
            return f"{address}, a {kind.replace('_', '-')} address"
    if not ip.is_global:  # shared address space (100.64/10) and the like
        return f"{address}, not a public address"
    return None


def check_host(
    host: str,
    port: int,
    *,
    allow_private: bool,
    resolver: Resolver = resolve,
    allow_setting: str = "UGC_WEBHOOKS_ALLOW_PRIVATE",
) -> list[str]:
    """The addresses of ``host``; :class:`UnsafeUrl` when it does not resolve, or (unless
    ``allow_private``) when any of them is not public."""
    addresses = resolver(host, port)
    if not addresses:
        raise UnsafeUrl(f"host {host!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise UnsafeUrl(
                    f"host {host!r} resolves to {reason}: refused ({allow_setting}=true allows it)"
                )
    return addresses


def check_url(
    url: str,
    *,
    allow_private: bool,
    resolver: Resolver = resolve,
    allow_setting: str = "UGC_WEBHOOKS_ALLOW_PRIVATE",
) -> list[str]:
    """The addresses ``url``'s host resolves to; :class:`UnsafeUrl` when the URL is not
    http(s) with a host, carries credentials, or (unless ``allow_private``) reaches an address
    that is not public."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise UnsafeUrl("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL must not carry credentials")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise UnsafeUrl("the URL's port is not a number from 1 to 65535") from None
    return check_host(
        parts.hostname,
        port,
        allow_private=allow_private,
        resolver=resolver,
        allow_setting=allow_setting,
    )


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to checked addresses of the host (TLS still verifies the host name)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = resolve,
        allow_setting: str = "UGC_WEBHOOKS_ALLOW_PRIVATE",
    ) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self.allow_setting = allow_setting

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = check_host(
            host,
            port,
            allow_private=self.allow_private,
            resolver=self.resolver,
            allow_setting=self.allow_setting,
        )
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go through :class:`GuardedBackend`."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = resolve,
        allow_setting: str = "UGC_WEBHOOKS_ALLOW_PRIVATE",
    ) -> None:
        super().__init__(trust_env=False)
        # httpx has no public hook for the network backend; the pool is rebuilt with ours
        # (same defaults as HTTPTransport's).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=httpx.Limits().max_connections,
            network_backend=GuardedBackend(
                allow_private=allow_private, resolver=resolver, allow_setting=allow_setting
            ),
        )
