"""Outgoing HTTP for the channels that are plain HTTP calls (webhook, Slack, Mastodon).

One place for the timeout, the user agent and the reading of a refusal, so every such
channel treats 429, 5xx and Retry-After alike (STYLE.md: all outgoing HTTP through one wrapper).
Each thread keeps its own pooled session.
"""

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import requests
from django.conf import settings

USER_AGENT = "Vigil-Comms/1"
_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.headers["User-Agent"] = USER_AGENT
    return _local.session


def timeout() -> float:
    return float(getattr(settings, "VIGIL_COMMS_HTTP_TIMEOUT", 10))


def post(url: str, **kwargs) -> requests.Response:
    """POST and return the 2xx response; raise DeliveryError for a refusal, OSError when nothing was heard."""
    from comms.channels.base import error_for_status  # the channels import this module

    response = _session().post(url, timeout=timeout(), allow_redirects=False, **kwargs)
    if response.status_code >= 300:
        raise error_for_status(response.status_code, response.text[:300], response.headers.get("Retry-After"))
    return response


class ForbiddenHost(ValueError):
    """A URL anyone could have given points inside Vigil's network. The message says so in plain words."""


def forbidden_address(address: str) -> bool:
    """Anything but a globally routable unicast address: loopback, private, link-local, reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    return not ip.is_global or ip.is_multicast


def check_public_host(url: str) -> None:
    """Raise ForbiddenHost unless every address URL's host resolves to is public (the SSRF rule for
    URLs the public gives: status page subscribers' webhooks). VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE
    lifts it, for an install whose subscribers are all inside its own network.

    A host's DNS could change between this check and the request's own lookup; the check runs
    again before every send, which narrows that to a moment.
    """
    if getattr(settings, "VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE", False):
        return
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError, TypeError):
        raise ForbiddenHost(f"The host {parts.hostname!r} cannot be found.") from None
    if any(forbidden_address(info[4][0]) for info in infos):
        raise ForbiddenHost("The host is a private or loopback address; give a public one.")
