"""A fake Grafana OnCall public API v1 on loopback (tests/importers/json_fake.py), in OnCall's shapes.

Shapes as OnCall's public API serializers give them (grafana/oncall engine/apps/public_api/
serializers: users (with `teams`, the ids of their teams), teams (id, grafana_id, name, email,
avatar_url: no members), schedules_web/_ical/_calendar, on_call_shifts, escalation_chains,
escalation_policies, integrations, routes): every list paged the Django REST framework way
(`count`, `next`, `previous`, `results`, `page_size`, `current_page_number`, `total_pages`), two
entries a page here so the importer must follow `next`. A shift's `start` is local time in its
`time_zone`; its `duration` is in seconds, as is a wait step's.

The instance: a Berlin web schedule of weeks with a night shift above it and an override to come,
a one-off shift (not a rotation), an iCal schedule, a calendar schedule of a weekly shift limited
to Mon-Fri 09:00 for 8 h (`by_day`) and a weekly one from Friday 18:00 for 60 h above it, a
chain (schedule, wait 10 min, Anna, a webhook, repeat), four integrations and a second route, and
two teams: Payments (Anna and Ben; it owns the Primary schedule and the chain) and an empty one, Platform.
"""

from .json_fake import FakeJsonApi

API_KEY = "c2f1e7f0a3b94d5e8f6a7b8c9d0e1f2a"
PAGE = 2


def user(id_: str, name: str, email: str, role: str = "editor", teams=()) -> dict:
    return {"id": id_, "email": email, "slack": None, "username": name, "role": role,
            "is_phone_number_verified": False, "timezone": "Europe/Berlin", "teams": list(teams)}  # fmt: skip


USERS = [
    user("UANNA1", "anna", "anna@example.com", "admin", teams=["TPAYM1"]),
    user("UBEN02", "ben", "Ben@Example.com", teams=["TPAYM1"]),
    user("UCARL3", "carl", "carl@example.com"),
    user("UEVE04", "eve", "eve@example.com", "viewer"),
]


def rolling(id_, name, start, frequency, duration, people, level=0, **more) -> dict:
    return {"id": id_, "team_id": None, "name": name, "type": "rolling_users", "time_zone": "Europe/Berlin",
            "level": level, "start": start, "rotation_start": start, "duration": duration, "frequency": frequency,
            "interval": 1, "until": None, "by_day": None, "by_month": None, "by_monthday": None,
            "rolling_users": [[p] for p in people], "start_rotation_from_user_index": 0, **more}  # fmt: skip


SHIFTS = [
    rolling("OWEEKS", "Weeks", "2027-01-04T09:00:00", "weekly", 7 * 86400, ["UANNA1", "UBEN02", "UCARL3"],
            week_start="MO"),
    rolling("ONIGHT", "Nights", "2027-01-04T18:00:00", "daily", 12 * 3600, ["UCARL3", "UANNA1"], level=1),
    {"id": "OOVER1", "team_id": None, "name": "Ben covers", "type": "override", "time_zone": None,
     "start": "2027-03-20T12:00:00", "rotation_start": "2027-03-20T12:00:00", "duration": 86400,
     "users": ["UBEN02"]},
    {"id": "OONCE1", "team_id": None, "name": "Launch day", "type": "single_event", "time_zone": "Europe/Berlin",
     "level": 2, "start": "2027-03-25T08:00:00", "rotation_start": "2027-03-25T08:00:00", "duration": 3600 * 10,
     "users": ["UEVE04"]},
    rolling("OWKDAY", "Desk", "2027-01-04T09:00:00", "weekly", 8 * 3600, ["UBEN02", "UCARL3"], week_start="MO",
            by_day=["MO", "TU", "WE", "TH", "FR"]),
    rolling("OWKEND", "Weekend", "2027-01-01T18:00:00", "weekly", 60 * 3600, ["UANNA1", "UCARL3"], level=1,
            week_start="MO"),
]  # fmt: skip
SCHEDULES = [
    {"id": "SPRIM1", "team_id": "TPAYM1", "name": "Primary", "type": "web", "time_zone": "Europe/Berlin",
     "on_call_now": [], "shifts": ["OWEEKS", "ONIGHT", "OOVER1", "OONCE1"], "slack": None},
    {"id": "SICAL2", "team_id": None, "name": "Legacy", "type": "ical", "time_zone": "UTC", "on_call_now": [],
     "ical_url_primary": "https://calendar.example.com/oncall.ics", "ical_url_overrides": None, "slack": None},
    {"id": "SCAL03", "team_id": None, "name": "Weekdays", "type": "calendar", "time_zone": "Europe/Berlin",
     "on_call_now": [], "shifts": ["OWKDAY", "OWKEND"], "ical_url_overrides": None, "slack": None},
]  # fmt: skip
CHAINS = [{"id": "FCHAIN", "team_id": "TPAYM1", "name": "Checkout"}]
TEAMS = [
    {"id": "TPAYM1", "grafana_id": 12, "name": "Payments", "email": "payments@example.com",
     "avatar_url": "/avatar/3f49c15916554246daa714b9bd0ee398"},
    {"id": "TPLAT2", "grafana_id": 13, "name": "Platform", "email": "", "avatar_url": "/avatar/0d1f"},
]  # fmt: skip
STEPS = [
    {"id": "E1", "escalation_chain_id": "FCHAIN", "position": 0, "type": "notify_on_call_from_schedule",
     "important": False, "notify_on_call_from_schedule": "SPRIM1"},
    {"id": "E2", "escalation_chain_id": "FCHAIN", "position": 1, "type": "wait", "duration": 600},
    {"id": "E3", "escalation_chain_id": "FCHAIN", "position": 2, "type": "notify_persons", "important": True,
     "persons_to_notify": ["UANNA1"]},
    {"id": "E4", "escalation_chain_id": "FCHAIN", "position": 3, "type": "trigger_webhook",
     "action_to_trigger": "WH1"},
    {"id": "E5", "escalation_chain_id": "FCHAIN", "position": 4, "type": "repeat_escalation"},
]  # fmt: skip


