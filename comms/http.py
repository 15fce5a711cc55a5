"""Outgoing HTTP for the channels that are plain HTTP calls (webhook, Slack, Mastodon).

One place for the timeout, the user agent and the reading of a refusal, so every such
channel treats 429, 5xx and Retry-After alike (STYLE.md: all outgoing HTTP through one wrapper).
Each thread keeps its own pooled session.
"""

import threading

import requests
from django.conf import settings

from comms.channels.base import error_for_status

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
    response = _session().post(url, timeout=timeout(), allow_redirects=False, **kwargs)
    if response.status_code >= 300:
        raise error_for_status(response.status_code, response.text[:300], response.headers.get("Retry-After"))
    return response
