"""A fake Opsgenie REST API v2 on loopback (tests/importers/json_fake.py), in Opsgenie's documented shapes.

docs.opsgenie.com: List users (offset/limit, `paging.next`/`first`/`last`, `totalCount`), List
teams and Get Team (its `members`, each a user's id and username and a role), List schedules with
`expand=rotation` (rotations with type, length, participants, startDate and timeRestriction), List
schedule overrides, List escalations (rules with condition, notifyType, delay and recipient;
repeat), List integrations. Every answer wraps its entities in
`data` beside `took` and `requestId`. Users are served two a page whatever the limit asked.

The account: a Berlin schedule whose weekly rotation covers 09:00-17:00 (a time-of-day
restriction) with an override to come and one over, an office-hours schedule whose daily rotation
is limited to Mon-Fri 09:00-17:00 and Fri 18:00 to Mon 06:00 (weekday restrictions, which map
exactly) with a rotation of "none" turns (which Vigil cannot say), an escalation
over both, two API integrations and a Prometheus one, and two teams: Payments (three members, owner of
the Primary schedule and of the escalation) and Platform (Dora, named by username only).
"""

from .json_fake import FakeJsonApi

API_KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889"
PAGE = 2


def user(id_: str, name: str, email: str, role: str = "User") -> dict:
    return {"id": id_, "username": email, "fullName": name, "role": {"id": role, "name": role},
            "blocked": False, "verified": True, "timeZone": "Europe/Berlin", "locale": "en_US",
            "createdAt": "2026-01-01T00:00:00Z"}  # fmt: skip


USERS = [
    user("b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4", "Anna Adams", "anna@example.com", "Owner"),
    user("e07c63f0-dd8c-4ad4-983e-4ee7dc600463", "Ben Brown", "Ben@Example.com"),
    user("c8a4e0f6-2d38-4f0a-9d1b-2b3c3d2e1f10", "Carl Clark", "carl@example.com"),
    user("d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", "Dora Diaz", "dora@example.com"),
    user("e9f8a7b6-c5d4-4e3f-9a2b-1c0d9e8f7a6b", "Eve Evans", "eve@example.com", "Stakeholder"),
]
ID = {u["username"].split("@")[0].lower(): u["id"] for u in USERS}


def who(name: str) -> dict:
    return {"type": "user", "id": ID[name], "username": f"{name}@example.com"}


PRIMARY = {
    "id": "d875alp4-9b4e-4219-a803-0c26936d18de", "name": "Primary", "description": "Office-hour weeks",
    "timezone": "Europe/Berlin", "enabled": True, "ownerTeam": {"id": "90098alp9-f0e3", "name": "Payments"},
    "rotations": [
        {"id": "a47alp93-0541-4aa3-bac6-4084cbbc9b8e", "name": "Weeks", "startDate": "2027-01-04T08:00:00Z",
         "type": "weekly", "length": 1, "participants": [who("anna"), who("ben"), who("carl")],
         "timeRestriction": {"type": "time-of-day",
                             "restriction": {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0}}},
    ],
}  # fmt: skip
WEEKDAYS = [
    {"startDay": day, "startHour": 9, "startMin": 0, "endDay": day, "endHour": 17, "endMin": 0}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
]
WEEKEND = {"startDay": "friday", "startHour": 18, "startMin": 0, "endDay": "monday", "endHour": 6, "endMin": 0}
OFFICE = {
    "id": "f1f2f3f4-0000-4000-8000-000000000002", "name": "Office hours", "description": "", "enabled": True,
    "timezone": "Europe/Berlin",
    "rotations": [
        {"id": "r2", "name": "Desk", "startDate": "2027-01-04T08:00:00Z", "type": "daily", "length": 1,
         "participants": [who("ben"), who("anna")],
         "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": [*WEEKDAYS, WEEKEND]}},
        {"id": "r3", "name": "Spare", "startDate": "2027-01-04T08:00:00Z", "type": "daily", "length": 1,
         "participants": [who("carl"), {"type": "none"}]},
    ],
}  # fmt: skip
OVERRIDES = {
    PRIMARY["id"]: [
        {"alias": "ovr-future", "user": who("dora"), "startDate": "2027-03-20T10:00:00Z",
         "endDate": "2027-03-21T10:00:00Z", "rotations": []},
        {"alias": "ovr-past", "user": who("eve"), "startDate": "2027-03-01T10:00:00Z",
         "endDate": "2027-03-02T10:00:00Z", "rotations": []},
    ],
}  # fmt: skip
ESCALATIONS = [
    {"id": "9a0alp1e-e3b5-44b0-8f4e-3e8bda1cbb7a", "name": "Checkout", "description": "On-call, then Anna",
     "ownerTeam": {"id": "90098alp9-f0e3", "name": "Payments"},
     "rules": [
         {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0, "timeUnit": "minutes"},
          "recipient": {"type": "schedule", "id": PRIMARY["id"], "name": "Primary"}},
         {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0, "timeUnit": "minutes"},
          "recipient": {"type": "schedule", "id": OFFICE["id"], "name": "Office hours"}},
         {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 10, "timeUnit": "minutes"},
          "recipient": {"type": "user", "id": ID["anna"], "username": "anna@example.com"}},
         {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 10, "timeUnit": "minutes"},
          "recipient": {"type": "team", "id": "90098alp9-f0e3", "name": "Payments"}},
     ],
     "repeat": {"waitInterval": 5, "count": 2, "resetRecipientStates": False, "closeAlertAfterAll": False}},
]  # fmt: skip
INTEGRATIONS = [
    {"id": "4228-alp1", "name": "Checkout API", "enabled": True, "type": "API", "teamId": "90098alp9-f0e3"},
    {"id": "4228-alp2", "name": "Legacy", "enabled": False, "type": "API"},
    {"id": "4228-alp3", "name": "Prometheus", "enabled": True, "type": "Prometheus"},
]
TEAMS = [{"id": "90098alp9-f0e3", "name": "Payments", "description": ""},
         {"id": "7e1dalp2-0b9c", "name": "Platform", "description": "Shared infrastructure"}]  # fmt: skip


