"""Reading an Opsgenie account through its REST API v2 (docs.opsgenie.com), GET requests only.

`Authorization: GenieKey KEY`; every answer wraps its entities in `data`. Users and teams are
paged with offset and limit, the answer's `paging.next` naming the next page (absent on the last);
the other lists come whole, and are followed the same way should they ever carry `paging.next`.
Rate limits and refused keys: importers.rest.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..base import SourceError
from ..rest import JsonClient

DEFAULT_URL = "https://api.opsgenie.com"
PAGE_SIZE = 100
MAX_PAGES = 1000  # a server that keeps naming a next page cannot loop us
REFUSED = "the API key was refused. Check --api-key (an API integration's key with read access), and --api-url " \
          "for an EU account (https://api.eu.opsgenie.com)."  # fmt: skip


@dataclass
class OpsgenieData:
    users: list[dict] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)  # each as Get Team gives it, with its members
    schedules: list[dict] = field(default_factory=list)  # each with its rotations
    overrides: dict[str, list[dict]] = field(default_factory=dict)  # schedule id -> overrides not over yet
    escalations: list[dict] = field(default_factory=list)
    integrations: list[dict] = field(default_factory=list)


class Reader:
    def __init__(self, api_key: str, api_url: str = DEFAULT_URL, **client):
        if not api_key:
            raise SourceError("Give an Opsgenie API key with --api-key (an API integration's key, read access).")
        headers = {"Authorization": f"GenieKey {api_key}"}
        self.client = JsonClient("Opsgenie", api_url or DEFAULT_URL, headers, REFUSED, **client)

    def list(self, path: str, params: dict | None = None) -> list[dict]:
        out, query = [], {**(params or {})}
        for _ in range(MAX_PAGES):
            body = self.client.get(path, query)
            out += body.get("data") or []
            following = (body.get("paging") or {}).get("next")
            if not following or not body.get("data"):
                return out
            path, query = self.client.follow(following)
        return out

    def read(self, now: datetime | None = None) -> OpsgenieData:
        now = now or datetime.now(UTC)
        data = OpsgenieData(users=self.list("/v2/users", {"limit": PAGE_SIZE, "offset": 0}))
        # List teams gives no members; Get Team does ({"user": {"id", "username"}, "role"} each).
        data.teams = [self.client.get(f"/v2/teams/{team['id']}")["data"] for team in self.list("/v2/teams")]
        data.schedules = self.list("/v2/schedules", {"expand": "rotation"})
        for schedule in data.schedules:
            overrides = self.list(f"/v2/schedules/{schedule['id']}/overrides", {"scheduleIdentifierType": "id"})
            data.overrides[schedule["id"]] = [o for o in overrides if _end(o) > now]
        data.escalations = self.list("/v2/escalations")
        data.integrations = self.list("/v2/integrations")
        return data


def _end(override: dict) -> datetime:
    return datetime.fromisoformat(override["endDate"].replace("Z", "+00:00"))
