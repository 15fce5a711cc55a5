"""Misbehaving targets for the probe tests, all on loopback, run on an event loop in a thread.

One HTTP handler answers by path (see ROUTES); it is served over plain TCP and over TLS with
certificates made by trustme (valid, expired, soon to expire, for another host, untrusted).
Beside it: a listener that never says a word, one that answers anything with garbage, and a
DNS stub that answers from a small zone.
"""

import asyncio
import contextlib
import gzip
import json
import socket
import ssl
import struct
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import trustme

# ---------------------------------------------------------------- HTTP


@dataclass
class ConnectionStats:
    """How many connections the HTTP server saw, and the most open at once."""

    total: int = 0
    open: int = 0
    most_open: int = 0

    def reset(self) -> None:
        self.total = self.open = self.most_open = 0


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


def response(status: int, body: bytes = b"", headers: tuple = (), reason: str = "Status") -> bytes:
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def ok(request, writer):
    writer.write(response(200, b"<html>all systems OK</html>", [("Content-Type", "text/html; charset=utf-8")]))


async def status(request, writer):
    writer.write(response(int(request.path.rsplit("/", 1)[1]), b"status page"))


async def echo(request, writer):
    body = {"method": request.method, "headers": request.headers, "body": request.body.decode()}
    writer.write(response(200, json.dumps(body).encode(), [("Content-Type", "application/json")]))


async def slow(request, writer):
    await asyncio.sleep(int(request.path.rsplit("/", 1)[1]) / 1000)
    writer.write(response(200, b"slow but OK"))


async def hold(request, writer):
    await asyncio.sleep(0.02)
    writer.write(response(200, b"OK"))


async def hang(request, writer):
    await asyncio.sleep(3600)


async def drip(request, writer):
    """Headers at once, then one byte of the promised 1,000 every 0.1 s."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.1)


async def endless(request, writer):
    """A chunked body that never ends, as fast as the client reads it."""
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"y" * 65536)
    while not writer.is_closing():
        writer.write(chunk)
        await writer.drain()


async def big(request, writer):
    """Announces 2 MiB; the probe should give up on the header alone."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n" + b"z" * 65536)


async def garbage(request, writer):
    writer.write(b"\x00\xffthis is not HTTP at all\r\n\r\n\x01\x02")


