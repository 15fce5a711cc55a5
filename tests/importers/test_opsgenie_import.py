"""manage.py import_from opsgenie against a fake Opsgenie API on loopback (tests/importers/opsgenie_fake.py).

The key tests: the imported Berlin schedules (a time-of-day restriction; weekday restrictions
Mon-Fri 09:00-17:00 and Fri 18:00 to Mon 06:00) name the same person as Opsgenie at every hour of
the next 90 days, across the change to summer time on 2027-03-28, checked against a reading of
Opsgenie's rules written here by hand.
"""

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from importers.base import IMPORT_ACTOR
from incidents.models import EscalationPolicy, Integration, Schedule, Team
from incidents.oncall.schedule import load_plan
from incidents.oncall.services import do_create_team
from vigil.models import AuditEntry
from vigil.roles import Role, role_of

from .conftest import oncall_counts as counts
from .opsgenie_fake import API_KEY, fake_opsgenie

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)  # the 90 days ahead hold Berlin's change on 2027-03-28
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def fake():
    server = fake_opsgenie()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def run(fake, *args, key=API_KEY) -> str:
    out = io.StringIO()
    call_command("import_from", "opsgenie", "--api-key", key, "--api-url", fake.url, *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_plan_and_writes_nothing(fake, ben):
    before = counts()
    out = run(fake, "--dry-run")

    assert counts() == before
    assert "dry run: nothing is written" in out
    assert "Will create (13):" in out  # 5 users, 2 teams, 2 schedules, 1 override, 1 escalation, 2 integrations
    assert 'user "Ben Brown" <ben@example.com> -> existing account' in out
    assert 'user "Anna Adams" <anna@example.com> -> new responder (no password yet)' in out
    assert 'user "Eve Evans" <eve@example.com> -> new viewer (no password yet)' in out
    assert "Opsgenie admin: made a responder" in out
    assert 'schedule "Primary" (Europe/Berlin) -> schedule with 1 layers' in out
    assert 'override on "Primary": dora@example.com 2027-03-20 10:00 to 2027-03-21 10:00 UTC' in out
    assert "eve@example.com 2027-03-01" not in out  # the override that is over
    assert "days of the week" not in out and "Opsgenie limits it" not in out  # weekday restrictions map exactly
    assert 'rotation "Spare": it has participants of type none' in out
    assert 'escalation "Checkout" -> escalation policy with 2 levels' in out
    assert "team recipient Payments left out" in out
    assert 'integration "Checkout API" (API) -> integration of kind "opsgenie"' in out
    assert 'integration "Legacy" (API) -> integration of kind "opsgenie" (disabled)' in out
    assert 'integration "Prometheus" (Prometheus): only API integrations map' in out
    assert 'team "Payments" -> team with 3 members' in out
    assert 'team "Platform" -> team with 1 members' in out
    assert "team roles (admin) are not kept" in out
    assert "its routing rules are not imported" in out
    assert "Vigil has no action to make a team" not in out


def test_it_follows_paging_next_and_waits_out_a_429(fake):
    run(fake, "--dry-run")

    assert sum(r.startswith("/v2/users?") for r in fake.requests) == 3  # five users, two a page
    assert sum(r.startswith("/v2/escalations") for r in fake.requests) == 2  # 429 once, then served


def test_it_creates_people_schedules_policies_and_integrations(fake, ben):
    out = run(fake)

    assert "Created 13, skipped 0 imported before, 0 errors." in out
    anna = get_user_model().objects.get(email="anna@example.com")
    assert anna.is_active and not anna.has_usable_password() and role_of(anna) == Role.RESPONDER
    assert role_of(get_user_model().objects.get(email="eve@example.com")) == Role.VIEWER
    primary = Schedule.objects.get(name="Primary")
    assert primary.time_zone == "Europe/Berlin"
    (weeks,) = primary.rotations.all()
    assert (weeks.shift_length, weeks.shift_unit, str(weeks.active_from), str(weeks.active_until)) == (
        1, "weeks", "09:00:00", "17:00:00")  # fmt: skip
    assert [m.user for m in weeks.members.order_by("position")][1] == ben
    desk = Schedule.objects.get(name="Office hours").rotations.order_by("id")
    assert [(r.name, r.weekdays, str(r.active_from), str(r.active_until)) for r in desk] == [
        ("Desk", [1, 2, 3, 4, 5], "09:00:00", "17:00:00"),
        ("Desk", [5], "18:00:00", "None"),
        ("Desk", [6, 7], "None", "None"),
        ("Desk", [1], "None", "06:00:00"),
    ]
    policy = EscalationPolicy.objects.get(name="Checkout")
    levels = list(policy.levels.order_by("position"))
    assert [lv.timeout_minutes for lv in levels] == [10, 5] and policy.repeat == 2
    assert {s.name for s in levels[0].schedules.all()} == {"Primary", "Office hours"}
    assert list(levels[1].users.all()) == [anna]
    checkout = Integration.objects.get(name="Checkout API")
    assert (checkout.kind, checkout.enabled) == ("opsgenie", True)
    assert not Integration.objects.get(name="Legacy").enabled
    assert not Integration.objects.filter(name="Prometheus").exists()
    assert AuditEntry.objects.filter(via="import").exists()


def test_it_brings_teams_with_their_members_and_what_they_own(fake, ben):
    run(fake)

    payments = Team.objects.get(name="Payments")
    emails = ["anna@example.com", "ben@example.com", "carl@example.com"]
    assert sorted(payments.members.values_list("email", flat=True)) == emails
    assert list(Team.objects.get(name="Platform").members.values_list("email", flat=True)) == ["dora@example.com"]
    assert Schedule.objects.get(name="Primary").team == payments  # its ownerTeam
    assert Schedule.objects.get(name="Office hours").team is None
    assert EscalationPolicy.objects.get(name="Checkout").team == payments
    assert AuditEntry.objects.filter(action="team.create", via="import", target_label="Payments").exists()


def test_an_existing_team_of_the_same_name_is_joined(fake, ben):
    eve = get_user_model().objects.create_user("eve-local", email="eve@example.com")
    payments = do_create_team(IMPORT_ACTOR, name="Payments", members=[eve])

    out = run(fake)

    assert 'joins the Vigil team "Payments" that exists already' in out
    assert Team.objects.filter(name="Payments").count() == 1
    emails = ["anna@example.com", "ben@example.com", "carl@example.com", "eve@example.com"]
    assert sorted(payments.members.values_list("email", flat=True)) == emails  # added, nobody taken out
    assert EscalationPolicy.objects.get(name="Checkout").team == payments


def test_a_second_run_creates_nothing(fake):
    run(fake)
    before = counts()

    out = run(fake)

    assert counts() == before  # teams included: none made twice
    assert "Created 0, skipped 13 imported before, 0 errors." in out


def test_a_refused_key_stops_with_a_clear_error(fake):
    with pytest.raises(CommandError, match=r"Opsgenie answered 401: the API key was refused"):
        run(fake, "--dry-run", key="wrong")
    assert counts()[1:] == (0,) * 8


# --- The key test: the same person on call as Opsgenie, every hour for 90 days ---------------


def opsgenie_on_call(moment: datetime, people: dict) -> list[str]:
    """Who Opsgenie puts on call on "Primary" at MOMENT, from its documented rules, on the wall clock.

    An override (for no particular rotation) covers the schedule for its whole stretch; otherwise the
    weekly rotation hands off every Monday 09:00 Berlin time (startDate 08:00Z in winter) and covers
    09:00-17:00 only. Hand-offs and window edges are at 09:00 and 17:00, clear of the 02:00 change,
    so plain local arithmetic is exact."""
    if datetime(2027, 3, 20, 10, tzinfo=UTC) <= moment < datetime(2027, 3, 21, 10, tzinfo=UTC):
        return [people["dora"]]
    local = moment.astimezone(BERLIN).replace(tzinfo=None)
    if not 9 <= local.hour < 17:
        return []
    turn = (local - datetime(2027, 1, 4, 9)).days // 7
    return [[people["anna"], people["ben"], people["carl"]][turn % 3]]


def test_the_imported_schedule_pages_the_same_person_as_opsgenie_every_hour_for_90_days(fake):
    run(fake)
    people = {u.email.split("@")[0]: u.email for u in get_user_model().objects.all()}
    start = NOW.replace(minute=0)
    plan = load_plan(Schedule.objects.get(name="Primary"), start, start + timedelta(days=90))

    hours = [start + timedelta(hours=h) for h in range(90 * 24)]
    vigil = {h: [u.email for u in plan.users_at(h)] for h in hours}
    assert all(vigil[h] == opsgenie_on_call(h, people) for h in hours)

    by_hand = {  # UTC -> Berlin, worked out on paper
        datetime(2027, 3, 10, 10): "anna",  # Wed 11:00 CET, week 9 from Jan 4 (9 mod 3 = 0): Anna
        datetime(2027, 3, 15, 8): "ben",  # Mon 09:00 CET, week 10: Ben
        datetime(2027, 3, 20, 22): "dora",  # Sat 23:00 CET: the override, outside the window too
        datetime(2027, 3, 29, 7): "anna",  # Mon 09:00 CEST, after the change: week 12 (12 mod 3 = 0): Anna
    }
    for moment, name in by_hand.items():
        assert vigil[moment.replace(tzinfo=UTC)] == [people[name]], moment
    assert vigil[datetime(2027, 3, 29, 6, tzinfo=UTC)] == []  # 08:00 CEST: before the window


def opsgenie_office_hours(moment: datetime, people: dict) -> list[str]:
    """Who Opsgenie puts on call on "Office hours" (Berlin) at MOMENT, on the wall clock.

    Desk: turns of a day from Mon Jan 4 09:00 (Ben, Anna), restricted to Mon-Fri 09:00-17:00 and to
    Friday 18:00 through Monday 06:00; restrictions cut hours out, hand-offs go on every day. Spare
    is not imported (its "none" turns), and nobody is on call outside Desk's restrictions."""
    local = moment.astimezone(BERLIN).replace(tzinfo=None)
    friday = local.date() - timedelta(days=(local.isoweekday() - 5) % 7)
    weekend = datetime.combine(friday, time(18)) <= local < datetime.combine(friday + timedelta(days=3), time(6))
    office = local.isoweekday() <= 5 and 9 <= local.hour < 17
    if not (weekend or office):
        return []
    return [[people["ben"], people["anna"]][(local - datetime(2027, 1, 4, 9)).days % 2]]


def test_weekday_restrictions_page_the_same_person_as_opsgenie_every_hour_for_90_days(fake):
    out = run(fake)
    approximately = out.split("Maps approximately")[1].split("Cannot map")[0]
    assert "Office hours" not in approximately
    people = {u.email.split("@")[0]: u.email for u in get_user_model().objects.all()}
    start = NOW.replace(minute=0)
    plan = load_plan(Schedule.objects.get(name="Office hours"), start, start + timedelta(days=90))

    hours = [start + timedelta(hours=h) for h in range(90 * 24)]
    vigil = {h: [u.email for u in plan.users_at(h)] for h in hours}
    assert all(vigil[h] == opsgenie_office_hours(h, people) for h in hours)

    by_hand = {  # UTC -> Berlin; day turn N from Jan 4 09:00: Ben when N is even, Anna when odd
        datetime(2027, 3, 10, 10): "anna",  # Wed 11:00 CET, turn 65
        datetime(2027, 3, 12, 16): None,  # Fri 17:00 CET: office over, weekend from 18:00
        datetime(2027, 3, 12, 17): "anna",  # Fri 18:00 CET: Friday's turn, 67
        datetime(2027, 3, 13, 7): "anna",  # Sat 08:00 CET: still Friday's turn
        datetime(2027, 3, 13, 8): "ben",  # Sat 09:00 CET: Saturday's turn, 68
        datetime(2027, 3, 28, 0): "ben",  # Sun 01:00 CET: Saturday's turn, 82
        datetime(2027, 3, 28, 1): "ben",  # Sun 03:00 CEST, just after the change: still turn 82
        datetime(2027, 3, 29, 3): "anna",  # Mon 05:00 CEST: Sunday's turn, 83
        datetime(2027, 3, 29, 4): None,  # Mon 06:00 CEST: the weekend is over, office from 09:00
        datetime(2027, 3, 29, 7): "ben",  # Mon 09:00 CEST: Monday's turn, 84
    }
    for moment, who in by_hand.items():
        assert vigil[moment.replace(tzinfo=UTC)] == ([people[who]] if who else []), moment
