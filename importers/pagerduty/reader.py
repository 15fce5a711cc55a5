"""Reading a PagerDuty account through its REST API v2, with PagerDuty's own client (`pagerduty`).

Read-only: only GET requests. Lists are paged the classic way (offset, limit, `more`). A 429 is
waited out for as long as its Retry-After (or ratelimit-reset) says, a few times; a 401 stops the
import with a message naming the key, not a traceback.

The client retries a 429 by itself without end on its own timer; with `retry[429]` set and
`max_http_attempts` below zero (its documented "whichever is encountered first") it hands every
429 back at once, so the wait can follow what PagerDuty asked for.
"""

import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pagerduty

from ..base import SourceError

DEFAULT_URL = "https://api.pagerduty.com"
PAGE_SIZE = 100
RATE_LIMIT_TRIES = 5
LONGEST_WAIT = 60.0  # seconds; a longer Retry-After is a sign to run the import later
OVERRIDES_AHEAD = timedelta(days=365)


@dataclass
class PagerDutyData:
    users: list[dict] = field(default_factory=list)
    schedules: list[dict] = field(default_factory=list)  # each with schedule_layers
    overrides: dict[str, list[dict]] = field(default_factory=dict)  # schedule id -> future overrides
    escalation_policies: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    maintenance_windows: list[dict] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)
    team_members: dict[str, list[dict]] = field(default_factory=dict)  # team id -> [{"user": ref, "role": ...}]


class Reader:
    def __init__(self, api_key: str, api_url: str = DEFAULT_URL, ca_file: str | None = None, sleep=time.sleep):
        if not api_key:
            raise SourceError("Give a PagerDuty REST API key with --api-key (read-only is enough).")
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
        try:
            self.client = pagerduty.RestApiV2Client(api_key, base_url=api_url.rstrip("/"), verify=verify)
        except pagerduty.UrlError as exc:
            raise SourceError(f"--api-url {api_url}: {exc}") from None
        self.client.retry[429] = 1
        self.client.max_http_attempts = -1
        self.sleep = sleep

    def get(self, path: str, params: dict | None = None) -> dict:
        for _ in range(RATE_LIMIT_TRIES):
            try:
                response = self.client.get(path, params=params or {})
            except pagerduty.HttpError as exc:
                if exc.response is not None and exc.response.status_code == 401:
                    raise SourceError(
                        "PagerDuty refused the API key (401 Unauthorized): check --api-key, and --api-url "
                        "for an EU account (https://api.eu.pagerduty.com)."
                    ) from None
                raise SourceError(f"GET {path}: {exc}") from None
            except pagerduty.Error as exc:
                raise SourceError(f"GET {path}: {exc}") from None
            if response.status_code == 429:
                self.sleep(_wait(response.headers))
                continue
            if response.status_code == 403:
                raise SourceError(f"GET {path}: 403 Forbidden: the API key may not read {path.strip('/')}")
            if not response.is_success:
                raise SourceError(f"GET {path}: HTTP {response.status_code} {response.text[:200]}")
            return response.json()
        raise SourceError(f"GET {path}: still rate limited (429) after {RATE_LIMIT_TRIES} tries; run it again later")

    def list(self, path: str, key: str, params: dict | None = None) -> list[dict]:
        """Every entry of a classic-paginated list, following `more`."""
        out, offset = [], 0
        while True:
            body = self.get(path, {**(params or {}), "offset": offset, "limit": PAGE_SIZE})
            page = body.get(key) or []
            out += page
            if not body.get("more") or not page:
                return out
            offset += len(page)

    def read(self, now: datetime | None = None) -> PagerDutyData:
        now = now or datetime.now(UTC)
        data = PagerDutyData(users=self.list("/users", "users"))
        for summary in self.list("/schedules", "schedules"):
            data.schedules.append(self.get(f"/schedules/{summary['id']}")["schedule"])
            window = {"since": now.isoformat(), "until": (now + OVERRIDES_AHEAD).isoformat()}
            data.overrides[summary["id"]] = self.get(f"/schedules/{summary['id']}/overrides", window).get(
                "overrides", []
            )
        data.escalation_policies = self.list("/escalation_policies", "escalation_policies")
        data.services = self.list("/services", "services")
        data.maintenance_windows = self.list("/maintenance_windows", "maintenance_windows", {"filter": "future"})
        data.teams = self.list("/teams", "teams")
        for team in data.teams:
            data.team_members[team["id"]] = self.list(f"/teams/{team['id']}/members", "members")
        return data


def _wait(headers) -> float:
    """Seconds to wait from Retry-After (seconds) or ratelimit-reset (seconds), 1 s when neither says."""
    for name in ("retry-after", "ratelimit-reset"):
        try:
            return min(max(float(headers[name]), 0.0), LONGEST_WAIT)
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0