def member(name: str, role: str = "user", by_id: bool = True) -> dict:
    return {"user": {"id": ID[name], "username": f"{name}@example.com"} if by_id else
            {"username": f"{name}@example.com"}, "role": role}  # fmt: skip


TEAM_DETAILS = {
    TEAMS[0]["id"]: {**TEAMS[0], "members": [member("anna", "admin"), member("ben"), member("carl")],
                     "links": {"web": "https://app.opsgenie.com/teams/dashboard/90098alp9-f0e3/main",
                               "api": "https://api.opsgenie.com/v2/teams/90098alp9-f0e3"}},
    TEAMS[1]["id"]: {**TEAMS[1], "members": [member("dora", by_id=False)],
                     "links": {"web": "https://app.opsgenie.com/teams/dashboard/7e1dalp2-0b9c/main",
                               "api": "https://api.opsgenie.com/v2/teams/7e1dalp2-0b9c"}},
}  # fmt: skip
LISTS = {"/v2/teams": TEAMS, "/v2/schedules": [PRIMARY, OFFICE], "/v2/escalations": ESCALATIONS,
         "/v2/integrations": INTEGRATIONS}  # fmt: skip


def wrap(data, **more) -> dict:
    return {"data": data, **more, "took": 0.01, "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"}


def answer(path: str, query: dict, base: str) -> tuple[int, dict]:
    if path == "/v2/users":
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
        page = USERS[offset : offset + min(limit, PAGE)]
        paging = {"first": f"{base}/v2/users?limit={limit}&offset=0&order=desc&sort=username"}
        if offset + len(page) < len(USERS):
            paging["next"] = f"{base}/v2/users?limit={limit}&offset={offset + len(page)}&order=desc&sort=username"
        return 200, wrap(page, paging=paging, totalCount=len(USERS))
    if path in LISTS:
        return 200, wrap(LISTS[path])
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[1] == "teams" and parts[2] in TEAM_DETAILS:
        return 200, wrap(TEAM_DETAILS[parts[2]])
    if len(parts) == 4 and parts[1] == "schedules" and parts[3] == "overrides":
        return 200, wrap(OVERRIDES.get(parts[2], []))
    return 404, {"message": "Not found", "took": 0.0, "requestId": "x"}


def fake_opsgenie() -> FakeJsonApi:
    refused = {"message": "Could not authenticate", "took": 0.0, "requestId": "2a3f6a43-60f5-4ad5-8b4f-b6e8ac2a4f3e"}
    return FakeJsonApi(f"GenieKey {API_KEY}", answer, refused, rate_limit_once={"/v2/escalations"})
