"""The on-call API: schedules and rotations (admins), who is on call at T, overrides and swap requests."""

import pytest
import time_machine

from incidents.models import Override, Rotation, Schedule, SwapRequest
from tests.conftest import api_client_for
from vigil.models import AuditEntry

from .conftest import make_rotation, make_schedule, utc

NOW = utc(2026, 6, 3, 12)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def schedule(ann, bob):
    schedule = make_schedule("Platform", tz="Europe/Paris")
    make_rotation(schedule, [ann, bob], starts_at=utc(2026, 6, 1, 9))
    return schedule


def errors(response) -> dict:
    return {e["attr"]: e["detail"] for e in response.json()["errors"]}


def test_an_admin_builds_a_schedule_and_its_rotation(api_clients, ann, bob):
    admin = api_clients["admin"]
    response = admin.post("/api/v1/schedules/", {"name": "Payments", "time_zone": "America/New_York"}, format="json")
    assert response.status_code == 201, response.content
    schedule = response.json()
    assert schedule["ical_url"].endswith(f"/oncall/schedules/{schedule['id']}/{Schedule.objects.get().ical_token}.ics")
    response = admin.post(
        "/api/v1/rotations/",
        {
            "schedule": schedule["id"],
            "name": "Nights",
            "starts_at": "2026-06-01T22:00:00-04:00",
            "shift_length": 1,
            "shift_unit": "days",
            "active_from": "22:00",
            "active_until": "06:00",
            "members": [bob.pk, ann.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    rotation = response.json()
    assert rotation["members"] == [bob.pk, ann.pk]
    response = admin.patch(f"/api/v1/rotations/{rotation['id']}/", {"members": [ann.pk]}, format="json")
    assert response.status_code == 200 and response.json()["members"] == [ann.pk]
    detail = admin.get(f"/api/v1/schedules/{schedule['id']}/").json()
    assert [r["name"] for r in detail["rotations"]] == ["Nights"]
    assert AuditEntry.objects.filter(action__startswith="oncall.").count() == 3


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "time_zone": "Europe"}, "time_zone"),
        ({"name": "X", "time_zone": "Mars/Base"}, "time_zone"),
        ({"name": "", "time_zone": "UTC"}, "name"),
    ],
)
def test_a_bad_schedule_is_refused_by_field(api_clients, data, field):
    response = api_clients["admin"].post("/api/v1/schedules/", data, format="json")
    assert response.status_code == 400
    assert field in errors(response)
    assert not Schedule.objects.exists()


def test_a_bad_rotation_change_keeps_the_stored_one(api_clients, schedule):
    rotation = schedule.rotations.get()
    admin = api_clients["admin"]
    for data, field in [
        ({"shift_length": 0}, "shift_length"),
        ({"shift_unit": "days", "shift_length": 400}, "shift_length"),
        ({"starts_at": "0001-01-01T00:00:00Z"}, "starts_at"),
        ({"active_from": "09:00", "active_until": "09:00"}, "active_until"),
        ({"members": [999999]}, "members"),
    ]:
        response = admin.patch(f"/api/v1/rotations/{rotation.pk}/", data, format="json")
        assert response.status_code == 400, (data, response.content)
        assert field in errors(response), (data, errors(response))
    stored = Rotation.objects.get()
    assert (stored.shift_length, stored.shift_unit, stored.starts_at) == (1, "weeks", utc(2026, 6, 1, 9))
    assert stored.members.count() == 2


def test_who_is_on_call_now_and_at_a_given_moment(api_clients, schedule, ann, bob):
    client = api_clients["viewer"]
    now = client.get("/api/v1/oncall/").json()
    assert now["at"] == "2026-06-03T12:00:00Z"
    [entry] = now["schedules"]
    assert entry["name"] == "Platform" and entry["time_zone"] == "Europe/Paris"
    assert [u["username"] for u in entry["users"]] == ["ann"]
    assert entry["until"] == "2026-06-08T09:00:00Z" and entry["source"] == "rotation"

    later = client.get("/api/v1/oncall/", {"at": "2026-06-09T12:00:00+02:00"}).json()
    assert [u["username"] for u in later["schedules"][0]["users"]] == ["bob"]
    before = client.get("/api/v1/oncall/", {"at": "2026-05-01T00:00:00Z"}).json()
    assert before["schedules"][0]["users"] == [] and before["schedules"][0]["source"] is None


