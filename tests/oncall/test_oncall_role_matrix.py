"""Every on-call page and API endpoint, tried by an admin, a responder, a viewer and an anonymous visitor.

Each persona has a schedule where they alone are on call, an override of their own,
a swap request addressed to them and one they made, so a refusal below is the
role's doing, not a missing precondition.
"""

import pytest
import time_machine
from django.test import Client

from incidents.models import Override, Rotation, RotationMember, Schedule, SwapRequest
from tests.conftest import assert_api_outcome, assert_web_outcome

from .conftest import make_override, make_rotation, make_schedule, utc

ROLES = ["admin", "responder", "viewer", "anonymous"]
READERS = {"admin", "responder", "viewer"}
WORKERS = {"admin", "responder"}
ADMIN = {"admin"}
NOW = utc(2026, 6, 3, 12)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(personas, ann):
    """Per persona (anonymous borrows the admin's): their schedule, override and swap requests."""
    objects = {}
    for name, user in personas.items():
        if user is None:
            objects[name] = objects["admin"]
            continue
        schedule = make_schedule(f"{name}'s")
        rotation = make_rotation(schedule, [user], starts_at=utc(2026, 6, 1, 9))
        objects[name] = {
            "schedule": schedule.pk,
            "rotation": rotation.pk,
            "spare_rotation": make_rotation(schedule, [ann], starts_at=utc(2026, 6, 1), priority=-1).pk,
            "spare_schedule": make_schedule(f"{name}'s spare").pk,
            "override": make_override(schedule, user, utc(2026, 6, 10), utc(2026, 6, 11), created_by=user).pk,
            "swap_to_me": _swap(schedule, ann, user).pk,
            "swap_from_me": _swap(schedule, user, ann).pk,
            "me": user.pk,
            "ann": ann.pk,
        }
    return objects


def _swap(schedule, requester, covering):
    return SwapRequest.objects.create(
        schedule=schedule,
        requester=requester,
        covering_user=covering,
        starts_at=utc(2026, 6, 4),
        ends_at=utc(2026, 6, 5),
    )


def _fill(value, objects):
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    return value


PERIOD = {"starts_at": "2026-06-04T18:00:00Z", "ends_at": "2026-06-05T06:00:00Z"}
# A rotation takes at least one person (incidents.oncall.services.check_members).
ROTATION = {"schedule": "{schedule}", "starts_at": "2026-06-01T09:00:00Z", "shift_unit": "days", "members": ["{ann}"]}

