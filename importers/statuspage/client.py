"""Reading a page from Atlassian Statuspage's REST API v1 (https://developer.statuspage.io), read-only.

`Authorization: OAuth <key>`. Lists come a page at a time: components and incidents take `page`
(from 1) and `per_page`; subscribers take `page` (from 0) and `limit`, and `state` (active: the
confirmed ones, unconfirmed, quarantined). A list ends at the first page shorter than asked for;
a page that repeats one seen before ends it too, so a server ignoring `page` cannot loop us.
A 429 is waited out as its Retry-After says (capped at RETRY_CAP seconds), MAX_RETRIES times.

Plain `requests` rather than vigil.http: the address is given by an admin on the command line,
the default being Statuspage's own, and vigil.http refuses the loopback address tests serve on.
"""

import time
from dataclasses import dataclass, field

import requests

from ..base import SourceError

DEFAULT_URL = "https://api.statuspage.io/v1"
PER_PAGE = 100
TIMEOUT = 30
RETRY_CAP = 60.0
MAX_RETRIES = 5


@dataclass
class StatuspageData:
    components: list[dict] = field(default_factory=list)  # groups too, with "group": true
    incidents: list[dict] = field(default_factory=list)  # scheduled maintenances too (scheduled_for set)
    subscribers: list[dict] = field(default_factory=list)  # confirmed ones
    unconfirmed: list[dict] = field(default_factory=list)


class Client:
    def __init__(self, page_id: str, api_key: str, api_url: str = DEFAULT_URL):
        if not page_id or not api_key:
            raise SourceError("Give the page's id with --page-id and an API key with --api-key.")
        self.base = f"{(api_url or DEFAULT_URL).rstrip('/')}/pages/{page_id}"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"OAuth {api_key}", "Accept": "application/json"})

    def get(self, path: str, params: dict) -> list:
        url = f"{self.base}/{path}"
        for _ in range(MAX_RETRIES + 1):
            try:
                response = self.session.get(url, params=params, timeout=TIMEOUT)
            except requests.RequestException as exc:
                raise SourceError(f"Statuspage cannot be reached at {url}: {exc}") from None
            if response.status_code != 429:
                return self._body(response, url)
            time.sleep(_retry_after(response))
        raise SourceError(f"Statuspage kept answering 429 (too many requests) for {url}: try again later.")

    def _body(self, response: requests.Response, url: str) -> list:
        if response.status_code == 401:
            raise SourceError("Statuspage answered 401: the API key was refused. Check --api-key.")
        if response.status_code == 404:
            raise SourceError(f"Statuspage answered 404 for {url}: check --page-id (and --api-url).")
        if response.status_code != 200:
            raise SourceError(f"Statuspage answered {response.status_code} for {url}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"Statuspage's answer for {url} is not JSON.") from None
        if not isinstance(body, list):
            raise SourceError(f"Statuspage's answer for {url} is not a list.")
        return body

    def listing(self, path: str, first: int = 1, size: str = "per_page", **params) -> list[dict]:
        rows: list[dict] = []
        seen: set[str] = set()
        page = first
        while True:
            batch = self.get(path, {**params, "page": page, size: PER_PAGE})
            ids = {str(row.get("id")) for row in batch}
            if ids & seen:
                break
            seen |= ids
            rows += batch
            if len(batch) < PER_PAGE:
                break
            page += 1
        return rows


def _retry_after(response: requests.Response) -> float:
    try:
        wait = float(response.headers.get("Retry-After", "1"))
    except ValueError:  # an HTTP date: wait the cap rather than parse it
        wait = RETRY_CAP
    return min(max(wait, 0.0), RETRY_CAP)


def read(page_id: str, api_key: str, api_url: str = DEFAULT_URL) -> StatuspageData:
    client = Client(page_id, api_key, api_url)
    return StatuspageData(
        components=client.listing("components"),
        incidents=client.listing("incidents"),
        subscribers=client.listing("subscribers", first=0, size="limit", state="active"),
        unconfirmed=client.listing("subscribers", first=0, size="limit", state="unconfirmed"),
    )
