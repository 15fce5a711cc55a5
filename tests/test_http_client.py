"""The one outgoing HTTP client (vigil.http), against servers this test starts on loopback.

Where a test needs a "public" host it uses 192.0.2.10 (TEST-NET-1, documentation_net_is_public),
and every connection to anything but loopback is refused and recorded (no_packet_leaves).
"""

import gzip
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from comms.channels import get_channel
from comms.channels.base import DeliveryError, Message
from vigil import http
from vigil.net import policy

LOOPBACK = policy(("127.0.0.1/32",))


def dialled(attempts: list[tuple], server: "Server") -> list[tuple]:
    """The connections attempted (no_packet_leaves) to SERVER's port or off the machine; not Redis's and the like."""
    return [a for a in attempts if a[1] == server.port or a[0] not in ("127.0.0.1", "::1")]


class Server:
    """A threaded HTTP server on ADDRESS answering by path; every request's path and headers are kept."""

    def __init__(self, address: str = "127.0.0.1"):
        self.requests: list[tuple[str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append((self.path, dict(self.headers)))
                name = self.path.strip("/").split("?")[0].replace("-", "_") or "ok"
                route = getattr(owner, "route_" + name, None)
                (route or owner.route_ok)(self)

            do_POST = do_GET

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.address, self.port = address, self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.address}:{self.port}{path}"

    @staticmethod
    def answer(handler, status: int, body: bytes, headers: dict | None = None) -> None:
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def route_ok(self, handler):
        self.answer(handler, 200, b"ok")

    def route_big(self, handler):
        self.answer(handler, 200, b"x" * 5000)

    def route_bomb(self, handler):
        self.answer(handler, 200, gzip.compress(b"\0" * 5_000_000), {"Content-Encoding": "gzip"})

    def route_drip_body(self, handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "60")
        handler.end_headers()
        self._drip(handler, b"x" * 60)

    def route_drip_headers(self, handler):
        self._drip(handler, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 60 + b"\r\n\r\n")

    @staticmethod
    def _drip(handler, data: bytes) -> None:
        for byte in data:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(1)

    def route_away(self, handler):
        target = handler.path.partition("?to=")[2]
        self.answer(handler, 302, b"", {"Location": target})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    started = Server()
    yield started
    started.stop()


@pytest.fixture
def fast_deadline(settings):
    settings.VIGIL_HTTP_DEADLINE = 2.0


# --- What a URL may be -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:{port}\\@192.0.2.10/x", "backslash"),
        ("http://user:pass@192.0.2.10:{port}/", "user name or password"),
        ("http://127.0.0.1:{port}@192.0.2.10/", "user name or password"),
        ("ftp://192.0.2.10:{port}/", "https:// or http://"),
        ("http://192.0.2.10:{port}/a b", "space or a control character"),
        ("http:///x", "no host"),
    ],
)
def test_a_url_that_parsers_could_read_two_ways_is_refused_before_anything_is_sent(
    url, message, server, documentation_net_is_public
):
    with pytest.raises(http.RefusedURL, match=message):
        http.request("POST", url.format(port=server.port), data=b"{}")
    assert server.requests == [] and dialled(documentation_net_is_public, server) == []


def test_the_url_from_the_issue_is_refused_by_the_webhook_channel_for_good(server, documentation_net_is_public):
    message = Message(id=1, medium="webhook", destination=f"http://127.0.0.1:{server.port}\\@192.0.2.10/x", body="{}")
    outcome = get_channel("webhook").attempt(message)
    assert isinstance(outcome, DeliveryError) and outcome.permanent and "backslash" in outcome.reason
    assert server.requests == [] and dialled(documentation_net_is_public, server) == []


def test_loopback_is_refused_unless_allowed(server):
    with pytest.raises(http.RefusedAddress, match=r"127\.0\.0\.1 is a loopback address"):
        http.request("GET", server.url())
    assert server.requests == []
    assert http.request("GET", server.url(), policy=LOOPBACK).content == b"ok"


# --- Resolving once, connecting to what was checked ------------------------------------------------


