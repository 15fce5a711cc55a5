"""HTTP(S) probes on aiohttp: one shared session per batch, a new connection for every probe.

aiohttp was measured against httpx and a bare asyncio client (bench/probe_engine_quick.py
--compare): with force_close, on uvloop, it makes a fresh connection per request at four to six
times httpx's rate and above blackbox exporter's figure, while keeping what a probe must get
right (chunked and compressed bodies, TLS, header limits, malformed responses) in a maintained
library rather than in a hand-written client. Redirects are followed here rather than by
aiohttp, so that every hop passes the address guard and a loop is named as one.
"""

import ssl

import aiohttp
from yarl import URL

from .config import HttpProbe, is_ip_address
from .net import AddressPolicy
from .result import ProbeFailure, ProbeResult, Progress, State, format_size
from .safety import ForbiddenAddress, GuardedResolver, check_address
from .tcp import describe_os_error
from .tls import client_context, describe_cert_error, describe_ssl_error

USER_AGENT = "Vigil-Probe/1.0"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers a redirect to another origin must not carry on.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def make_session(policy: AddressPolicy) -> aiohttp.ClientSession:
    """One session for a batch; every name it resolves passes POLICY (vigil_probes.net) first."""
    connector = aiohttp.TCPConnector(
        force_close=True,  # a new connection per probe: what a new visitor sees
        limit=0,  # the runner bounds concurrency
        use_dns_cache=False,
        resolver=GuardedResolver(policy),
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # probes share nothing
        timeout=aiohttp.ClientTimeout(total=None),  # the runner's hard timeout covers every step
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
        trace_configs=[_progress_trace()],
    )


def _progress_trace() -> aiohttp.TraceConfig:
    """Keeps Progress.step current, so a timeout says whether it struck connecting or waiting."""

    async def resolving(session, trace, params):
        trace.trace_request_ctx.progress.step = "resolving the host"

    async def connecting(session, trace, params):
        hop = trace.trace_request_ctx
        hop.progress.step = hop.connecting

    async def waiting(session, trace, params):
        trace.trace_request_ctx.progress.step = "waiting for the response headers"

    trace_config = aiohttp.TraceConfig()
    trace_config.on_dns_resolvehost_start.append(resolving)
    trace_config.on_dns_resolvehost_end.append(connecting)
    trace_config.on_request_headers_sent.append(waiting)
    trace_config.freeze()
    return trace_config


class _Hop:
    """What the trace callbacks of one request write to: the probe's progress, and how to name connecting."""

    __slots__ = ("connecting", "progress")

    def __init__(self, progress: Progress, url: URL):
        self.progress = progress
        self.connecting = "connecting and doing the TLS handshake" if url.scheme == "https" else "connecting"
        progress.step = self.connecting


async def check_http(probe: HttpProbe, context, progress: Progress) -> ProbeResult:
    request = _Request(probe)
    # aiohttp uses the context only for https, which a redirect may lead to.
    ssl_context = client_context(True, True, probe.ca_pem) if probe.verify_tls else client_context(verify=False)
    try:
        while True:
            if is_ip_address(request.url.host or ""):  # aiohttp does not resolve an address
                check_address(request.url.host, context.policy)
            async with context.http_session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                allow_redirects=False,
                ssl=ssl_context,
                trace_request_ctx=_Hop(progress, request.url),
            ) as response:
                if probe.follow_redirects and response.status in REDIRECT_STATUSES and request.follow(response):
                    continue
                return await _judge(probe, request, response, progress)
    except ForbiddenAddress as exc:
        raise ProbeFailure(str(exc), details={"address": exc.address}) from None
    except aiohttp.ClientError as exc:
        raise ProbeFailure(describe_client_error(exc, request.url.host or "", progress.step)) from None