async def reset(request, writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends a RST
    writer.transport.abort()


async def close(request, writer):
    pass  # the handler closes the connection without a word


async def loop(request, writer):
    other = "/loop/b" if request.path == "/loop/a" else "/loop/a"
    writer.write(response(302, headers=[("Location", other)]))


async def chain(request, writer):
    left = int(request.path.rsplit("/", 1)[1])
    writer.write(response(302, headers=[("Location", f"/chain/{left - 1}" if left else "/ok")]))


async def see_other(request, writer):
    writer.write(response(303, headers=[("Location", "/echo")]))


async def redirect_to(request, writer):
    writer.write(response(302, headers=[("Location", request.query.removeprefix("url="))]))


async def gzipped(request, writer):
    body = gzip.compress(b"compressed, and all systems OK")
    writer.write(response(200, body, [("Content-Encoding", "gzip")]))


async def latin1(request, writer):
    body = "Caf\u00e9 ouvert".encode("latin-1")
    writer.write(response(200, body, [("Content-Type", "text/plain; charset=iso-8859-1")]))


ROUTES = {
    "/ok": ok,
    "/status": status,
    "/echo": echo,
    "/slow": slow,
    "/hold": hold,
    "/hang": hang,
    "/drip": drip,
    "/endless": endless,
    "/big": big,
    "/garbage": garbage,
    "/reset": reset,
    "/close": close,
    "/loop": loop,
    "/chain": chain,
    "/see-other": see_other,
    "/redirect-to": redirect_to,
    "/gzip": gzipped,
    "/latin1": latin1,
}


async def read_request(reader) -> Request:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *lines = head.rstrip("\r\n").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    path, _, query = target.partition("?")
    return Request(method, path, query, headers, body)


class HeadWriter:
    """Drops the body of whatever a route writes: an answer to HEAD has none."""

    def __init__(self, writer):
        self._writer = writer

    def write(self, data: bytes) -> None:
        self._writer.write(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")

    def __getattr__(self, name):
        return getattr(self._writer, name)


def http_handler(stats: ConnectionStats):
    async def handle(reader, writer):
        stats.total += 1
        stats.open += 1
        stats.most_open = max(stats.most_open, stats.open)
        try:
            request = await read_request(reader)
            route = ROUTES.get("/" + request.path.split("/")[1])
            if route is None:
                writer.write(response(404, b"not found"))
            else:
                await route(request, HeadWriter(writer) if request.method == "HEAD" else writer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass  # the servers are stopping: end quietly
        finally:
            stats.open -= 1
            writer.close()

    return handle


# ---------------------------------------------------------------- raw TCP


async def silent(reader, writer):
    """Accepts and never says a word: a TLS handshake or an HTTP request waits forever."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(3600)


async def babble(reader, writer):
    """Answers a TLS client hello or anything else with bytes that mean nothing."""
    with contextlib.suppress(asyncio.CancelledError, OSError):
        await reader.read(1)
        writer.write(b"garbage bytes, not a TLS record\r\n" * 4)
        await writer.drain()
        await asyncio.sleep(3600)


# ---------------------------------------------------------------- DNS

ZONE = {
    ("www.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("www.example.test.", "AAAA"): ["2001:db8::10"],
    ("alias.example.test.", "CNAME"): ["www.example.test."],
    ("example.test.", "MX"): ["10 mail.example.test."],
    ("example.test.", "TXT"): ['"v=spf1 -all"'],
}
KNOWN_NAMES = {name for name, _ in ZONE}


class DnsStub(asyncio.DatagramProtocol):
    """Answers from ZONE; SERVFAIL for servfail.example.test, silence for slow.example.test."""

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, address):
        query = dns.message.from_wire(data)
        question = query.question[0]
        name, record_type = question.name.to_text(), dns.rdatatype.to_text(question.rdtype)
        if name == "slow.example.test.":
            return
        reply = dns.message.make_response(query)
        if name == "servfail.example.test.":
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif name not in KNOWN_NAMES:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif (name, record_type) in ZONE:
            values = ZONE[name, record_type]
            reply.answer.append(dns.rrset.from_text_list(name, 60, dns.rdataclass.IN, record_type, values))
        self.transport.sendto(reply.to_wire(), address)


# ---------------------------------------------------------------- TLS certificates


class Certificates:
    """A trusted CA with server certificates in every state a probe must tell apart."""

    def __init__(self):
        now = datetime.now(UTC)
        self.ca = trustme.CA()
        self.ca_pem = self.ca.cert_pem.bytes().decode()
        stranger = trustme.CA()  # a CA nobody trusts
        hosts = ("localhost", "127.0.0.1")
        # An hour beyond whole days keeps "3 days ago" and "5 days" stable while the tests run.
        self.leaves = {
            "valid": self.ca.issue_cert(*hosts),
            "expired": self.ca.issue_cert(
                *hosts, not_before=now - timedelta(days=40), not_after=now - timedelta(days=3, hours=1)
            ),
            "expiring": self.ca.issue_cert(*hosts, not_after=now + timedelta(days=5, hours=1)),
            "wrong_host": self.ca.issue_cert("other.example"),
            "untrusted": stranger.issue_cert(*hosts),
        }

    def server_context(self, name: str) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.leaves[name].configure_cert(context)
        return context


# ---------------------------------------------------------------- the thread they run in


class Servers:
    """Starts every target on 127.0.0.1 on its own loop thread; ports are read after start()."""

    def __init__(self):
        self.stats = ConnectionStats()
        self.certificates = Certificates()
        self.tls_ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="probe-test-servers", daemon=True)
        self._servers = []

    def start(self) -> "Servers":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self):
        handler = http_handler(self.stats)
        self.http_port = await self._serve(handler)
        for name in self.certificates.leaves:
            self.tls_ports[name] = await self._serve(handler, ssl=self.certificates.server_context(name))
        self.silent_port = await self._serve(silent)
        self.babble_port = await self._serve(babble)
        transport, _ = await self._loop.create_datagram_endpoint(DnsStub, local_addr=("127.0.0.1", 0))
        self._servers.append(transport)
        self.dns_port = transport.get_extra_info("sockname")[1]

    async def _serve(self, handler, **kwargs) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, backlog=512, **kwargs)
        self._servers.append(server)
        return server.sockets[0].getsockname()[1]

    def url(self, path: str, tls: str | None = None) -> str:
        if tls:
            return f"https://127.0.0.1:{self.tls_ports[tls]}{path}"
        return f"http://127.0.0.1:{self.http_port}{path}"

    def stop(self) -> None:
        async def close_all():
            for server in self._servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