@pytest.fixture
def dns(monkeypatch):
    """socket.getaddrinfo answering ANSWERS[name] (one list per call, the last repeated); the calls are kept."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    calls: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        calls.append(host)
        address = answers[host][min(len(calls), len(answers[host])) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, calls


def test_a_name_that_rebinds_is_resolved_once_and_only_the_checked_address_is_dialled(
    server, dns, documentation_net_is_public
):
    answers, calls = dns
    answers["rebind.example"] = ["192.0.2.10", "127.0.0.1"]  # public when checked, loopback after
    with pytest.raises(http.HttpError, match="connection failed"):
        http.request("POST", server.url("/hook", host="rebind.example"), data=b"{}")
    assert calls == ["rebind.example"]
    assert dialled(documentation_net_is_public, server) == [("192.0.2.10", server.port)]
    assert server.requests == []  # the loopback server behind the second answer heard nothing


def test_a_name_with_one_private_address_among_public_ones_is_refused(server, monkeypatch, documentation_net_is_public):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "mixed.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("192.0.2.10", "127.0.0.1")]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(http.RefusedAddress, match=r"127\.0\.0\.1 is a loopback address"):
        http.request("GET", server.url(host="mixed.example"))
    assert dialled(documentation_net_is_public, server) == [] and server.requests == []


def test_the_pinned_request_still_names_the_host_in_the_host_header(server, dns, settings):
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    dns[0]["hooks.example"] = ["127.0.0.1"]
    assert http.request("GET", server.url("/", host="hooks.example")).status_code == 200
    assert server.requests[0][1]["Host"] == f"hooks.example:{server.port}"


def test_tls_sends_the_host_name_as_sni_while_connecting_to_the_pinned_address(dns, settings):
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    dns[0]["hooks.example"] = ["127.0.0.1"]
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("hooks.example").configure_cert(context)  # from a CA the client does not trust
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    with pytest.raises(http.HttpError, match="TLS failed"):
        http.request("GET", f"https://hooks.example:{listener.getsockname()[1]}/")
    listener.close()
    assert names == ["hooks.example"]


# --- Deadline, size, redirects ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_a_receiver_that_drips_a_byte_a_second_is_cut_off_at_the_deadline(server, fast_deadline, path):
    started = time.monotonic()
    with pytest.raises(http.DeadlineExceeded, match="within 2 s"):
        http.request("GET", server.url(path), policy=LOOPBACK)
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("path", ["/big", "/bomb"])
def test_an_answer_over_the_byte_cap_is_refused(server, path):
    with pytest.raises(http.ResponseTooLarge, match="larger than 1000 bytes"):
        http.request("GET", server.url(path), policy=LOOPBACK, max_bytes=1000)


def test_redirects_are_not_followed_unless_asked(server):
    response = http.request("GET", server.url(f"/away?to={server.url('/ok')}"), policy=LOOPBACK)
    assert response.status_code == 302 and [path for path, _ in server.requests] == ["/away?to=" + server.url("/ok")]
    followed = http.request("GET", server.url(f"/away?to={server.url('/ok')}"), policy=LOOPBACK, max_redirects=2)
    assert (followed.status_code, followed.content) == (200, b"ok")


def test_each_redirect_is_checked_again(server):
    other = Server("127.0.0.2")
    try:
        with pytest.raises(http.RefusedAddress, match=r"127\.0\.0\.2 is a loopback address"):
            http.request("GET", server.url(f"/away?to={other.url('/ok')}"), policy=LOOPBACK, max_redirects=3)
        assert other.requests == []
        both = policy(("127.0.0.1/32", "127.0.0.2/32"))
        followed = http.request("GET", server.url(f"/away?to={other.url('/ok')}"), policy=both, max_redirects=3)
        assert followed.status_code == 200 and len(other.requests) == 1
    finally:
        other.stop()


def test_too_many_redirects_is_an_error(server):
    loop = server.url("/away?to=" + server.url("/away?to=" + server.url("/ok")))
    with pytest.raises(http.TooManyRedirects, match="more than 1 redirects"):
        http.request("GET", loop, policy=LOOPBACK, max_redirects=1)