def integration(id_, name, kind, chain=None) -> dict:
    return {"id": id_, "name": name, "description_short": None, "team_id": None,
            "link": f"https://oncall.example.com/integrations/v1/{kind}/{id_}/", "inbound_email": None, "type": kind,
            "default_route": {"id": f"R{id_}", "escalation_chain_id": chain, "slack": {"channel_id": None}},
            "templates": {}, "maintenance_mode": None}  # fmt: skip


INTEGRATIONS = [
    integration("CPROM1", "Prometheus", "alertmanager", "FCHAIN"),
    integration("CGRAF2", "Grafana", "grafana_alerting"),
    integration("CPAGE3", "Direct paging", "direct_paging"),
    integration("CZABB4", "Zabbix", "zabbix"),
]
ROUTES = [
    {"id": "RCRIT1", "integration_id": "CPROM1", "escalation_chain_id": "FCHAIN", "routing_type": "regex",
     "routing_regex": "severity=critical", "position": 0, "is_the_last_route": False},
    {"id": "RCPROM1", "integration_id": "CPROM1", "escalation_chain_id": "FCHAIN", "routing_type": "regex",
     "routing_regex": ".*", "position": 1, "is_the_last_route": True},
]  # fmt: skip
LISTS = {"/api/v1/users/": USERS, "/api/v1/teams/": TEAMS, "/api/v1/schedules/": SCHEDULES,
         "/api/v1/on_call_shifts/": SHIFTS,
         "/api/v1/escalation_chains/": CHAINS, "/api/v1/escalation_policies/": STEPS,
         "/api/v1/integrations/": INTEGRATIONS, "/api/v1/routes/": ROUTES}  # fmt: skip


def answer(path: str, query: dict, base: str) -> tuple[int, dict]:
    if path not in LISTS:
        return 404, {"detail": "Not found."}
    rows, number = LISTS[path], int(query.get("page", 1))
    page = rows[(number - 1) * PAGE : number * PAGE]
    pages = max((len(rows) + PAGE - 1) // PAGE, 1)
    return 200, {
        "count": len(rows),
        "next": f"{base}{path}?page={number + 1}" if number < pages else None,
        "previous": f"{base}{path}?page={number - 1}" if number > 1 else None,
        "results": page,
        "page_size": PAGE,
        "current_page_number": number,
        "total_pages": pages,
    }


def fake_grafana_oncall() -> FakeJsonApi:
    return FakeJsonApi(API_KEY, answer, {"detail": "Invalid token."}, rate_limit_once={"/api/v1/escalation_policies/"},
                       throttled={"detail": "Request was throttled. Expected available in 0 seconds."})  # fmt: skip
