"""Admins edit schedules, rotations (with their members in order), overrides and swaps in Django's admin."""

from django.contrib import admin
from django.core import checks

from incidents.models import Override, Rotation, Schedule, SwapRequest

from .conftest import make_override, make_rotation, make_schedule, utc


def test_the_models_are_registered_and_pass_the_admin_checks():
    for model in (Schedule, Rotation, Override, SwapRequest):
        assert admin.site.is_registered(model), model
    errors = [e for e in checks.run_checks(tags=[checks.Tags.admin]) if e.level >= checks.ERROR]
    assert errors == []


def test_the_admin_pages_open(client, admin_user, ann, bob):
    schedule = make_schedule("Payments", tz="Europe/Paris")
    rotation = make_rotation(schedule, [ann, bob], starts_at=utc(2026, 6, 1, 9))
    override = make_override(schedule, bob, utc(2026, 6, 4), utc(2026, 6, 5))
    client.force_login(admin_user)
    for url in [
        "/admin/incidents/schedule/",
        "/admin/incidents/schedule/add/",
        f"/admin/incidents/schedule/{schedule.pk}/change/",
        f"/admin/incidents/rotation/{rotation.pk}/change/",
        f"/admin/incidents/override/{override.pk}/change/",
        "/admin/incidents/swaprequest/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/admin/incidents/rotation/{rotation.pk}/change/").content.decode()
    assert page.index(f'value="{ann.pk}" selected') < page.index(f'value="{bob.pk}" selected')


def test_an_admin_form_refuses_an_unknown_zone(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/incidents/schedule/add/",
        {
            "name": "Nights",
            "time_zone": "Europe",
            "rotations-TOTAL_FORMS": 0,
            "rotations-INITIAL_FORMS": 0,
            "overrides-TOTAL_FORMS": 0,
            "overrides-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    assert not Schedule.objects.exists()
