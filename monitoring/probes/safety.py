"""The guard against probes to private and loopback addresses.

Off by default: watching internal services is one of Vigil's uses. With the setting
VIGIL_PROBE_FORBID_PRIVATE on, a probe may only reach globally routable addresses. The check
runs on addresses after DNS resolution, and a probe connects only to addresses that passed it,
so neither a host name pointing at 127.0.0.1 nor a redirect to one gets through.
"""

import asyncio
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from django.conf import settings

from .result import ProbeFailure

SETTING = "VIGIL_PROBE_FORBID_PRIVATE"


def forbid_private_setting() -> bool:
    """The setting's value; False when it is missing or Django is not configured (scripts, benches)."""
    if not settings.configured:
        return False
    return bool(getattr(settings, SETTING, False))


class ForbiddenAddress(OSError):
    """An address the guard refused. An OSError, so aiohttp passes it on from a resolver."""

    def __init__(self, address: str):
        super().__init__(forbidden_reason(address))
        self.address = address


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    # ::ffff:127.0.0.1 reaches 127.0.0.1.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_forbidden(address: str) -> bool:
    """True for anything but a globally routable unicast address (loopback, private, link-local...)."""
    ip = _ip(address)
    return not ip.is_global or ip.is_multicast


def forbidden_reason(address: str) -> str:
    kind = "a loopback" if _ip(address).is_loopback else "a private"
    return f"{address} is {kind} address, and probes to private and loopback addresses are forbidden"


def check_address(address: str) -> None:
    if is_forbidden(address):
        raise ForbiddenAddress(address)


def allowed_only(addresses: list[str]) -> list[str]:
    """ADDRESSES less the forbidden ones; ForbiddenAddress naming the first when none is left."""
    allowed = [address for address in addresses if not is_forbidden(address)]
    if not allowed:
        raise ForbiddenAddress(addresses[0])
    return allowed


async def resolve(host: str, port: int, forbid_private: bool) -> list[str]:
    """The addresses to connect to for HOST, in the resolver's order, filtered by the guard."""
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise ProbeFailure(f"could not resolve host {host!r}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not forbid_private:
        return addresses
    try:
        return allowed_only(addresses)
    except ForbiddenAddress as exc:
        raise ProbeFailure(str(exc), details={"address": exc.address}) from None


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, less the addresses the guard forbids."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        results: list[ResolveResult] = await self._resolver.resolve(host, port, family)
        allowed = set(allowed_only([result["host"] for result in results]))
        return [result for result in results if result["host"] in allowed]

    async def close(self) -> None:
        await self._resolver.close()
