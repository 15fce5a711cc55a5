"""manage.py import_from grafana-oncall against a fake OnCall API on loopback (tests/importers/grafana_oncall_fake.py).

The schedule checks: the imported web schedule (override included) and the calendar one (a weekly
shift limited to MO-FR by `by_day`, and a weekend from Friday 18:00 for 60 h) name the same person
as OnCall's shifts at every hour of 90 days across Berlin's change to summer time on 2027-03-28.
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
from .grafana_oncall_fake import API_KEY, fake_grafana_oncall

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def fake():
    server = fake_grafana_oncall()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def run(fake, *args, key=API_KEY) -> str:
    out = io.StringIO()
    call_command("import_from", "grafana-oncall", "--api-key", key, "--api-url", fake.url, *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_plan_and_writes_nothing(fake, ben):
    before = counts()
    out = run(fake, "--dry-run")

    assert counts() == before
    assert "Will create (13):" in out  # 4 users, 2 teams, 2 schedules, 1 override, 1 chain, 3 integrations
    assert 'team "Payments" -> team with 2 members' in out
    assert 'team "Platform" -> team with 0 members' in out
    assert "Grafana OnCall gives no members for it: made without members" in out
    assert 'user "ben" <ben@example.com> -> existing account' in out
    assert 'user "eve" <eve@example.com> -> new viewer (no password yet)' in out
    assert "Grafana OnCall admin: made a responder" in out
    assert 'schedule "Primary" (web, Europe/Berlin) -> schedule with 2 layers' in out
    assert "shift \"Launch day\": a shift of type 'single_event' is not a rotation" in out
    assert (
        'Legacy" (ical, UTC): an iCal schedule lives in its calendar (https://calendar.example.com/oncall.ics)' in out
    )
    assert 'schedule "Weekdays" (calendar, Europe/Berlin) -> schedule with 4 layers' in out
    assert "OnCall limits it" not in out and "days of the week" not in out  # by_day maps exactly
    assert 'override on "Primary": 2027-03-20 12:00 to 2027-03-21 12:00 UTC' in out
    assert 'escalation chain "Checkout" -> escalation policy with 2 levels' in out
    assert "step 'trigger_webhook' left out" in out
    assert 'integration "Prometheus" (alertmanager) -> integration of kind "alertmanager"' in out
    assert 'integration "Grafana" (grafana_alerting) -> integration of kind "grafana"' in out
    assert 'integration "Zabbix" (zabbix) -> integration of kind "generic"' in out
    assert 'integration "Direct paging" (direct_paging): it has no sender' in out
    assert "route severity=critical of integration CPROM1: Vigil integrations have one escalation policy" in out


def test_it_follows_next_across_pages_and_waits_out_a_429(fake):
    run(fake, "--dry-run")

    assert sum(r.startswith("/api/v1/users/") for r in fake.requests) == 2  # four users, two a page
    assert sum(r.startswith("/api/v1/escalation_policies/") for r in fake.requests) == 4  # 429, then 3 pages


def test_it_creates_people_schedules_policies_and_integrations(fake, ben):
    out = run(fake)

    assert "Created 13, skipped 0 imported before, 0 errors." in out
    assert role_of(get_user_model().objects.get(email="eve@example.com")) == Role.VIEWER
    layers = {r.name: r for r in Schedule.objects.get(name="Primary").rotations.all()}
    assert (layers["Weeks"].shift_length, layers["Weeks"].shift_unit, layers["Weeks"].active_from) == (1, "weeks", None)
    assert (str(layers["Nights"].active_from), str(layers["Nights"].active_until)) == ("18:00:00", "06:00:00")
    assert layers["Nights"].priority > layers["Weeks"].priority
    policy = EscalationPolicy.objects.get(name="Checkout")
    levels = list(policy.levels.order_by("position"))
    assert [lv.timeout_minutes for lv in levels] == [10, 15] and policy.repeat == 5
    assert [s.name for s in levels[0].schedules.all()] == ["Primary"]
    assert [u.email for u in levels[1].users.all()] == ["anna@example.com"]
    prometheus = Integration.objects.get(name="Prometheus")
    assert (prometheus.kind, prometheus.escalation_policy) == ("alertmanager", policy)
    assert Integration.objects.get(name="Zabbix").kind == "generic"
    assert AuditEntry.objects.filter(via="import").exists()


def test_it_brings_teams_with_the_members_users_name_and_what_they_own(fake, ben):
    run(fake)

    payments = Team.objects.get(name="Payments")
    assert sorted(payments.members.values_list("email", flat=True)) == ["anna@example.com", "ben@example.com"]
    assert not Team.objects.get(name="Platform").members.exists()
    assert Schedule.objects.get(name="Primary").team == payments  # its team_id
    assert Schedule.objects.get(name="Weekdays").team is None
    assert EscalationPolicy.objects.get(name="Checkout").team == payments


def test_an_existing_team_of_the_same_name_is_joined(fake, ben):
    eve = get_user_model().objects.create_user("eve-local", email="eve@example.com")
    payments = do_create_team(IMPORT_ACTOR, name="Payments", members=[eve])

    out = run(fake)

    assert 'joins the Vigil team "Payments" that exists already' in out
    assert Team.objects.filter(name="Payments").count() == 1
    emails = ["anna@example.com", "ben@example.com", "eve@example.com"]
    assert sorted(payments.members.values_list("email", flat=True)) == emails  # added, nobody taken out
    assert Schedule.objects.get(name="Primary").team == payments


def test_a_second_run_creates_nothing(fake):
    run(fake)
    before = counts()

    out = run(fake)

    assert counts() == before  # teams included: none made twice
    assert "Created 0, skipped 13 imported before, 0 errors." in out


def test_a_refused_token_stops_with_a_clear_error(fake):
    with pytest.raises(CommandError, match=r"Grafana OnCall answered 401: the API token was refused"):
        run(fake, "--dry-run", key="wrong")
    assert counts()[1:] == (0,) * 8


def oncall_on_call(moment: datetime, people: dict) -> str:
    """Who OnCall puts on call on "Primary": the override, else Nights (level 1, 18:00 for 12 h, a day
    each from Jan 4), else Weeks (a week each from Mon Jan 4 09:00), all on Berlin's wall clock."""
    if datetime(2027, 3, 20, 12, tzinfo=UTC) <= moment < datetime(2027, 3, 21, 12, tzinfo=UTC):
        return people["ben"]
    local = moment.astimezone(BERLIN).replace(tzinfo=None)
    if local.hour >= 18 or local.hour < 6:
        return [people["carl"], people["anna"]][(local - datetime(2027, 1, 4, 18)).days % 2]
    return [people["anna"], people["ben"], people["carl"]][(local - datetime(2027, 1, 4, 9)).days // 7 % 3]


def test_the_imported_web_schedule_pages_the_same_person_every_hour_for_90_days(fake):
    run(fake)
    people = {u.email.split("@")[0]: u.email for u in get_user_model().objects.all()}
    start = NOW.replace(minute=0)
    plan = load_plan(Schedule.objects.get(name="Primary"), start, start + timedelta(days=90))

    hours = [start + timedelta(hours=h) for h in range(90 * 24)]
    assert all([u.email for u in plan.users_at(h)] == [oncall_on_call(h, people)] for h in hours)


def oncall_weekdays(moment: datetime, people: dict) -> list[str]:
    """Who OnCall puts on call on "Weekdays" (Berlin), on the wall clock: Weekend (level 1) is an event
    from Friday 18:00 for 60 h each week, a week each from Fri Jan 1 (Anna, Carl); Desk is an event
    at 09:00 for 8 h on MO-FR, a week each from Mon Jan 4 09:00 (Ben, Carl); else nobody."""
    local = moment.astimezone(BERLIN).replace(tzinfo=None)
    friday = datetime.combine(local.date() - timedelta(days=(local.isoweekday() - 5) % 7), time(18))
    if friday <= local < friday + timedelta(hours=60):
        return [[people["anna"], people["carl"]][(friday - datetime(2027, 1, 1, 18)).days // 7 % 2]]
    if local.isoweekday() <= 5 and 9 <= local.hour < 17:
        return [[people["ben"], people["carl"]][(local - datetime(2027, 1, 4, 9)).days // 7 % 2]]
    return []


def test_by_day_and_a_weekend_page_the_same_person_every_hour_for_90_days(fake):
    out = run(fake)
    approximately = out.split("Maps approximately")[1].split("Cannot map")[0]
    assert "Weekdays" not in approximately
    people = {u.email.split("@")[0]: u.email for u in get_user_model().objects.all()}
    schedule = Schedule.objects.get(name="Weekdays")
    desk = schedule.rotations.get(name="Desk")
    assert (desk.weekdays, str(desk.active_from), str(desk.active_until)) == ([1, 2, 3, 4, 5], "09:00:00", "17:00:00")
    start = NOW.replace(minute=0)
    plan = load_plan(schedule, start, start + timedelta(days=90))

    hours = [start + timedelta(hours=h) for h in range(90 * 24)]
    vigil = {h: [u.email for u in plan.users_at(h)] for h in hours}
    assert all(vigil[h] == oncall_weekdays(h, people) for h in hours)

    by_hand = {  # UTC -> Berlin
        datetime(2027, 3, 10, 10): "carl",  # Wed 11:00 CET: Desk week 9 from Jan 4 (odd): Carl
        datetime(2027, 3, 12, 16): None,  # Fri 17:00 CET: Desk over, Weekend from 18:00
        datetime(2027, 3, 13, 9): "anna",  # Sat 10:00 CET: Weekend week 10 from Jan 1 (even): Anna
        datetime(2027, 3, 15, 8): "ben",  # Mon 09:00 CET: Desk week 10: Ben
        datetime(2027, 3, 28, 1): "anna",  # Sun 03:00 CEST, just after the change: Weekend week 12
        datetime(2027, 3, 29, 3): "anna",  # Mon 05:00 CEST: the weekend's last hour
        datetime(2027, 3, 29, 4): None,  # Mon 06:00 CEST: Weekend over, Desk from 09:00
    }
    for moment, who in by_hand.items():
        assert vigil[moment.replace(tzinfo=UTC)] == ([people[who]] if who else []), moment
