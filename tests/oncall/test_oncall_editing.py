"""Admins edit schedules and their layers in the dashboard, through the same audited actions as the API:
errors beside their fields, nothing stored lost on bad input, post/redirect/get, a preview before saving."""

import html as html_lib
import re
from datetime import datetime, time

import pytest
import time_machine
from django.test import Client

from incidents.models import EscalationLevel, EscalationPolicy, Rotation, Schedule
from incidents.oncall.schedule import on_call_users
from tests.conftest import api_client_for
from vigil.models import AuditEntry

from .conftest import make_rotation, make_schedule, utc

NOW = utc(2026, 6, 3, 12)  # Wednesday


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
def schedule(ann, bob):
    schedule = make_schedule("Platform", tz="Europe/Paris")
    make_rotation(schedule, [ann, bob], starts_at=utc(2026, 6, 1, 7), name="Weekly")  # Mondays 09:00 Paris
    return schedule


def rotation_form(members, **fields) -> dict:
    """The layer form as a browser posts it: MEMBERS are (user, order, remove) rows."""
    data = {
        "name": "Weekly",
        "starts_at": "2026-06-01T09:00",
        "shift_length": "1",
        "shift_unit": "weeks",
        "priority": "0",
        "active_from": "",
        "active_until": "",
        "days": [str(day) for day in range(1, 8)],  # every box ticked, as a new layer's form starts
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        **fields,
    }
    for i, (user, order, remove) in enumerate(members):
        data[f"members-{i}-user"] = user.pk if user else ""
        data[f"members-{i}-ORDER"] = order
        if remove:
            data[f"members-{i}-DELETE"] = "on"
    return data


def stored(rotation: Rotation):
    rotation.refresh_from_db()
    members = [m.user.username for m in rotation.members.order_by("position")]
    return rotation.name, rotation.starts_at, rotation.active_from, rotation.active_until, rotation.priority, members


def errors_beside(response, field: str) -> str:
    """The error list rendered right before FIELD's input."""
    html = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>\s*<(input|select|textarea)', html, re.S)
    assert match, f"no error beside {field}"
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


# --- Schedules ---------------------------------------------------------------------------


def test_an_admin_creates_a_schedule_and_is_taken_to_its_first_layer(admin):
    response = admin.post("/oncall/schedules/new/", {"name": "Payments", "time_zone": "America/New_York"})
    schedule = Schedule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/oncall/schedules/{schedule.pk}/rotations/new/"
    assert schedule.time_zone == "America/New_York"
    assert AuditEntry.objects.filter(action="oncall.schedule.create", target_id=str(schedule.pk)).exists()


