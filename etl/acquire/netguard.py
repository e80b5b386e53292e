"""SSRF guard: which hosts the fetcher may connect to, checked before and at connect time.

A feed or a redirect can point anywhere, including the cloud metadata service
(169.254.169.254) or a database on the private network. So every host is resolved first
and refused when any of its addresses is loopback, private, link-local, multicast,
reserved or unspecified, unless ``Settings.allowed_hosts`` names it. The same check runs
again inside the connection (:class:`GuardedBackend`), which connects to the very address
it checked: a DNS answer that changes between check and connect (rebinding) cannot slip by.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore

BLOCKED_PREFIX = "ssrf_blocked"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(Exception):
    """A host that must not be reached; str() starts with BLOCKED_PREFIX."""


def is_public(ip: IpAddress) -> bool:
    """True for a globally routable unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


class HostGuard:
    """Decides whether a host (and each address it resolves to) may be connected to."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allowed_hosts:
            item = item.strip().lower()
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.names.add(item.rstrip("."))

    def address_allowed(self, host: str, ip: IpAddress) -> bool:
        """An address may be used when it is public, or its host/address/network is allowed."""
        if is_public(ip):
            return True
        if host.lower().rstrip(".") in self.names or str(ip) in self.names:
            return True
        return any(ip in net for net in self.networks)

    def check_literal(self, host: str) -> IpAddress | None:
        """For an IP-literal host: the address, or BlockedAddress. None for a DNS name."""
        try:
            ip = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None
        if not self.address_allowed(host, ip):
            raise BlockedAddress(f"{BLOCKED_PREFIX}: {host} is a non-public address")
        return ip

    async def resolve(self, host: str, port: int) -> list[str]:
        """The checked addresses of ``host``; raises BlockedAddress if any is forbidden.

        All answers must pass, not just one: otherwise a name with one public and one
        private address would be a way in.
        """
        literal = self.check_literal(host)
        if literal is not None:
            return [str(literal)]
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise OSError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not self.address_allowed(host, ip):
                raise BlockedAddress(f"{BLOCKED_PREFIX}: {host} resolves to non-public address {ip}")
            if str(ip) not in addresses:
                addresses.append(str(ip))
        if not addresses:
            raise OSError(f"cannot resolve {host}: no address")
        return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves, checks, then connects to the checked address."""

    def __init__(self, guard: HostGuard) -> None:
        self.guard = guard
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.guard.resolve(host, port)
        except BlockedAddress as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(f"{BLOCKED_PREFIX}: unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
