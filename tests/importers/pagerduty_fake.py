"""A fake PagerDuty REST API v2 on 127.0.0.1 over TLS (a trustme CA), answering in PagerDuty's shapes.

Shapes as PagerDuty documents them (developer.pagerduty.com: List users, Get a schedule, List
overrides, List escalation policies, List services, List maintenance windows, List teams, List
members of a team: each a user reference with the member's team role):
classic pagination with offset, limit and `more`, entities wrapped under their plural name, a
schedule under "schedule" with its schedule_layers. Lists are served two entries a page whatever
the limit asked, as PagerDuty may serve fewer than asked, so the importer must follow `more`.

The account: a New York schedule whose second layer covers nights (a daily restriction), an
override, a Berlin schedule with an office-hours layer on weekdays (weekly restrictions), a weekend
layer (one weekly restriction of 60 hours) and an override, a policy over both, two services and one maintenance window,
and two teams: Payments (three members, owner of the New York schedule and, first of two, of the policy) and
Platform (under Payments in PagerDuty's hierarchy).
"""

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import trustme

API_KEY = "u+fakefakefakefake"
PAGE = 2


def ref(kind: str, id_: str, summary: str = "") -> dict:
    return {
        "id": id_,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{kind}s/{id_}",
    }


def user(id_: str, name: str, email: str, role: str = "user") -> dict:
    return {"id": id_, "type": "user", "name": name, "email": email, "role": role, "time_zone": "America/New_York",
            "summary": name, "contact_methods": [ref("email_contact_method", f"C{id_}")]}  # fmt: skip


USERS = [
    user("PANNA01", "Anna Adams", "anna@example.com", "admin"),
    user("PBEN002", "Ben Brown", "Ben@Example.com"),
    user("PCARL03", "Carl Clark", "carl@example.com"),
    user("PDORA04", "Dora Diaz", "dora@example.com"),
    user("PEVE005", "Eve Evans", "eve@example.com", "observer"),
]


def layer(id_, name, start, turn, users, restrictions=(), end=None) -> dict:
    return {"id": id_, "name": name, "start": start, "end": end, "rotation_virtual_start": start,
            "rotation_turn_length_seconds": turn, "users": [{"user": ref("user", u)} for u in users],
            "restrictions": list(restrictions), "rendered_schedule_entries": [],
            "rendered_coverage_percentage": None}  # fmt: skip


# Later layers win: "Layer 2" (nights) is above "Layer 1" (weeks), as PagerDuty draws them.
NEW_YORK = {
    "id": "PSCHNY1", "type": "schedule", "name": "Primary", "summary": "Primary", "time_zone": "America/New_York",
    "description": "Weeks by day, nights by the night crew",
    "schedule_layers": [
        layer("PL00001", "Layer 1", "2027-01-04T09:00:00-05:00", 7 * 86400, ["PANNA01", "PBEN002", "PCARL03"]),
        layer("PL00002", "Layer 2", "2027-01-04T18:00:00-05:00", 86400, ["PDORA04", "PEVE005"],
              [{"type": "daily_restriction", "start_time_of_day": "18:00:00", "duration_seconds": 12 * 3600,
                "start_day_of_week": None}]),
        layer("PL00000", "Old layer", "2026-01-01T00:00:00-05:00", 86400, ["PANNA01"],
              end="2027-01-04T09:00:00-05:00"),
    ],
    "overrides_subschedule": {"name": "Overrides", "rendered_schedule_entries": []},
    "final_schedule": {"name": "Final Schedule", "rendered_schedule_entries": []},
    "users": [ref("user", u) for u in ("PANNA01", "PBEN002", "PCARL03", "PDORA04", "PEVE005")],
    "escalation_policies": [ref("escalation_policy", "PPOL001")], "teams": [ref("team", "PTEAM01", "Payments")],
}  # fmt: skip
OVERRIDES = {
    "PSCHNY1": [
        {"id": "POVR001", "start": "2027-03-20T12:00:00-04:00", "end": "2027-03-21T12:00:00-04:00",
         "user": ref("user", "PCARL03", "Carl Clark")},
    ],
    "PSCHBE2": [  # Monday after the change to summer time, from the weekend's last hours into the office day
        {"id": "POVR002", "start": "2027-03-29T04:00:00+02:00", "end": "2027-03-29T11:00:00+02:00",
         "user": ref("user", "PEVE005", "Eve Evans")},
    ],
}  # fmt: skip
WEEKDAYS = [
    {"type": "weekly_restriction", "start_day_of_week": day, "start_time_of_day": "09:00:00",
     "duration_seconds": 8 * 3600}
    for day in range(1, 6)
]  # fmt: skip
# Friday 18:00 to Monday 06:00: longer than a day, so Vigil splits it at midnights.
WEEKEND = [{"type": "weekly_restriction", "start_day_of_week": 5, "start_time_of_day": "18:00:00",
            "duration_seconds": 60 * 3600}]  # fmt: skip