class _Request:
    """The request of the current hop, and the redirects followed to get there."""

    __slots__ = ("body", "headers", "max_redirects", "method", "redirects", "seen", "url")

    def __init__(self, probe: HttpProbe):
        self.url = URL(probe.url)
        self.method = probe.method
        self.headers = probe.headers or None
        self.body = probe.body.encode() if probe.body else None
        self.max_redirects = probe.max_redirects
        self.redirects = 0
        self.seen = {self.url}

    def follow(self, response: aiohttp.ClientResponse) -> bool:
        """Move to the response's Location; False when there is none to follow."""
        location = response.headers.get("Location")
        if not location:
            return False
        try:
            target = self.url.join(URL(location))
        except ValueError:
            raise ProbeFailure(f"invalid redirect location {location[:100]!r}", response.status) from None
        if target.scheme not in ("http", "https") or not target.host:
            raise ProbeFailure(f"redirect to an unsupported URL {location[:100]!r}", response.status)
        self.redirects += 1
        if target in self.seen:
            raise ProbeFailure(f"redirect loop ({self.redirects} redirects)", response.status)
        if self.redirects > self.max_redirects:
            raise ProbeFailure(f"too many redirects (more than {self.max_redirects})", response.status)
        self.seen.add(target)
        if (response.status == 303 and self.method != "HEAD") or (
            response.status in (301, 302) and self.method == "POST"
        ):
            self.method, self.body = "GET", None
        if self.headers and target.origin() != self.url.origin():
            self.headers = tuple((n, v) for n, v in self.headers if n.lower() not in CREDENTIAL_HEADERS) or None
        self.url = target
        return True


async def _judge(probe: HttpProbe, request: _Request, response: aiohttp.ClientResponse, progress: Progress):
    status = response.status
    details = {"ttfb_ms": progress.elapsed_ms()}
    if request.redirects:
        details |= {"url": str(request.url), "redirects": request.redirects}
    if not any(low <= status <= high for low, high in probe.status_ranges):
        return progress.down(f"HTTP {status} (expected {probe.expected_status})", status, details)
    progress.step = "reading the body"
    body = await _read_body(response, probe.max_body_bytes, keep=bool(probe.keyword), details=details)
    latency_ms = progress.elapsed_ms()
    if probe.keyword and (_contains(body, probe.keyword, response) == probe.keyword_absent):
        if probe.keyword_absent:
            return progress.down(f"keyword {probe.keyword!r} found (must be absent)", status, details)
        return progress.down(f"keyword {probe.keyword!r} not found", status, details)
    if probe.degraded_after_ms is not None and latency_ms > probe.degraded_after_ms:
        reason = f"slow response: {latency_ms:.0f} ms (degraded above {probe.degraded_after_ms} ms)"
        return progress.result(State.DEGRADED, reason, status, details, latency_ms)
    return progress.result(State.UP, "", status, details, latency_ms)


async def _read_body(response: aiohttp.ClientResponse, limit: int, keep: bool, details: dict) -> bytes:
    """The body, read up to LIMIT bytes (kept only when KEEP); fails past the limit."""
    too_large = f"body larger than {format_size(limit)}"
    if response.content_length is not None and response.content_length > limit:
        raise ProbeFailure(too_large, response.status, details)
    chunks = []
    size = 0
    while chunk := await response.content.readany():
        size += len(chunk)
        if size > limit:
            raise ProbeFailure(too_large, response.status, details)
        if keep:
            chunks.append(chunk)
    details["body_bytes"] = size
    return b"".join(chunks)


def _contains(body: bytes, keyword: str, response: aiohttp.ClientResponse) -> bool:
    """Searches the bytes, with the keyword in the page's declared charset (UTF-8 when none)."""
    try:
        needle = keyword.encode(response.charset or "utf-8")
    except (LookupError, UnicodeError):
        needle = keyword.encode()
    return needle in body


def describe_client_error(exc: aiohttp.ClientError, host: str, step: str) -> str:
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        if isinstance(exc.os_error, ForbiddenAddress):
            return str(exc.os_error)
        return f"could not resolve host {host!r}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        error = exc.certificate_error
        if isinstance(error, ssl.SSLCertVerificationError):
            return describe_cert_error(error, host)
        return f"TLS certificate not trusted: {error}"
    if isinstance(exc, aiohttp.ClientConnectorSSLError) and isinstance(exc.os_error, ssl.SSLError):
        return describe_ssl_error(exc.os_error)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return describe_os_error(exc.os_error)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"server closed the connection while {step}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"broken response body: {_short(exc)}"
    if isinstance(exc, aiohttp.ClientResponseError):
        message = _short(exc.message).rstrip(":")  # aiohttp's parser says "Bad status line:\n..."
        return f"invalid HTTP response: {message[:1].lower()}{message[1:]}"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid URL: {_short(exc)}"
    if isinstance(exc, OSError):
        return f"{describe_os_error(exc)} while {step}"
    return f"HTTP error while {step}: {_short(exc)}"


def _short(value, limit: int = 120) -> str:
    text = str(value).strip().splitlines()[0] if str(value).strip() else type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
