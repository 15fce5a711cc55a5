"""The address rule for Chromium: a forward proxy on loopback that every connection of a browser
check goes through (browser.BrowserPool launches Chromium with it).

Intercepting requests in the page is not enough: Chromium follows redirects, opens WebSockets and
looks names up on its own. Here each destination passes the engine's rule (safety.resolve) after its
name is looked up, and the proxy connects to an address it checked, so a redirect to an internal
address, or a name that resolves differently the second time, reaches nothing. HTTPS goes through as
a CONNECT tunnel; plain HTTP is forwarded one request per connection ("Connection: close"), so a
connection kept alive can never carry a request to another host.

A refused destination gets a 403 whose X-Vigil-Refused header says why; `refused` keeps the reasons
by host, for the step that failed to quote.
"""

import asyncio
import contextlib
from urllib.parse import urlsplit

from . import net, safety
from .result import ProbeFailure

REFUSED_HEADER = "X-Vigil-Refused"
HEAD_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
HOP_BY_HOP = (b"proxy-connection", b"connection", b"keep-alive", b"proxy-authorization")


class GuardProxy:
    def __init__(self, policy: net.AddressPolicy):
        self.policy = policy
        self.refused: dict[str, str] = {}
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> "GuardProxy":
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            line, _, headers = head.partition(b"\r\n")
            method, target, version = line.decode("latin-1").split(" ", 2)
            if method == "CONNECT":
                await self.tunnel(target, reader, writer)
            else:
                await self.forward(method, target, version, headers, reader, writer)
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def open(self, host: str, port: int, writer: asyncio.StreamWriter):
        """A connection to HOST:PORT at an address the rule allows; None (after a 403) if refused."""
        try:
            addresses = await safety.resolve(host, port, self.policy)
        except ProbeFailure as exc:
            self.refused[host] = exc.reason
            reason = exc.reason.encode("latin-1", "replace")
            writer.write(
                b"HTTP/1.1 403 Forbidden\r\n" + REFUSED_HEADER.encode() + b": " + reason + b"\r\n"
                b"Content-Type: text/plain\r\nContent-Length: " + str(len(reason)).encode() + b"\r\n"
                b"Connection: close\r\n\r\n" + reason
            )
            await writer.drain()
            return None
        for address in addresses:
            with contextlib.suppress(OSError, TimeoutError):
                return await asyncio.wait_for(asyncio.open_connection(address, port), CONNECT_TIMEOUT)
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return None

    async def tunnel(self, target: str, reader, writer) -> None:
        host, _, port = target.rpartition(":")
        upstream = await self.open(host.strip("[]"), int(port), writer)
        if upstream is None:
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await pipe(reader, writer, *upstream)

    async def forward(self, method: str, target: str, version: str, headers: bytes, reader, writer) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(target)
        upstream = await self.open(parts.hostname, parts.port or 80, writer)
        if upstream is None:
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [h for h in headers.split(b"\r\n") if h and h.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP]
        request = f"{method} {path} {version}\r\n".encode("latin-1") + b"\r\n".join([*kept, b"Connection: close"])
        upstream[1].write(request + b"\r\n\r\n")
        await pipe(reader, writer, *upstream)


async def pipe(reader, writer, upstream_reader, upstream_writer) -> None:
    """Copy both ways until either side closes."""

    async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        with contextlib.suppress(OSError):
            sink.close()

    try:
        await asyncio.gather(copy(reader, upstream_writer), copy(upstream_reader, writer))
    finally:
        upstream_writer.close()
