"""Where a webhook may be sent: its URL checked, its host resolved and every address checked.

The check runs when a URL is subscribed and again before each delivery, since a DNS name can
be re-pointed inside the network after it was accepted. The delivery then connects to the
address that was checked (with the URL's host kept in the ``Host`` header and for TLS), so a
second lookup cannot swap in another one (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from measurement.domain.webhooks import IPAddress, address_problem, scheme_problem

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
RESOLVE_TIMEOUT_S = 5.0


class TargetRefused(Exception):
    """The URL is not one webhooks may be sent to; retrying will not change that."""


class TargetUnresolved(Exception):
    """The URL's host does not resolve (now)."""


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order of preference."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
        )
    except (OSError, TimeoutError) as exc:
        raise TargetUnresolved(f"{host} does not resolve: {exc}") from exc
    found: dict[IPAddress, None] = {}
    for *_, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    return list(found)


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    """A webhook URL and the addresses it was checked against, to connect to in order."""

    url: httpx.URL
    addresses: tuple[IPAddress, ...]

    def at(self, address: IPAddress) -> httpx.URL:
        """The URL with its host replaced by ``address``: where to connect."""
        return self.url.copy_with(host=str(address))

    @property
    def host_header(self) -> str:
        """The ``Host`` header the receiver expects: the URL's own host and port."""
        return self.url.netloc.decode("ascii")


@dataclass
class WebhookTargets:
    """The policy for webhook URLs, and the resolver it looks hosts up with."""

    allow_http: bool
    allow_private_networks: bool
    resolve: Resolver = resolve_host

    async def check(self, url: str) -> CheckedTarget:
        """Resolve and check ``url``; :class:`TargetRefused` or :class:`TargetUnresolved`."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise TargetRefused(f"{url} is not a URL: {exc}") from exc
        problem = scheme_problem(parsed.scheme, allow_http=self.allow_http)
        if problem is not None:
            raise TargetRefused(problem)
        if not parsed.host:
            raise TargetRefused("the URL names no host")
        port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
        addresses = await self._addresses(parsed.host, port)
        if not self.allow_private_networks:
            for address in addresses:
                refused = address_problem(address)
                if refused is not None:
                    raise TargetRefused(_where(parsed.host, address, refused))
        return CheckedTarget(parsed, tuple(addresses))

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        addresses = await self.resolve(host, port)
        if not addresses:
            raise TargetUnresolved(f"{host} resolves to no address")
        return addresses


def _where(host: str, address: IPAddress, problem: str) -> str:
    said = f"{address} is {problem}"
    if host != str(address):
        said = f"{host} resolves to {address}, {problem}"
    return f"{said}; webhooks go only to public internet addresses"
