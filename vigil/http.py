"""The one outgoing HTTP client for URLs that a user or a partner supplies.

Webhooks (subscribers' and stakeholders'), Slack, Mastodon and reputation feeds all go through
request(). What it guarantees, whatever the URL:

- The URL is read by urllib3's parser, the one that connects. A URL with a user name or password
  (`http://a@b/`), a backslash, or a host that urllib.parse reads differently, is refused
  (RefusedURL): `http://127.0.0.1:8000\\@192.0.2.10/` names 192.0.2.10 to urlsplit() and
  127.0.0.1 to the connection, and no check of one can speak for the other.
- The host is resolved once. Every address it resolves to must pass the address rule (vigil.net;
  the install's VIGIL_OUTBOUND_ALLOWED_NETWORKS), and the connection is made to the first of
  them, pinned: the name is not looked up again, so DNS that answers differently the second time
  (rebinding) changes nothing. The request still says `Host: <name>`, and TLS sends the name as
  SNI and checks the certificate against it.
- One deadline for the whole request (VIGIL_HTTP_DEADLINE): looking up the name, connecting,
  sending, the headers and the body. A watchdog shuts the socket down when it passes, so a
  receiver that drips a byte a second cannot hold a worker.
- At most max_bytes of body (VIGIL_HTTP_MAX_BYTES), counted after decompression.
- No redirects unless the caller asks for some; each hop is then parsed and checked again.
- No proxy from the environment (a proxy would connect for us, unchecked), no cookies kept.

Errors: RefusedURL (and RefusedAddress) when the URL or its address is refused before anything is
sent, which trying again will not change; HttpError, an OSError, when nothing usable was heard
(no such host, no connection, the deadline, a broken or oversized answer). A status code is not
an error here: the caller reads Response.status_code.

The probe engine is the one exception (it has its own engine, tuned for throughput),
and shares only the address rule.
"""

import contextlib
import email.utils
import json as jsonlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url
from urllib3.util.connection import allowed_gai_family

from vigil import net

USER_AGENT = "Vigil/1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers a redirect to another origin must not carry on.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedURL(Exception):
    """The URL is refused before anything is sent. The message says why, in words a person understands."""


class RefusedAddress(RefusedURL):
    """The URL's host resolves to an address the policy refuses (vigil.net)."""

    def __init__(self, host: str, address: str, reason: str):
        super().__init__(
            f"{host} cannot be reached: {reason}. Vigil sends only to public addresses, not to private or "
            "loopback ones, unless VIGIL_OUTBOUND_ALLOWED_NETWORKS allows their network."
        )
        self.host = host
        self.address = address
        self.reason = reason


class HttpError(OSError):
    """Nothing usable was heard: worth another try later (comms treats every OSError so)."""


class HostNotFound(HttpError):
    pass


class DeadlineExceeded(HttpError):
    pass


class ResponseTooLarge(HttpError):
    pass


class TooManyRedirects(HttpError):
    pass


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: CaseInsensitiveDict
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode(get_encoding_from_headers(self.headers) or "utf-8", errors="replace")

    def json(self):
        return jsonlib.loads(self.content)


def outbound_policy() -> net.AddressPolicy:
    """The rule for webhooks, Slack, Mastodon and feeds: public addresses, and VIGIL_OUTBOUND_ALLOWED_NETWORKS."""
    return net.policy(tuple(settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS))


# --- Reading a URL -------------------------------------------------------------------------------


def parse(url: str):
    """URL as urllib3 reads it (a urllib3 Url); RefusedURL when it is not a plain http(s) URL."""
    if not isinstance(url, str) or not url.strip():
        raise RefusedURL("The URL is empty.")
    if "\\" in url:
        raise RefusedURL("The URL has a backslash (\\) in it: write it with forward slashes only.")
    if any(ord(char) <= 32 or ord(char) == 127 for char in url):
        raise RefusedURL("The URL has a space or a control character in it.")
    try:
        parsed = parse_url(url)
        split = urlsplit(url)
        split_port = split.port
    except (LocationParseError, ValueError):
        raise RefusedURL("The URL cannot be read: check it is a full address, https://...") from None
    if (parsed.scheme or "").lower() not in DEFAULT_PORTS:
        raise RefusedURL("The URL must start with https:// or http://.")
    if parsed.auth is not None or split.username is not None or "@" in (parsed.netloc or ""):
        raise RefusedURL("The URL has a user name or password before its host (user@host): leave them out.")
    if not parsed.host:
        raise RefusedURL("The URL has no host.")
    if _same_host(split.hostname) != _same_host(parsed.host) or split_port != parsed.port:
        raise RefusedURL("The URL's host is ambiguous (it reads differently to different parsers): write it plainly.")
    return parsed


def _same_host(host: str | None) -> str:
    host = (host or "").strip("[]").lower()
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return host


# --- Resolving once --------------------------------------------------------------------------------

# Name lookups run here, so that a slow DNS server counts against the deadline instead of blocking it.
_lookups = ThreadPoolExecutor(max_workers=16, thread_name_prefix="vigil-http-dns")