@pytest.mark.parametrize("at", ["yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_bad_moment_is_a_400_on_at(api_clients, schedule, at):
    response = api_clients["viewer"].get("/api/v1/oncall/", {"at": at})
    assert response.status_code == 400
    assert list(errors(response)) == ["at"]


def test_the_final_shifts_of_a_schedule(api_clients, schedule, ann, bob):
    client = api_clients["viewer"]
    shifts = client.get(
        f"/api/v1/schedules/{schedule.pk}/shifts/", {"start": "2026-06-07T00:00:00Z", "end": "2026-06-16T00:00:00Z"}
    ).json()
    assert [(s["start"], s["user"]["username"], s["source"]) for s in shifts] == [
        ("2026-06-07T00:00:00Z", "ann", "rotation"),
        ("2026-06-08T09:00:00Z", "bob", "rotation"),
        ("2026-06-15T09:00:00Z", "ann", "rotation"),
    ]
    bad = client.get(f"/api/v1/schedules/{schedule.pk}/shifts/", {"start": "2026-06-07T00:00:00Z", "end": "2026-06-01"})
    assert bad.status_code == 400 and "end" in errors(bad)


def test_overrides_through_the_api(api_clients, schedule, responder, bob):
    client = api_clients["responder"]
    response = client.post(
        "/api/v1/overrides/",
        {"schedule": schedule.pk, "starts_at": "2026-06-04T18:00:00Z", "ends_at": "2026-06-05T06:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.content
    override = response.json()
    assert override["user"] == responder.pk and override["created_by"] == responder.pk
    on_call = client.get("/api/v1/oncall/", {"at": "2026-06-04T20:00:00Z"}).json()
    assert on_call["schedules"][0]["users"][0]["username"] == responder.username
    assert client.get("/api/v1/overrides/", {"schedule": schedule.pk}).json()["count"] == 1

    # For someone else: refused to a responder.
    response = client.post(
        "/api/v1/overrides/",
        {"schedule": schedule.pk, "user": bob.pk, "starts_at": "2026-06-04T18:00:00Z", "ends_at": "2026-06-05T06:00Z"},
        format="json",
    )
    assert response.status_code == 403
    bad = client.post(
        "/api/v1/overrides/",
        {"schedule": schedule.pk, "starts_at": "2026-06-05T18:00:00Z", "ends_at": "2026-06-05T06:00:00Z"},
        format="json",
    )
    assert bad.status_code == 400 and "ends_at" in errors(bad)

    assert api_clients["viewer"].delete(f"/api/v1/overrides/{override['id']}/").status_code == 403
    assert client.delete(f"/api/v1/overrides/{override['id']}/").status_code == 204
    assert not Override.objects.exists()


def test_swap_requests_through_the_api(schedule, ann, bob, cat):
    as_ann, as_bob, as_cat = (api_client_for(u) for u in (ann, bob, cat))
    response = as_ann.post(
        "/api/v1/swap-requests/",
        {
            "schedule": schedule.pk,
            "covering_user": bob.pk,
            "starts_at": "2026-06-04T18:00:00Z",
            "ends_at": "2026-06-05T06:00:00Z",
            "message": "Dentist",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    swap = response.json()
    assert swap["requester"] == ann.pk and swap["status"] == "pending"
    url = f"/api/v1/swap-requests/{swap['id']}"
    assert as_cat.post(f"{url}/accept/").status_code == 403
    assert as_ann.post(f"{url}/accept/").status_code == 403
    assert as_bob.post(f"{url}/cancel/").status_code == 403
    accepted = as_bob.post(f"{url}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["override"] == Override.objects.get().pk
    again = as_bob.post(f"{url}/accept/")
    assert again.status_code == 400 and "already accepted" in errors(again)["status"]
    assert Override.objects.count() == 1
    assert as_ann.get("/api/v1/swap-requests/", {"status": "accepted"}).json()["count"] == 1
    bad_filter = as_ann.get("/api/v1/swap-requests/", {"status": "maybe"})
    assert bad_filter.status_code == 400 and "status" in errors(bad_filter)


def test_a_swap_for_someone_elses_time_is_a_400(schedule, ann, bob):
    response = api_client_for(bob).post(
        "/api/v1/swap-requests/",
        {
            "schedule": schedule.pk,
            "covering_user": ann.pk,
            "starts_at": "2026-06-04T18:00Z",
            "ends_at": "2026-06-05T06:00Z",
        },
        format="json",
    )
    assert response.status_code == 400 and "not on call" in errors(response)["starts_at"]
    assert not SwapRequest.objects.exists()


def test_a_schedule_in_use_by_an_escalation_policy_is_not_deleted(api_clients, schedule):
    from incidents.models import EscalationLevel, EscalationPolicy

    EscalationLevel.objects.create(policy=EscalationPolicy.objects.create(name="Default")).schedules.add(schedule)
    response = api_clients["admin"].delete(f"/api/v1/schedules/{schedule.pk}/")
    assert response.status_code == 400
    assert Schedule.objects.filter(pk=schedule.pk).exists()
