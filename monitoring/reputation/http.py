"""Outgoing HTTP of the reputation watch: fetching feeds.

One place for the timeout, the user agent, the size cap and the address rule (STYLE.md: all
outgoing HTTP through one wrapper). With VIGIL_PROBE_FORBID_PRIVATE on, a feed on a loopback or
private address is refused as a probe would be (monitoring.probes.safety), and redirects are
followed by hand so that each target is checked too. Each thread keeps its own pooled session.
"""

import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings

from monitoring.probes import safety

USER_AGENT = "Vigil-Reputation/1 (feed reader)"
MAX_REDIRECTS = 5
_local = threading.local()


class FetchError(Exception):
    """Nothing usable came back. The message is the reason shown on the source."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def timeout() -> float:
    return float(getattr(settings, "VIGIL_REPUTATION_FEED_TIMEOUT", 10))


def max_bytes() -> int:
    return int(getattr(settings, "VIGIL_REPUTATION_FEED_MAX_BYTES", 5 * 1024 * 1024))


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.headers["User-Agent"] = USER_AGENT
    return _local.session


def _check_address(url: str) -> None:
    if not safety.forbid_private_setting():
        return
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"could not resolve host {parts.hostname!r}") from None
    try:
        safety.allowed_only(list(dict.fromkeys(info[4][0] for info in infos)))
    except safety.ForbiddenAddress as exc:
        raise FetchError(str(exc)) from None


def get(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET URL (following up to MAX_REDIRECTS redirects, each checked); FetchError if nothing usable came."""
    for _ in range(MAX_REDIRECTS + 1):
        _check_address(url)
        try:
            with _session().get(url, headers=headers, timeout=timeout(), stream=True, allow_redirects=False) as r:
                if r.is_redirect and r.headers.get("Location"):
                    url = requests.compat.urljoin(url, r.headers["Location"])
                    continue
                return Fetched(r.status_code, dict(r.headers), _read(r))
        except requests.RequestException as exc:
            raise FetchError(f"could not fetch the feed: {_reason(exc)}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _read(response: requests.Response) -> bytes:
    limit = max_bytes()
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"the feed is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout():g} s"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__