def resolve(host: str, port: int, policy: net.AddressPolicy, deadline: "Deadline") -> str:
    """The address to connect to for HOST: every address it resolves to checked, the first returned."""
    try:
        future = _lookups.submit(socket.getaddrinfo, host, port, allowed_gai_family(), socket.SOCK_STREAM)
        infos = future.result(timeout=deadline.remaining())
    except FutureTimeout:
        raise DeadlineExceeded(f"no answer within {deadline.seconds:g} s (looking up {host})") from None
    except (socket.gaierror, UnicodeError):
        raise HostNotFound(f"the host {host} cannot be found") from None
    addresses = [info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not addresses:
        raise HostNotFound(f"the host {host} cannot be found")
    try:
        return policy.check_all(addresses)[0]
    except net.ForbiddenAddress as exc:
        raise RefusedAddress(host, exc.address, exc.reason) from None


def check(url: str, policy: net.AddressPolicy | None = None, deadline: float | None = None) -> None:
    """What request() would check before connecting, without connecting: RefusedURL, or HttpError
    when the host cannot be found. For forms that take a URL, so a person hears at once."""
    parsed = parse(url)
    with Deadline(settings.VIGIL_HTTP_DEADLINE if deadline is None else deadline) as clock:
        resolve(
            parsed.host.strip("[]"), parsed.port or DEFAULT_PORTS[parsed.scheme], policy or outbound_policy(), clock
        )


# --- The deadline ----------------------------------------------------------------------------------


class Deadline:
    """One request's time limit. A timer shuts down every socket it watches when the limit passes:
    a blocked read then returns at once, however slowly the other end drips its bytes.

    It watches a duplicate of each socket (socket.dup()): the duplicate stays valid when TLS takes
    the original over, and shutting it down ends the connection both share.
    """

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.ends = time.monotonic() + self.seconds
        self.expired = False
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0 or self.expired:
            raise DeadlineExceeded(f"no complete answer within {self.seconds:g} s")
        return left

    def watch(self, sock: socket.socket) -> None:
        duplicate = sock.dup()
        with self._lock:
            self._watched.append(duplicate)
            if self.expired:
                _shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)


# The deadline of the request this thread is making, for the connections it opens.
_current: ContextVar[Deadline | None] = ContextVar("vigil_http_deadline", default=None)


class _Watched:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        deadline = _current.get()
        if deadline is not None:
            deadline.watch(sock)
        return sock


class _Connection(_Watched, HTTPConnection):
    pass


class _TlsConnection(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


class _PinnedAdapter(HTTPAdapter):
    """requests' adapter, connecting to the checked address of the host rather than to its name."""

    def __init__(self, policy: net.AddressPolicy, deadline: Deadline):
        self.policy = policy
        self.deadline = deadline
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host, scheme = host_params["host"], host_params["scheme"]
        address = resolve(host, host_params["port"] or DEFAULT_PORTS[scheme], self.policy, self.deadline)
        request.headers["Host"] = urlsplit(request.url).netloc
        if scheme == "https":
            pool_kwargs["server_hostname"] = host  # SNI, and the name the certificate must match
        host_params["host"] = address
        return host_params, pool_kwargs


# --- Requests --------------------------------------------------------------------------------------


def request(
    method: str,
    url: str,
    *,
    policy: net.AddressPolicy | None = None,
    deadline: float | None = None,
    max_bytes: int | None = None,
    max_redirects: int = 0,
    headers: dict | None = None,
    data=None,
    json=None,
    user_agent: str = USER_AGENT,
) -> Response:
    """METHOD URL, under the rules in this module's docstring; the final Response (a 3xx when
    redirects are not followed). policy: outbound_policy(); deadline: VIGIL_HTTP_DEADLINE seconds;
    max_bytes: VIGIL_HTTP_MAX_BYTES."""
    policy = outbound_policy() if policy is None else policy
    limit = settings.VIGIL_HTTP_MAX_BYTES if max_bytes is None else max_bytes
    headers = dict(headers or {})
    with Deadline(settings.VIGIL_HTTP_DEADLINE if deadline is None else deadline) as clock:
        for _ in range(max_redirects + 1):
            parse(url)
            response = _send(method, url, headers, data, json, user_agent, policy, clock, limit)
            location = response.headers.get("Location")
            if not (max_redirects and response.status_code in REDIRECT_STATUSES and location):
                return response
            target = urljoin(url, location)
            if urlsplit(target)[:2] != urlsplit(url)[:2]:
                headers = {name: value for name, value in headers.items() if name.lower() not in CREDENTIAL_HEADERS}
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, data, json = ("HEAD" if method == "HEAD" else "GET"), None, None
            url = target
    raise TooManyRedirects(f"more than {max_redirects} redirects")


def _send(method, url, headers, data, json, user_agent, policy, clock: Deadline, limit: int) -> Response:
    """One request on a new session: nothing (connection, cookie) outlives it or passes to the next."""
    token = _current.set(clock)
    try:
        with requests.Session() as session:
            session.trust_env = False  # no proxy, netrc or CA bundle from the environment
            session.headers["User-Agent"] = user_agent
            adapter = _PinnedAdapter(policy, clock)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            left = clock.remaining()
            with session.request(
                method, url, headers=headers, data=data, json=json, stream=True, allow_redirects=False, timeout=left
            ) as response:
                body = _read(response, limit, clock)
            clock.remaining()  # a body cut short by the watchdog is no body
            return Response(response.status_code, response.headers, body, url)
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema):
        raise RefusedURL("The URL cannot be read: check it is a full address, https://...") from None
    except requests.RequestException as exc:
        raise _failure(exc, clock) from None
    finally:
        _current.reset(token)


def _read(response: requests.Response, limit: int, clock: Deadline) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"the answer is larger than {limit} bytes")
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"the answer is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _failure(exc: requests.RequestException, clock: Deadline) -> HttpError:
    if clock.expired or isinstance(exc, requests.Timeout):
        return DeadlineExceeded(f"no complete answer within {clock.seconds:g} s")
    if isinstance(exc, requests.exceptions.SSLError):
        return HttpError(f"TLS failed: {_first_line(exc)}")
    if isinstance(exc, requests.ConnectionError):
        return HttpError("connection failed")
    return HttpError(f"broken answer: {type(exc).__name__}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when it says nothing
    usable. One reading for every caller of an outside service (comms' channels, Teams cards)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
