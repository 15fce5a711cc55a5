"""manage.py import_from pagerduty against a fake PagerDuty API on loopback (tests/importers/pagerduty_fake.py).

The key test: the imported New York schedule names the same person as PagerDuty at every hour of
the next 90 days, across the change to daylight-saving time on 2027-03-14, checked against a
reading of PagerDuty's rules written here by hand (and a few hours worked out on paper).
"""

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from importers.models import ImportedObject
from incidents.models import EscalationPolicy, Integration, Override, Rotation, Schedule
from incidents.oncall.schedule import load_plan
from vigil.models import AuditEntry
from vigil.roles import Role, role_of

from .pagerduty_fake import API_KEY, FakePagerDuty

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)  # the 90 days ahead hold New York's change on 2027-03-14
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def fake(tmp_path):
    server = FakePagerDuty(tmp_path)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def run(fake, *args, key=API_KEY) -> str:
    out = io.StringIO()
    options = ["--api-key", key, "--api-url", fake.url, "--ca-file", str(fake.ca_file)]
    call_command("import_from", "pagerduty", *options, *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    models = [Schedule, Rotation, Override, EscalationPolicy, Integration, ImportedObject, AuditEntry]
    return (get_user_model().objects.count(), *(model.objects.count() for model in models))


@pytest.fixture
def ben():
    return get_user_model().objects.create_user("ben", email="ben@example.com", password="unused-pass-123")


def test_a_dry_run_prints_the_plan_and_writes_nothing(fake, ben):
    before = counts()
    out = run(fake, "--dry-run")

    assert counts() == before
    assert "dry run: nothing is written" in out
    assert "Will create (11):" in out  # 5 users, 2 schedules, 1 override, 1 policy, 2 services
    assert 'user "Ben Brown" <ben@example.com> -> existing account' in out
    assert 'user "Anna Adams" <anna@example.com> -> new responder (no password yet)' in out
    assert 'user "Eve Evans" <eve@example.com> -> new viewer (no password yet)' in out
    assert 'schedule "Primary" (America/New_York) -> schedule with 2 layers' in out
    assert 'override on "Primary": Carl Clark 2027-03-20 16:00 to 2027-03-21 16:00 UTC' in out
    assert 'escalation policy "Checkout" -> escalation policy with 2 levels' in out
    assert 'service "Checkout API" -> integration of kind "pagerduty"' in out
    assert "PagerDuty limits it to Mon 09:00 for 8 h, Tue 09:00 for 8 h" in out
    assert "so it covers 09:00-17:00 on every day" in out
    assert "PagerDuty admin: made a responder" in out
    assert "integration keys cannot be kept" in out
    assert 'service "Batch jobs" -> integration of kind "pagerduty" (disabled)' in out
    assert "maintenance window 2027-02-10T01:00:00-05:00 to 2027-02-10T03:00:00-05:00 (Checkout API)" in out
    assert 'team "Payments": teams are not imported' in out


def test_it_follows_more_across_pages_and_waits_out_a_429(fake):
    run(fake, "--dry-run")

    user_pages = [r for r in fake.requests if r.startswith("/users?")]
    assert len(user_pages) == 3  # five users, two a page
    assert sum(r.startswith("/escalation_policies?") for r in fake.requests) == 2  # 429 once, then served


def test_it_creates_people_schedules_policies_and_integrations(fake, ben):
    out = run(fake)

    assert "Created 11, skipped 0 imported before, 0 errors." in out
    anna = get_user_model().objects.get(email="anna@example.com")
    assert anna.is_active and not anna.has_usable_password() and role_of(anna) == Role.RESPONDER
    assert role_of(get_user_model().objects.get(email="eve@example.com")) == Role.VIEWER
    primary = Schedule.objects.get(name="Primary")
    assert primary.time_zone == "America/New_York"
    layers = {r.name: r for r in primary.rotations.all()}
    assert set(layers) == {"Layer 1", "Layer 2"}  # the layer that ended is history
    assert (layers["Layer 1"].shift_length, layers["Layer 1"].shift_unit) == (1, "weeks")
    assert [m.user for m in layers["Layer 1"].members.order_by("position")][1] == ben
    assert str(layers["Layer 2"].active_from) == "18:00:00" and str(layers["Layer 2"].active_until) == "06:00:00"
    assert layers["Layer 2"].priority > layers["Layer 1"].priority
    policy = EscalationPolicy.objects.get(name="Checkout")
    levels = list(policy.levels.order_by("position"))
    assert [lv.timeout_minutes for lv in levels] == [10, 30] and policy.repeat == 2
    assert {s.name for s in levels[0].schedules.all()} == {"Primary", "Office hours"}
    assert list(levels[1].users.all()) == [anna]
    checkout = Integration.objects.get(name="Checkout API")
    assert (checkout.kind, checkout.escalation_policy, checkout.enabled) == ("pagerduty", policy, True)
    assert not Integration.objects.get(name="Batch jobs").enabled
    assert AuditEntry.objects.filter(via="import").exists()


def test_a_second_run_creates_nothing(fake):
    run(fake)
    before = counts()

    out = run(fake)

    assert counts() == before
    assert "Created 0, skipped 11 imported before, 0 errors." in out


def test_a_refused_key_stops_with_a_clear_error(fake):
    with pytest.raises(CommandError, match=r"PagerDuty refused the API key \(401 Unauthorized\)"):
        run(fake, "--dry-run", key="wrong")
    assert counts()[1:] == (0,) * 7


# --- The key test: the same person on call as PagerDuty, every hour for 90 days ---------------


def pagerduty_on_call(moment: datetime, people: dict) -> str:
    """Who PagerDuty puts on call on "Primary" at MOMENT, from its documented rules, on the wall clock.

    Overrides win over all layers; among layers the later (Layer 2) wins where it covers; a
    restriction only cuts hours out of a layer; hand-offs keep their local time across the change.
    Every hand-off and window edge here is at 06:00, 09:00 or 18:00, clear of the 02:00 change, so
    plain local arithmetic is exact."""
    local = moment.astimezone(NEW_YORK).replace(tzinfo=None)
    if datetime(2027, 3, 20, 12) <= local < datetime(2027, 3, 21, 12):
        return people["carl"]
    if local.hour >= 18 or local.hour < 6:  # Layer 2: 18:00 for 12 hours, turns of a day from Jan 4 18:00
        turn = (local - datetime(2027, 1, 4, 18)).days
        return [people["dora"], people["eve"]][turn % 2]
    turn = (local - datetime(2027, 1, 4, 9)).days // 7  # Layer 1: turns of a week from Mon Jan 4 09:00
    return [people["anna"], people["ben"], people["carl"]][turn % 3]


def test_the_imported_schedule_pages_the_same_person_as_pagerduty_every_hour_for_90_days(fake):
    run(fake)
    people = {u.email.split("@")[0]: u.email for u in get_user_model().objects.all()}
    schedule = Schedule.objects.get(name="Primary")
    start = NOW.replace(minute=0)
    end = start + timedelta(days=90)
    plan = load_plan(schedule, start, end)

    hours = [start + timedelta(hours=h) for h in range(90 * 24)]
    vigil = {h: [u.email for u in plan.users_at(h)] for h in hours}
    assert all(vigil[h] == [pagerduty_on_call(h, people)] for h in hours)

    # Worked out on paper (UTC -> New York): the reading above is right where it matters.
    by_hand = {
        datetime(2027, 3, 13, 22): "anna",  # Sat 17:00 EST, Layer 1 week 9 (from Mar 8 09:00): Anna
        datetime(2027, 3, 13, 23): "dora",  # Sat 18:00 EST, Layer 2 turn 68 (even): Dora
        datetime(2027, 3, 14, 7): "dora",  # Sun 03:00 EDT, just after the change, still turn 68
        datetime(2027, 3, 14, 12): "anna",  # Sun 08:00 EDT, nights over: Layer 1 shows through
        datetime(2027, 3, 14, 22): "eve",  # Sun 18:00 EDT, turn 69: Eve (hand-off at 18:00 local)
        datetime(2027, 3, 15, 13): "ben",  # Mon 09:00 EDT, week 10: Ben
        datetime(2027, 3, 16, 0): "dora",  # Mon 20:00 EDT, turn 70: Dora
        datetime(2027, 3, 21, 0): "carl",  # Sat 20:00 EDT: the override wins over Layer 2
        datetime(2027, 3, 21, 17): "ben",  # Sun 13:00 EDT, override over, week 10 still: Ben
    }
    for moment, who in by_hand.items():
        assert vigil[moment.replace(tzinfo=UTC)] == [people[who]], moment


def test_a_weekday_restriction_loses_its_days_and_the_plan_says_so(fake):
    """What Vigil cannot say: a rotation has a daily window but no days of the week. PagerDuty's
    Mon-Fri 09:00-17:00 layer comes over as 09:00-17:00 on every day, as the plan warns."""
    out = run(fake)
    assert "Vigil rotations have no days of the week, so it covers 09:00-17:00 on every day" in out
    plan = load_plan(Schedule.objects.get(name="Office hours"), NOW, NOW + timedelta(days=7))
    berlin = ZoneInfo("Europe/Berlin")

    def on_call(*local):
        return [u.email for u in plan.users_at(datetime(*local, tzinfo=berlin))]

    assert on_call(2027, 2, 3, 10) == ["ben@example.com"]  # Wednesday: as in PagerDuty
    assert on_call(2027, 2, 3, 18) == []  # after 17:00: as in PagerDuty
    assert on_call(2027, 2, 6, 10) == ["ben@example.com"]  # Saturday: PagerDuty has nobody; the plan said so
