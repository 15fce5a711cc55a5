"""manage.py import_from pagerduty against a fake PagerDuty API on loopback (tests/importers/pagerduty_fake.py).

The key tests: the imported New York and Berlin schedules name the same person as PagerDuty at
every hour of the next 90 days, across the changes to daylight-saving time (2027-03-14 and
2027-03-28), checked against readings of PagerDuty's rules written here by hand (and a few hours
worked out on paper).
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
from .pagerduty_fake import API_KEY, FakePagerDuty

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)  # the 90 days ahead hold New York's change on 2027-03-14
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


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


def test_a_dry_run_prints_the_plan_and_writes_nothing(fake, ben):
    before = counts()
    out = run(fake, "--dry-run")

    assert counts() == before
    assert "dry run: nothing is written" in out
    assert "Will create (14):" in out  # 5 users, 2 teams, 2 schedules, 2 overrides, 1 policy, 2 services
    assert 'user "Ben Brown" <ben@example.com> -> existing account' in out
    assert 'user "Anna Adams" <anna@example.com> -> new responder (no password yet)' in out
    assert 'user "Eve Evans" <eve@example.com> -> new viewer (no password yet)' in out
    assert 'schedule "Primary" (America/New_York) -> schedule with 2 layers' in out
    assert 'override on "Primary": Carl Clark 2027-03-20 16:00 to 2027-03-21 16:00 UTC' in out
    assert 'escalation policy "Checkout" -> escalation policy with 2 levels' in out
    assert 'service "Checkout API" -> integration of kind "pagerduty"' in out
    office_hours = 'schedule "Office hours" (Europe/Berlin) -> schedule with 4 layers'
    assert f'{office_hours} (same people, start and priority, one a window: "Weekend" as 3)' in out
    assert "days of the week" not in out  # weekly restrictions map exactly now
    assert "PagerDuty admin: made a responder" in out
    assert "integration keys cannot be kept" in out
    assert 'service "Batch jobs" -> integration of kind "pagerduty" (disabled)' in out
    assert "maintenance window 2027-02-10T01:00:00-05:00 to 2027-02-10T03:00:00-05:00 (Checkout API)" in out
    assert 'team "Payments" -> team with 3 members' in out
    assert 'team "Platform" -> team with 1 members' in out
    assert "team roles (manager, responder) are not kept" in out
    assert 'PagerDuty\'s parent team "Payments" is not kept' in out
    assert "PagerDuty gives it 2 teams (Payments, Platform); Vigil one owner: the first" in out
    assert "teams are not imported" not in out


def test_it_follows_more_across_pages_and_waits_out_a_429(fake):
    run(fake, "--dry-run")

    user_pages = [r for r in fake.requests if r.startswith("/users?")]
    assert len(user_pages) == 3  # five users, two a page
    assert sum(r.startswith("/escalation_policies?") for r in fake.requests) == 2  # 429 once, then served


def test_it_creates_people_schedules_policies_and_integrations(fake, ben):
    out = run(fake)

    assert "Created 14, skipped 0 imported before, 0 errors." in out
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


def test_it_brings_teams_with_their_members_and_what_they_own(fake, ben):
    run(fake)

    payments = Team.objects.get(name="Payments")
    emails = ["anna@example.com", "ben@example.com", "carl@example.com"]
    assert sorted(payments.members.values_list("email", flat=True)) == emails
    assert list(Team.objects.get(name="Platform").members.values_list("email", flat=True)) == ["dora@example.com"]
    assert Schedule.objects.get(name="Primary").team == payments
    assert Schedule.objects.get(name="Office hours").team is None  # PagerDuty gives it no team
    assert EscalationPolicy.objects.get(name="Checkout").team == payments  # the first of its two
    assert AuditEntry.objects.filter(action="team.create", via="import", target_label="Payments").exists()


def test_an_existing_team_of_the_same_name_is_joined(fake, ben):
    eve = get_user_model().objects.create_user("eve-local", email="eve@example.com")
    payments = do_create_team(IMPORT_ACTOR, name="Payments", members=[eve])

    out = run(fake)

    assert 'joins the Vigil team "Payments" that exists already' in out
    assert Team.objects.filter(name="Payments").count() == 1
    emails = ["anna@example.com", "ben@example.com", "carl@example.com", "eve@example.com"]
    assert sorted(payments.members.values_list("email", flat=True)) == emails  # added, nobody taken out
    assert Schedule.objects.get(name="Primary").team == payments


def test_a_second_run_creates_nothing(fake):
    run(fake)
    before = counts()

    out = run(fake)

    assert counts() == before  # teams included: none made twice
    assert "Created 0, skipped 14 imported before, 0 errors." in out


def test_a_refused_key_stops_with_a_clear_error(fake):
    with pytest.raises(CommandError, match=r"PagerDuty refused the API key \(401 Unauthorized\)"):
        run(fake, "--dry-run", key="wrong")
    assert counts()[1:] == (0,) * 8


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


def pagerduty_office_hours(moment: datetime, people: dict) -> list[str]:
    """Who PagerDuty puts on call on "Office hours" (Berlin) at MOMENT, on the wall clock.

    Layer 1: turns of a day from Mon Jan 4 09:00 (Ben, Anna), only Mon-Fri 09:00 for 8 hours.
    Weekend (above it): turns of a week from Fri Jan 1 18:00 (Carl, Dora), only from Friday 18:00
    for 60 hours. The override wins over both; elsewhere nobody is on call."""
    local = moment.astimezone(BERLIN).replace(tzinfo=None)
    if datetime(2027, 3, 29, 4) <= local < datetime(2027, 3, 29, 11):
        return [people["eve"]]
    friday = local.date() - timedelta(days=(local.isoweekday() - 5) % 7)
    if timedelta(0) <= local - datetime.combine(friday, time(18)) < timedelta(hours=60):
        turn = (local - datetime(2027, 1, 1, 18)) // timedelta(weeks=1)
        return [[people["carl"], people["dora"]][turn % 2]]
    if local.isoweekday() <= 5 and 9 <= local.hour < 17:
        turn = (local - datetime(2027, 1, 4, 9)).days
        return [[people["ben"], people["anna"]][turn % 2]]
    return []


def test_weekly_restrictions_page_the_same_person_as_pagerduty_every_hour_for_90_days(fake):
    """Mon-Fri 09:00-17:00, a weekend from Friday 18:00 to Monday 06:00 (split at midnights) and an
    override, across Berlin's change to summer time on Sunday 2027-03-28, inside the weekend."""
    out = run(fake)
    approximately = out.split("Maps approximately")[1].split("Cannot map")[0]
    assert "schedule" not in approximately  # both schedules map exactly
    people = {u.email.split("@")[0]: u.email for u in get_user_model().objects.all()}
    schedule = Schedule.objects.get(name="Office hours")
    office = schedule.rotations.get(name="Layer 1")
    assert office.weekdays == [1, 2, 3, 4, 5]
    assert (str(office.active_from), str(office.active_until)) == ("09:00:00", "17:00:00")
    start = NOW.replace(minute=0)
    plan = load_plan(schedule, start, start + timedelta(days=90))

    hours = [start + timedelta(hours=h) for h in range(90 * 24)]
    vigil = {h: [u.email for u in plan.users_at(h)] for h in hours}
    assert all(vigil[h] == pagerduty_office_hours(h, people) for h in hours)
    final = plan.final_shifts(start, start + timedelta(days=90))
    assert all(vigil[h] == [s.user.email for s in final if s.covers(h)] for h in hours)

    by_hand = {  # UTC -> Berlin
        datetime(2027, 2, 3, 9): "ben",  # Wed 10:00 CET, office turn 30 (even): Ben
        datetime(2027, 2, 4, 9): "anna",  # Thu 10:00 CET, turn 31: Anna
        datetime(2027, 2, 3, 17): None,  # Wed 18:00 CET: after office hours, nobody
        datetime(2027, 2, 5, 16): None,  # Fri 17:00 CET: office over, weekend from 18:00
        datetime(2027, 2, 6, 9): "dora",  # Sat 10:00 CET: weekend week 5 (from Jan 1 18:00): Dora
        datetime(2027, 3, 28, 0): "carl",  # Sun 01:00 CET, weekend week 12: Carl
        datetime(2027, 3, 28, 1): "carl",  # Sun 03:00 CEST, just after the change
        datetime(2027, 3, 29, 1): "carl",  # Mon 03:00 CEST: the weekend's last hours
        datetime(2027, 3, 29, 3): "eve",  # Mon 05:00 CEST: the override
        datetime(2027, 3, 29, 8): "eve",  # Mon 10:00 CEST: the override over office hours
        datetime(2027, 3, 29, 9): "ben",  # Mon 11:00 CEST: office turn 84 (even): Ben
        datetime(2027, 4, 2, 16): "dora",  # Fri 18:00 CEST: weekend week 13: Dora
        datetime(2027, 4, 5, 5): None,  # Mon 07:00 CEST: weekend over at 06:00, office from 09:00
    }
    for moment, who in by_hand.items():
        assert vigil[moment.replace(tzinfo=UTC)] == ([people[who]] if who else []), moment
