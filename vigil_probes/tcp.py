"""TCP probes, and the connect and error wording that the TLS probe shares."""

import asyncio
import errno

from .config import TcpProbe
from .result import ProbeFailure, ProbeResult, Progress
from .safety import resolve

_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by peer",
    errno.EADDRNOTAVAIL: "address not available",
}


def describe_os_error(exc: OSError) -> str:
    """'connection refused' rather than '[Errno 111] Connect call failed ('127.0.0.1', 9)'."""
    if exc.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[exc.errno]
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


async def connect(addresses: list[str], port: int) -> tuple[asyncio.Transport, asyncio.Protocol, str]:
    """A new connection to the first of ADDRESSES that accepts one."""
    loop = asyncio.get_running_loop()
    error: OSError | None = None
    for address in addresses:
        try:
            transport, protocol = await loop.create_connection(asyncio.Protocol, address, port)
        except OSError as exc:
            error = exc
        else:
            return transport, protocol, address
    raise ProbeFailure(describe_os_error(error), details={"address": addresses[-1]})


async def check_tcp(probe: TcpProbe, context, progress: Progress) -> ProbeResult:
    progress.step = "resolving the host"
    addresses = await resolve(probe.host, probe.port, context.policy)
    progress.step = "connecting"
    transport, _, address = await connect(addresses, probe.port)
    transport.close()
    return progress.result(details={"address": address})
