"""A read-only JSON client for the importers that read another tool's REST API (Opsgenie, Grafana OnCall).

Plain `requests` with a timeout on every call, as importers.statuspage.client does, and for the
same reason: the address is given by an admin on the command line, and vigil.http refuses the
loopback address the tests serve on. A 429 is waited out as Retry-After says (or, failing that,
Opsgenie's X-RateLimit-Period-In-Sec), at most LONGEST_WAIT seconds a time and MAX_TRIES times; a
401 or 403 stops the import with the tool's own words for what to check, never a traceback.
"""

import time
from urllib.parse import parse_qsl, urlsplit

import requests

from .base import SourceError

TIMEOUT = 30
MAX_TRIES = 5
LONGEST_WAIT = 60.0
WAIT_HEADERS = ("retry-after", "x-ratelimit-period-in-sec")


class JsonClient:
    def __init__(self, tool: str, base_url: str, headers: dict, refused: str, sleep=time.sleep):
        self.tool, self.base, self.refused, self.sleep = tool, base_url.rstrip("/"), refused, sleep
        if urlsplit(self.base).scheme not in ("http", "https"):
            raise SourceError(f"--api-url {base_url}: give an http:// or https:// address.")
        self.session = requests.Session()
        self.session.headers.update({**headers, "Accept": "application/json"})

    def get(self, path: str, params: dict | None = None) -> dict:
        url = f"{self.base}{path}"
        for _ in range(MAX_TRIES):
            try:
                response = self.session.get(url, params=params, timeout=TIMEOUT)
            except requests.RequestException as exc:
                raise SourceError(f"{self.tool} cannot be reached at {url}: {exc}") from None
            if response.status_code == 429:
                self.sleep(wait_for(response.headers))
                continue
            if response.status_code in (401, 403):
                raise SourceError(f"{self.tool} answered {response.status_code}: {self.refused}")
            if response.status_code != 200:
                raise SourceError(f"GET {url}: HTTP {response.status_code} {response.text[:200]}")
            try:
                return response.json()
            except ValueError:
                raise SourceError(f"GET {url}: the answer is not JSON; check --api-url") from None
        raise SourceError(f"{self.tool} kept answering 429 (too many requests) for {url}: run it again later.")

    def follow(self, next_url: str) -> tuple[str, dict]:
        """The path and query of a `next` link, to ask on our own base URL: a link naming another
        host (a proxy's view of the API) must not send the key elsewhere."""
        parts = urlsplit(next_url)
        path = parts.path
        base_path = urlsplit(self.base).path
        if base_path and path.startswith(base_path):
            path = path[len(base_path) :]
        return path, dict(parse_qsl(parts.query))


def wait_for(headers) -> float:
    for name in WAIT_HEADERS:
        try:
            return min(max(float(headers[name]), 0.0), LONGEST_WAIT)
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0