API_MATRIX = [
    ("get", "/api/v1/oncall/", None, READERS),
    ("get", "/api/v1/schedules/", None, READERS),
    ("get", "/api/v1/schedules/{schedule}/", None, READERS),
    ("get", "/api/v1/schedules/{schedule}/shifts/", None, READERS),
    ("post", "/api/v1/schedules/", {"name": "New", "time_zone": "Europe/Paris"}, ADMIN),
    ("patch", "/api/v1/schedules/{schedule}/", {"description": "Nights too"}, ADMIN),
    ("put", "/api/v1/schedules/{schedule}/", {"name": "Renamed", "time_zone": "UTC"}, ADMIN),
    ("delete", "/api/v1/schedules/{spare_schedule}/", None, ADMIN),
    ("get", "/api/v1/rotations/", None, READERS),
    ("get", "/api/v1/rotations/{rotation}/", None, READERS),
    ("post", "/api/v1/rotations/", ROTATION, ADMIN),
    ("patch", "/api/v1/rotations/{rotation}/", {"name": "Primary, renamed"}, ADMIN),
    ("delete", "/api/v1/rotations/{spare_rotation}/", None, ADMIN),
    ("get", "/api/v1/overrides/", None, READERS),
    ("get", "/api/v1/overrides/{override}/", None, READERS),
    ("post", "/api/v1/overrides/", {"schedule": "{schedule}", **PERIOD}, WORKERS),
    ("delete", "/api/v1/overrides/{override}/", None, WORKERS),
    ("get", "/api/v1/swap-requests/", None, READERS),
    ("get", "/api/v1/swap-requests/{swap_to_me}/", None, READERS),
    ("post", "/api/v1/swap-requests/", {"schedule": "{schedule}", "covering_user": "{ann}", **PERIOD}, WORKERS),
    ("post", "/api/v1/swap-requests/{swap_to_me}/accept/", None, WORKERS),
    ("post", "/api/v1/swap-requests/{swap_to_me}/decline/", None, WORKERS),
    ("post", "/api/v1/swap-requests/{swap_from_me}/cancel/", None, WORKERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), API_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_api_role_matrix(api_clients, world, role, method, path, data, allowed):
    objects = world[role]
    response = getattr(api_clients[role], method)(_fill(path, objects), _fill(data, objects), format="json")
    assert_api_outcome(role, allowed, response)


def _web_period(prefix):
    return {f"{prefix}-starts_at": "2026-06-04T18:00", f"{prefix}-ends_at": "2026-06-05T06:00"}


WEB_MATRIX = [
    ("get", "/oncall/", None, READERS),
    ("get", "/oncall/schedules/{schedule}/", None, READERS),
    ("post", "/oncall/schedules/{schedule}/overrides/", {"override-user": "{me}", **_web_period("override")}, WORKERS),
    ("post", "/oncall/schedules/{schedule}/swaps/", {"swap-covering_user": "{ann}", **_web_period("swap")}, WORKERS),
    ("post", "/oncall/overrides/{override}/delete/", {}, WORKERS),
    ("post", "/oncall/swaps/{swap_to_me}/accept/", {}, WORKERS),
    ("post", "/oncall/swaps/{swap_to_me}/decline/", {}, WORKERS),
    ("post", "/oncall/swaps/{swap_from_me}/cancel/", {}, WORKERS),
    # Editing schedules and their layers in the dashboard: admins only, as in the API.
    ("get", "/oncall/schedules/new/", None, ADMIN),
    ("post", "/oncall/schedules/new/", {"name": "New", "time_zone": "Europe/Paris"}, ADMIN),
    ("get", "/oncall/schedules/{schedule}/edit/", None, ADMIN),
    ("post", "/oncall/schedules/{schedule}/edit/", {"name": "Renamed", "time_zone": "UTC"}, ADMIN),
    ("get", "/oncall/schedules/{spare_schedule}/delete/", None, ADMIN),
    ("post", "/oncall/schedules/{spare_schedule}/delete/", {}, ADMIN),
    ("get", "/oncall/schedules/{schedule}/rotations/new/", None, ADMIN),
    ("post", "/oncall/schedules/{schedule}/rotations/new/", "ROTATION_FORM", ADMIN),
    ("get", "/oncall/rotations/{rotation}/edit/", None, ADMIN),
    ("post", "/oncall/rotations/{rotation}/edit/", "ROTATION_FORM", ADMIN),
    ("post", "/oncall/rotations/{rotation}/edit/", "ROTATION_PREVIEW", ADMIN),
    ("post", "/oncall/rotations/{rotation}/move/", {"direction": "up"}, ADMIN),
    ("get", "/oncall/rotations/{spare_rotation}/delete/", None, ADMIN),
    ("post", "/oncall/rotations/{spare_rotation}/delete/", {}, ADMIN),
]

ROTATION_FORM = {
    "name": "Primary",
    "starts_at": "2026-06-01T09:00",
    "shift_length": "1",
    "shift_unit": "weeks",
    "priority": "0",
    "days": ["1", "2", "3", "4", "5", "6", "7"],
    "members-TOTAL_FORMS": "1",
    "members-INITIAL_FORMS": "0",
    "members-0-user": "{me}",
    "members-0-ORDER": "1",
}
FORMS = {"ROTATION_FORM": ROTATION_FORM, "ROTATION_PREVIEW": {**ROTATION_FORM, "preview": "1"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), WEB_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_web_role_matrix(web_clients, world, role, method, path, data, allowed):
    objects = world[role]
    data = FORMS.get(data, data) if isinstance(data, str) else data
    response = getattr(web_clients[role], method)(_fill(path, objects), _fill(data, objects) or {})
    assert_web_outcome(role, allowed, response)


@pytest.mark.parametrize("role", ["viewer", "anonymous"])
def test_refused_writes_change_nothing(api_clients, web_clients, world, role):
    objects = world["viewer"]
    before = (Schedule.objects.count(), Override.objects.count(), list(SwapRequest.objects.values_list("status")))
    web_clients[role].post(f"/oncall/swaps/{objects['swap_to_me']}/accept/")
    web_clients[role].post(f"/oncall/overrides/{objects['override']}/delete/")
    api_clients[role].post(f"/api/v1/swap-requests/{objects['swap_to_me']}/accept/")
    api_clients[role].delete(f"/api/v1/schedules/{objects['schedule']}/")
    api_clients[role].post("/api/v1/overrides/", {"schedule": objects["schedule"], **PERIOD}, format="json")
    after = (Schedule.objects.count(), Override.objects.count(), list(SwapRequest.objects.values_list("status")))
    assert before == after


@pytest.mark.parametrize("role", ["responder", "viewer", "anonymous"])
def test_only_an_admin_edits_schedules_and_layers_in_the_dashboard(web_clients, world, role):
    """A responder adds overrides (above) but changes no schedule or layer; nothing refused is stored."""
    objects = world["responder"]

    def state():
        rotations = Rotation.objects.order_by("pk").values_list("pk", "name", "priority", "starts_at", "active_from")
        members = RotationMember.objects.order_by("pk").values_list("rotation", "user", "position")
        return list(Schedule.objects.order_by("pk").values_list("name", "time_zone")), list(rotations), list(members)

    before, client = state(), web_clients[role]
    client.post("/oncall/schedules/new/", {"name": "Mine", "time_zone": "UTC"})
    client.post(f"/oncall/schedules/{objects['schedule']}/edit/", {"name": "Mine", "time_zone": "UTC"})
    client.post(f"/oncall/schedules/{objects['spare_schedule']}/delete/")
    client.post(f"/oncall/schedules/{objects['schedule']}/rotations/new/", _fill(ROTATION_FORM, objects))
    client.post(f"/oncall/rotations/{objects['rotation']}/edit/", _fill({**ROTATION_FORM, "priority": "9"}, objects))
    client.post(f"/oncall/rotations/{objects['rotation']}/move/", {"direction": "down"})
    client.post(f"/oncall/rotations/{objects['spare_rotation']}/delete/")
    assert state() == before
    page = client.get(f"/oncall/schedules/{objects['schedule']}/")
    if role != "anonymous":
        html = page.content.decode()
        assert page.status_code == 200 and 'id="timeline"' in html  # everyone signed in sees the timeline
        for testid in ("edit-schedule", "add-rotation", "edit-rotation", "move-up", "move-down"):
            assert f'data-testid="{testid}"' not in html, testid
        assert ('data-testid="add-override"' in html or "Add override" in html) == (role == "responder")


@pytest.mark.parametrize("role", ROLES)
def test_the_feeds_need_no_login_only_the_token(web_clients, world, role):
    schedule = Schedule.objects.get(pk=world["admin"]["schedule"])
    assert web_clients[role].get(f"/oncall/schedules/{schedule.pk}/{schedule.ical_token}.ics").status_code == 200
    assert web_clients[role].get(f"/oncall/schedules/{schedule.pk}/x{schedule.ical_token}.ics").status_code == 404
    assert Client().post(f"/oncall/schedules/{schedule.pk}/{schedule.ical_token}.ics").status_code == 405
