"""Reading a Grafana OnCall instance through its public API v1 (grafana.com/docs/oncall, "OnCall API").

`Authorization: <token>` (the token as it is, no scheme). Every list is paged the Django REST
framework way: `results`, `count`, and `next`, the URL of the next page (null on the last).
Rate limits and refused tokens: importers.rest.
"""

from dataclasses import dataclass, field

from ..base import SourceError
from ..rest import JsonClient

MAX_PAGES = 1000  # a server that keeps naming a next page cannot loop us
REFUSED = "the API token was refused. Check --api-key (OnCall > Settings > API tokens) and --api-url " \
          "(the OnCall API's address, e.g. https://oncall-prod-us-central-0.grafana.net/oncall)."  # fmt: skip


@dataclass
class OnCallData:
    users: list[dict] = field(default_factory=list)  # each with `teams`, the ids of its teams
    teams: list[dict] = field(default_factory=list)  # id, name, email: no members (the users name them)
    schedules: list[dict] = field(default_factory=list)
    shifts: dict[str, dict] = field(default_factory=dict)  # by id
    chains: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)  # escalation policies: the chains' steps
    integrations: list[dict] = field(default_factory=list)
    routes: list[dict] = field(default_factory=list)


class Reader:
    def __init__(self, api_key: str, api_url: str, **client):
        if not api_key or not api_url:
            raise SourceError("Give the OnCall API's address with --api-url and an API token with --api-key.")
        self.client = JsonClient("Grafana OnCall", api_url, {"Authorization": api_key}, REFUSED, **client)

    def list(self, path: str) -> list[dict]:
        out, query = [], {}
        for _ in range(MAX_PAGES):
            body = self.client.get(path, query)
            out += body.get("results") or []
            if not body.get("next") or not body.get("results"):
                return out
            path, query = self.client.follow(body["next"])
        return out

    def read(self) -> OnCallData:
        data = OnCallData(users=self.list("/api/v1/users/"), schedules=self.list("/api/v1/schedules/"))
        data.teams = self.list("/api/v1/teams/")
        data.shifts = {shift["id"]: shift for shift in self.list("/api/v1/on_call_shifts/")}
        data.chains = self.list("/api/v1/escalation_chains/")
        data.steps = self.list("/api/v1/escalation_policies/")
        data.integrations = self.list("/api/v1/integrations/")
        data.routes = self.list("/api/v1/routes/")
        return data
