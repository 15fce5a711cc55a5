"""The probe engine's guard: the address rule (vigil_probes.net), applied where probes resolve and connect.

A probe may reach public addresses and the networks of VIGIL_PROBE_ALLOWED_NETWORKS, never a
link-local or cloud metadata address (vigil_probes.net). Otherwise a responder could aim a monitor, or
*Test now*, at an internal service and read it through the keyword check, or port-scan with TCP
monitors. The check runs on the addresses a name resolves to, and a probe connects only to
addresses that passed it (aiohttp connects to what GuardedResolver returned; TCP and TLS probes to
what resolve() returned), so neither a name pointing at 127.0.0.1 nor a redirect to one gets through.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Callable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from . import net
from .result import ProbeFailure

SETTING = "VIGIL_PROBE_ALLOWED_NETWORKS"
HINT = f"probes reach only public addresses and the networks in {SETTING}"

# Where the rule comes from when a caller gives none. The engine knows no settings module: Vigil
# plugs in one reading VIGIL_PROBE_ALLOWED_NETWORKS (monitoring.apps), the agent passes its own
# policy; anything else (scripts, benches) gets public addresses only.
_default_policy: Callable[[], net.AddressPolicy] = net.AddressPolicy


def use_default_policy(factory: Callable[[], net.AddressPolicy]) -> None:
    """Make FACTORY the source of the rule for run_probes calls that pass no policy."""
    global _default_policy
    _default_policy = factory


def default_policy() -> net.AddressPolicy:
    """The rule for a batch that names none (see use_default_policy)."""
    return _default_policy()


class ForbiddenAddress(OSError):
    """An address the guard refused. An OSError, so aiohttp passes it on from a resolver."""

    def __init__(self, address: str, reason: str):
        super().__init__(f"{reason}, and {HINT}")
        self.address = address


def check_address(address: str, policy: net.AddressPolicy) -> None:
    try:
        policy.check(address)
    except net.ForbiddenAddress as exc:
        raise ForbiddenAddress(exc.address, exc.reason) from None


def check_all(addresses: list[str], policy: net.AddressPolicy) -> list[str]:
    """ADDRESSES if every one may be reached (net.AddressPolicy.check_all); else ForbiddenAddress."""
    try:
        return policy.check_all(addresses)
    except net.ForbiddenAddress as exc:
        raise ForbiddenAddress(exc.address, exc.reason) from None


async def resolve(host: str, port: int, policy: net.AddressPolicy) -> list[str]:
    """The addresses to connect to for HOST, in the resolver's order, each checked by the guard."""
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise ProbeFailure(f"could not resolve host {host!r}") from None
        addresses = [info[4][0] for info in infos]
    try:
        return check_all(addresses, policy)
    except ForbiddenAddress as exc:
        raise ProbeFailure(str(exc), details={"address": exc.address}) from None


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name whose addresses the guard does not all allow."""

    def __init__(self, policy: net.AddressPolicy) -> None:
        self._resolver = DefaultResolver()
        self._policy = policy

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        results: list[ResolveResult] = await self._resolver.resolve(host, port, family)
        check_all([result["host"] for result in results], self._policy)
        return results

    async def close(self) -> None:
        await self._resolver.close()
