"""Days of the week on a layer, edited as checkboxes in the dashboard and as day names in the API, and
the hours they leave out drawn as gaps on the timeline."""

import re
from datetime import time

import pytest
import time_machine
from django.test import Client

from incidents.models.oncall import days_mask
from incidents.oncall.schedule import on_call_users

from .conftest import make_rotation, make_schedule, utc
from .test_oncall_editing import rotation_form
from .test_oncall_timeline import block_at, rows

NOW = utc(2026, 6, 3, 12)  # Wednesday
MON_FRI = days_mask([1, 2, 3, 4, 5])


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def schedule(ann):
    schedule = make_schedule("Platform", tz="Europe/Paris")
    make_rotation(schedule, [ann], starts_at=utc(2026, 6, 1, 7), name="Weekly")
    return schedule


def test_an_admin_ticks_weekdays_and_the_layer_covers_only_them(admin, schedule, ann, cat):
    data = rotation_form(
        [(cat, "1", False)], name="Office", shift_unit="days", priority="5",
        active_from="09:00", active_until="17:00", days=["1", "2", "3", "4", "5"],
    )  # fmt: skip
    response = admin.post(f"/oncall/schedules/{schedule.pk}/rotations/new/", data)
    assert response.status_code == 302, response.content
    office = schedule.rotations.get(name="Office")
    assert office.days == MON_FRI and office.weekdays == [1, 2, 3, 4, 5]
    assert on_call_users(schedule, utc(2026, 6, 5, 8)) == [cat]  # Friday 10:00 Paris
    assert on_call_users(schedule, utc(2026, 6, 6, 8)) == [ann]  # Saturday: the weekly layer shows through
    page = admin.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert "opening Mon-Fri" in page

    form = admin.get(f"/oncall/rotations/{office.pk}/edit/").content.decode()
    for day in range(1, 8):
        [box] = re.findall(rf'<input[^>]*id="id_days_{day - 1}"[^>]*>', form)
        assert ("checked" in box) == (day <= 5), day
    assert admin.post(f"/oncall/rotations/{office.pk}/edit/", {**data, "days": ["6", "7"]}).status_code == 302
    office.refresh_from_db()
    assert office.weekdays == [6, 7]


def test_a_new_layer_covers_every_day_and_no_day_is_refused_beside_the_days(admin, schedule, cat):
    form = admin.get(f"/oncall/schedules/{schedule.pk}/rotations/new/").content.decode()
    assert form.count('name="days"') == 7 and form.count("checked") >= 7
    data = rotation_form([(cat, "1", False)], name="Nobody's days", days=[])
    response = admin.post(f"/oncall/schedules/{schedule.pk}/rotations/new/", data)
    assert response.status_code == 400
    assert "Pick at least one day of the week." in response.content.decode()
    data["days"] = ["8"]
    response = admin.post(f"/oncall/schedules/{schedule.pk}/rotations/new/", data)
    assert "Select a valid choice" in response.content.decode()
    assert not schedule.rotations.filter(name="Nobody's days").exists()


def test_days_round_trip_through_the_api(api_clients, schedule, ann, bob):
    admin = api_clients["admin"]
    body = {
        "schedule": schedule.pk, "name": "Weekend nights", "starts_at": "2026-06-05T18:00:00+02:00",
        "shift_length": 1, "shift_unit": "weeks", "active_from": "18:00", "active_until": "06:00",
        "days": ["fri", "Sat"], "members": [bob.pk], "priority": 3,
    }  # fmt: skip
    response = admin.post("/api/v1/rotations/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["days"] == ["fri", "sat"]
    assert on_call_users(schedule, utc(2026, 6, 6, 2)) == [bob]  # Saturday 04:00 Paris: Friday's night
    assert on_call_users(schedule, utc(2026, 6, 7, 2)) == [bob]  # Sunday 04:00: Saturday's night
    assert on_call_users(schedule, utc(2026, 6, 8, 2)) == [ann]  # Monday 04:00: Sunday has none
    response = admin.patch(f"/api/v1/rotations/{created['id']}/", {"days": ["mon"]}, format="json")
    assert response.status_code == 200 and response.json()["days"] == ["mon"]
    listed = admin.get(f"/api/v1/schedules/{schedule.pk}/").json()["rotations"]
    assert {r["name"]: r["days"] for r in listed} == {"Weekend nights": ["mon"], "Weekly": [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun"]}  # fmt: skip


@pytest.mark.parametrize("days", [[], ["funday"], "mon", [1], ["mon"] * 8])
def test_bad_days_are_a_400_on_days(api_clients, schedule, bob, days):
    body = {"schedule": schedule.pk, "starts_at": "2026-06-05T18:00:00+02:00", "days": days, "members": [bob.pk]}
    response = api_clients["admin"].post("/api/v1/rotations/", body, format="json")
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["days"]


def test_the_timeline_draws_the_days_left_out_as_gaps(viewer, roles, bob):
    schedule = make_schedule("Office", tz="Europe/Paris")
    make_rotation(
        schedule, [bob], starts_at=utc(2026, 6, 1, 7), unit="days",
        active_from=time(9), active_until=time(17), days=MON_FRI,
    )  # fmt: skip
    client = Client()
    client.force_login(viewer)
    [final] = rows(client.get(f"/oncall/schedules/{schedule.pk}/").content.decode())["final"]
    assert block_at(final, utc(2026, 6, 5, 8))["name"] != "Nobody on call"  # Friday 10:00 Paris
    saturday = block_at(final, utc(2026, 6, 6, 8))
    assert "tl-gap" in saturday["cls"] and saturday["name"] == "Nobody on call"
    # Friday 17:00 to Monday 09:00 Paris is one gap.
    assert (saturday["start"], saturday["end"]) == (utc(2026, 6, 5, 15), utc(2026, 6, 8, 7))