BERLIN = {
    "id": "PSCHBE2", "type": "schedule", "name": "Office hours", "summary": "Office hours",
    "time_zone": "Europe/Berlin", "description": "",
    "schedule_layers": [
        layer("PL00003", "Layer 1", "2027-01-04T09:00:00+01:00", 86400, ["PBEN002", "PANNA01"], WEEKDAYS),
        layer("PL00004", "Weekend", "2027-01-01T18:00:00+01:00", 7 * 86400, ["PCARL03", "PDORA04"], WEEKEND),
    ],
}  # fmt: skip
POLICIES = [
    {"id": "PPOL001", "type": "escalation_policy", "name": "Checkout", "summary": "Checkout", "num_loops": 2,
     "description": "Pages the on-call, then Anna",
     "teams": [ref("team", "PTEAM01", "Payments"), ref("team", "PTEAM02", "Platform")],
     "escalation_rules": [
         {"id": "PR00001", "escalation_delay_in_minutes": 10,
          "targets": [ref("schedule", "PSCHNY1", "Primary"), ref("schedule", "PSCHBE2", "Office hours")]},
         {"id": "PR00002", "escalation_delay_in_minutes": 30, "targets": [ref("user", "PANNA01", "Anna Adams")]},
     ]},
]  # fmt: skip
SERVICES = [
    {"id": "PSVC001", "type": "service", "name": "Checkout API", "status": "active",
     "escalation_policy": ref("escalation_policy", "PPOL001", "Checkout"),
     "integrations": [ref("generic_events_api_inbound_integration", "PINT001", "Events API v2")]},
    {"id": "PSVC002", "type": "service", "name": "Batch jobs", "status": "disabled",
     "escalation_policy": ref("escalation_policy", "PPOL001", "Checkout"), "integrations": []},
]  # fmt: skip
WINDOWS = [
    {"id": "PMW0001", "type": "maintenance_window", "start_time": "2027-02-10T01:00:00-05:00",
     "end_time": "2027-02-10T03:00:00-05:00", "description": "DB upgrade",
     "services": [ref("service", "PSVC001", "Checkout API")]},
]  # fmt: skip
TEAMS = [
    {"id": "PTEAM01", "type": "team", "name": "Payments", "summary": "Payments", "description": "Checkout",
     "parent": None, "default_role": "manager"},
    {"id": "PTEAM02", "type": "team", "name": "Platform", "summary": "Platform", "description": "",
     "parent": ref("team", "PTEAM01", "Payments"), "default_role": "manager"},
]  # fmt: skip
TEAM_MEMBERS = {
    "PTEAM01": [{"user": ref("user", "PANNA01", "Anna Adams"), "role": "manager"},
                {"user": ref("user", "PBEN002", "Ben Brown"), "role": "responder"},
                {"user": ref("user", "PCARL03", "Carl Clark"), "role": "responder"}],
    "PTEAM02": [{"user": ref("user", "PDORA04", "Dora Diaz"), "role": "responder"}],
}  # fmt: skip
LISTS = {"/users": USERS, "/schedules": [NEW_YORK, BERLIN], "/escalation_policies": POLICIES,
         "/services": SERVICES, "/maintenance_windows": WINDOWS, "/teams": TEAMS}  # fmt: skip


def page(key: str, rows: list, query: dict) -> dict:
    offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["25"])[0])
    entries = rows[offset : offset + min(limit, PAGE)]
    more = offset + len(entries) < len(rows)
    return {key: entries, "offset": offset, "limit": limit, "more": more, "total": None}


class FakePagerDuty:
    def __init__(self, tmp_path):
        ca = trustme.CA()
        self.ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.requests: list[str] = []
        self.rate_limit_once = {"/escalation_policies"}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                fake.requests.append(self.path)
                if self.headers.get("Authorization") != f"Token token={API_KEY}":
                    return self._send(401, {"error": {"message": "Unauthorized", "code": 2006}})
                if url.path in fake.rate_limit_once:
                    fake.rate_limit_once.discard(url.path)
                    return self._send(429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                                      {"Retry-After": "0"})  # fmt: skip
                return self._send(*fake.answer(url.path, parse_qs(url.query)))

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, path: str, query: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if path in LISTS:
            return 200, page(path.strip("/"), LISTS[path], query)
        if len(parts) == 3 and parts[0] == "teams" and parts[2] == "members" and parts[1] in TEAM_MEMBERS:
            return 200, page("members", TEAM_MEMBERS[parts[1]], query)
        schedules = {s["id"]: s for s in LISTS["/schedules"]}
        if len(parts) == 2 and parts[0] == "schedules" and parts[1] in schedules:
            return 200, {"schedule": schedules[parts[1]]}
        if len(parts) == 3 and parts[0] == "schedules" and parts[2] == "overrides":
            return 200, {"overrides": OVERRIDES.get(parts[1], [])}
        return 404, {"error": {"message": "Not Found", "code": 2100}}