def test_an_unknown_time_zone_is_refused_beside_its_field_and_nothing_changes(admin, schedule):
    response = admin.post("/oncall/schedules/new/", {"name": "Payments", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "'Mars/Olympus' is not a known time zone" in errors_beside(response, "time_zone")
    assert list(Schedule.objects.values_list("name", flat=True)) == ["Platform"]

    response = admin.post(f"/oncall/schedules/{schedule.pk}/edit/", {"name": "Renamed", "time_zone": "Europe"})
    assert response.status_code == 400 and "is not a known time zone" in errors_beside(response, "time_zone")
    assert "<h1>Edit Platform</h1>" in response.content.decode()  # the stored name, not the refused one
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("Platform", "Europe/Paris")
    response = admin.post(f"/oncall/schedules/{schedule.pk}/edit/", {"name": "Renamed", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302 and response["Location"] == f"/oncall/schedules/{schedule.pk}/"
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("Renamed", "Asia/Tokyo")
    entry = AuditEntry.objects.get(action="oncall.schedule.update")
    assert entry.details == {"fields": ["name", "time_zone"]}


def test_the_time_zone_field_suggests_the_known_zones(admin):
    html = admin.get("/oncall/schedules/new/").content.decode()
    assert 'list="time-zones"' in html and '<option value="Europe/Paris">' in html


def test_a_schedule_an_escalation_pages_is_not_deleted_and_says_why(admin, schedule):
    level = EscalationLevel.objects.create(policy=EscalationPolicy.objects.create(name="Payments SEV1"))
    level.schedules.add(schedule)
    assert "1 layer(s) and 0 override(s)" in admin.get(f"/oncall/schedules/{schedule.pk}/delete/").content.decode()
    response = admin.post(f"/oncall/schedules/{schedule.pk}/delete/", follow=True)
    assert "Payments SEV1" in response.content.decode() and Schedule.objects.exists()
    level.schedules.clear()
    response = admin.post(f"/oncall/schedules/{schedule.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/oncall/"
    assert not Schedule.objects.exists() and AuditEntry.objects.filter(action="oncall.schedule.delete").exists()


# --- Layers ---------------------------------------------------------------------------------


def test_an_admin_adds_a_layer_and_the_timeline_shows_it(admin, schedule, cat):
    data = rotation_form(
        [(cat, "1", False)],
        name="Business hours",
        starts_at="2026-06-01T09:00",
        shift_unit="days",
        priority="5",
        active_from="09:00",
        active_until="17:00",
    )
    response = admin.post(f"/oncall/schedules/{schedule.pk}/rotations/new/", data)
    assert response.status_code == 302 and response["Location"] == f"/oncall/schedules/{schedule.pk}/#timeline"
    layer = schedule.rotations.get(name="Business hours")
    # Read on the schedule's clock (Paris, UTC+2), whatever the viewer's zone.
    assert layer.starts_at == utc(2026, 6, 1, 7) and (layer.active_from, layer.active_until) == (time(9), time(17))
    assert on_call_users(schedule, utc(2026, 6, 3, 8)) == [cat]
    page = admin.get(response["Location"]).content.decode()
    assert f'data-rotation="{layer.pk}"' in page and "Layer Business hours saved" in page
    assert AuditEntry.objects.filter(action="oncall.rotation.create", target_id=str(layer.pk)).exists()


def test_a_new_layer_starts_on_top(admin, schedule):
    form = admin.get(f"/oncall/schedules/{schedule.pk}/rotations/new/").context["form"]
    # Today 09:00 on the schedule's clock (Paris), shown as such.
    assert form.initial["priority"] == 1 and form["starts_at"].value() == datetime(2026, 6, 3, 9)


def test_reordering_and_adding_people_changes_who_is_on_call(admin, schedule, ann, bob, cat):
    rotation = schedule.rotations.get()
    assert on_call_users(schedule, NOW) == [ann]
    data = rotation_form([(ann, "2", False), (bob, "3", False), (cat, "1", False)])
    response = admin.post(f"/oncall/rotations/{rotation.pk}/edit/", data)
    assert response.status_code == 302
    assert stored(rotation)[-1] == ["cat", "ann", "bob"]
    assert on_call_users(schedule, NOW) == [cat]
    assert AuditEntry.objects.get(action="oncall.rotation.update").details["members"] == [cat.pk, ann.pk, bob.pk]


def test_the_form_lists_the_people_in_order_with_blank_rows_to_add(admin, schedule, ann, bob):
    rotation = schedule.rotations.get()
    members = admin.get(f"/oncall/rotations/{rotation.pk}/edit/").context["members"]
    assert [f["user"].value() for f in members] == [ann.pk, bob.pk, None, None]
    assert [f["ORDER"].value() for f in members][:2] == [1, 2]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("twice", "bob listed twice: each person takes one turn per round."),
        ("nobody", "Add at least one person: a rotation without people covers nobody."),
        ("all removed", "Add at least one person: a rotation without people covers nobody."),
    ],
)
def test_a_person_twice_or_nobody_is_refused_beside_the_people(admin, schedule, ann, bob, rows, message):
    rotation = schedule.rotations.get()
    before = stored(rotation)
    members = {
        "twice": [(ann, "1", False), (bob, "2", False), (bob, "3", False)],
        "nobody": [(None, "", False)],
        "all removed": [(ann, "1", True), (bob, "2", True)],
    }[rows]
    response = admin.post(f"/oncall/rotations/{rotation.pk}/edit/", rotation_form(members, name="Renamed"))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'data-testid="members".*?data-testid="members-errors"><li>(.*?)</li>', html, re.S).group(1) == (
        message
    )
    assert stored(rotation) == before and not AuditEntry.objects.filter(action__startswith="oncall.").exists()


def test_a_window_that_ends_before_it_starts_needs_overnight_ticked(admin, schedule, ann, bob):
    rotation = schedule.rotations.get()
    before = stored(rotation)
    people = [(ann, "1", False), (bob, "2", False)]
    url = f"/oncall/rotations/{rotation.pk}/edit/"
    response = admin.post(url, rotation_form(people, active_from="17:00", active_until="09:00"))
    assert response.status_code == 400
    assert "Ends before it starts (09:00 is before 17:00)" in errors_beside(response, "active_until")
    response = admin.post(url, rotation_form(people, active_from="09:00", active_until="17:00", overnight="on"))
    assert response.status_code == 400 and "does not run past midnight" in errors_beside(response, "overnight")
    response = admin.post(url, rotation_form(people, active_from="09:00", active_until="09:00"))
    assert response.status_code == 400 and "Must differ from the start" in errors_beside(response, "active_until")
    assert stored(rotation) == before

    response = admin.post(url, rotation_form(people, active_from="22:00", active_until="06:00", overnight="on"))
    assert response.status_code == 302
    assert stored(rotation)[2:4] == (time(22), time(6))
    assert admin.get(url).context["form"]["overnight"].value() is True
    assert on_call_users(schedule, utc(2026, 6, 3, 23)) == [ann] and on_call_users(schedule, NOW) == []


def test_every_error_is_shown_at_once_and_nothing_is_stored(admin, schedule, ann):
    rotation = schedule.rotations.get()
    before = stored(rotation)
    data = rotation_form([(ann, "1", False), (ann, "2", False)], shift_length="0", starts_at="not a date", name="")
    response = admin.post(f"/oncall/rotations/{rotation.pk}/edit/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"name", "shift_length", "starts_at"} <= set(errors)
    assert stored(rotation) == before


def test_a_preview_draws_the_change_and_saves_nothing(admin, schedule, ann, bob, cat):
    rotation = schedule.rotations.get()
    before = stored(rotation)
    data = rotation_form([(cat, "1", False), (ann, "2", False), (bob, "3", False)], preview="1")
    response = admin.post(f"/oncall/rotations/{rotation.pk}/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: not saved yet" in html
    final = re.search(r'data-testid="tl-final".*?</ol>', html, re.S).group(0)
    now = [b for b in re.finditer(r'data-start="([^"]+)" data-end="([^"]+)" data-user="(\d+)"', final)]
    covering = [m.group(3) for m in now if m.group(1) <= "2026-06-03T12:00:00+00:00" < m.group(2)]
    assert covering == [str(cat.pk)]
    assert stored(rotation) == before and on_call_users(schedule, NOW) == [ann]
    assert not AuditEntry.objects.filter(action__startswith="oncall.").exists()
    # The form keeps what was typed, ready to save.
    assert [f["user"].value() for f in response.context["members"]][:3] == [str(cat.pk), str(ann.pk), str(bob.pk)]


def test_layers_move_up_and_down_and_the_top_one_wins(admin, schedule, cat, ann):
    weekly = schedule.rotations.get()
    nights = make_rotation(schedule, [cat], starts_at=utc(2026, 6, 1), unit="days", name="Nights", priority=-3)
    assert on_call_users(schedule, NOW) == [ann]
    response = admin.post(f"/oncall/rotations/{nights.pk}/move/", {"direction": "up"})
    assert response.status_code == 302 and response["Location"] == f"/oncall/schedules/{schedule.pk}/#layers"
    assert list(schedule.rotations.order_by("-priority").values_list("name", "priority")) == [
        ("Nights", 1),
        ("Weekly", 0),
    ]
    assert on_call_users(schedule, NOW) == [cat]
    page = admin.post(f"/oncall/rotations/{nights.pk}/move/", {"direction": "up"}, follow=True).content.decode()
    assert "Nights is already the top layer." in page
    page = admin.post(f"/oncall/rotations/{weekly.pk}/move/", {"direction": "sideways"}, follow=True)
    assert "up or down" in page.content.decode()
    assert AuditEntry.objects.filter(action="oncall.rotation.move").count() == 1


def test_deleting_a_layer_lets_the_one_below_show(admin, schedule, cat, ann):
    top = make_rotation(schedule, [cat], starts_at=utc(2026, 6, 1), unit="days", name="Top", priority=5)
    assert on_call_users(schedule, NOW) == [cat]
    assert "1 people take turns in it" in admin.get(f"/oncall/rotations/{top.pk}/delete/").content.decode()
    response = admin.post(f"/oncall/rotations/{top.pk}/delete/")
    assert response.status_code == 302 and not Rotation.objects.filter(pk=top.pk).exists()
    assert on_call_users(schedule, NOW) == [ann]


def test_the_api_refuses_a_person_twice_or_nobody_as_the_dashboard_does(schedule, admin_user, ann):
    api = api_client_for(admin_user)
    rotation = schedule.rotations.get()
    for members, detail in [([ann.pk, ann.pk], "ann listed twice"), ([], "Add at least one person")]:
        response = api.patch(f"/api/v1/rotations/{rotation.pk}/", {"members": members}, format="json")
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["attr"] == "members" and detail in error["detail"]
    assert stored(rotation)[-1] == ["ann", "bob"]


def test_the_on_call_page_offers_a_new_schedule_to_admins_only(admin, viewer):
    assert '<a href="/oncall/schedules/new/">Create one</a>' in admin.get("/oncall/").content.decode()
    make_schedule("Platform")
    assert 'href="/oncall/schedules/new/"' in admin.get("/oncall/").content.decode()
    client = Client()
    client.force_login(viewer)
    assert "/oncall/schedules/new/" not in client.get("/oncall/").content.decode()
