"""The scheduled report digest: once a period, to the members of its groups, through the comms outbox."""

from datetime import UTC, date, datetime, timedelta

import pytest

from comms.models import Notification, Stakeholder, StakeholderGroup
from comms.outbox import send_due
from postmortems import digest
from postmortems.models import ReportDigest
from postmortems.tasks import send_report_digests
from tests.postmortems.test_report_figures import at, history, incident, utc  # noqa: F401 (fixtures)

WEDNESDAY = datetime(2026, 6, 17, 10, 0, tzinfo=UTC)  # last week: Mon 8 Jun to Sun 14 Jun


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.VIGIL_COMMS_SANDBOX = True


@pytest.fixture
def weekly(db):
    execs, engineers = StakeholderGroup.objects.create(name="Execs"), StakeholderGroup.objects.create(name="Eng")
    people = {
        "ann": Stakeholder.objects.create(name="Ann", email="ann@example.com"),
        "bob": Stakeholder.objects.create(name="Bob", email="bob@example.com"),
        "quiet": Stakeholder.objects.create(name="Quiet", email="quiet@example.com", opted_out=["email"]),
        "phone": Stakeholder.objects.create(name="Phone only", phone="+14155550100"),
        "other": Stakeholder.objects.create(name="Not in a group", email="other@example.com"),
    }
    people["ann"].groups.set([execs, engineers])  # in both groups: one mail
    people["bob"].groups.set([engineers])
    people["quiet"].groups.set([execs])
    people["phone"].groups.set([execs])
    report = ReportDigest.objects.create(name="Leadership", frequency="weekly")
    report.groups.set([execs, engineers])
    return report


def sent_to():
    return sorted(Notification.objects.values_list("destination", flat=True))


def test_periods_are_whole_utc_weeks_and_months():
    assert digest.last_period("weekly", WEDNESDAY) == (at(6, 8), at(6, 15))
    assert digest.last_period("weekly", at(6, 15)) == (at(6, 8), at(6, 15))  # Monday midnight: that week is done
    assert digest.last_period("monthly", WEDNESDAY) == (at(5, 1), at(6, 1))
    assert digest.last_period("monthly", datetime(2026, 1, 3, tzinfo=UTC)) == (
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_a_digest_goes_once_a_period_to_each_member_with_an_email(weekly, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert digest.send_due_digests(WEDNESDAY) == 2
    assert len(callbacks) == 1  # the sends are queued after commit
    assert sent_to() == ["ann@example.com", "bob@example.com"]
    row = Notification.objects.get(destination="ann@example.com")
    assert (row.medium, row.channel, row.stakeholder.name, row.update_id) == ("email", "sandbox", "Ann", None)
    weekly.refresh_from_db()
    assert (weekly.last_period_start, weekly.last_sent_at) == (at(6, 8), WEDNESDAY)

    assert digest.send_due_digests(WEDNESDAY) == 0  # the beat task runs hourly: nothing twice
    assert digest.send_digest(weekly.pk, WEDNESDAY + timedelta(days=3)) == 0  # same week, still done
    assert Notification.objects.count() == 2

    assert digest.send_due_digests(WEDNESDAY + timedelta(days=7)) == 2  # the next week's
    assert Notification.objects.count() == 4
    assert send_due("sandbox") == 4
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}


def test_a_disabled_digest_or_one_without_members_sends_nothing(weekly):
    ReportDigest.objects.filter(pk=weekly.pk).update(enabled=False)
    assert digest.send_due_digests(WEDNESDAY) == 0
    lonely = ReportDigest.objects.create(name="Nobody", frequency="monthly")
    lonely.groups.set([StakeholderGroup.objects.create(name="Empty")])
    assert digest.send_due_digests(WEDNESDAY) == 0
    assert Notification.objects.count() == 0


def test_the_mail_gives_uptime_incidents_and_action_items_due(weekly, history):  # noqa: F811
    incident("sev2", "manual", at(6, 9, 10), timedelta(minutes=4), timedelta(minutes=90), title="Slow checkout")
    incident("sev1", "manual", at(6, 14, 22), None, None, title="Search down")
    incident("sev3", "manual", at(6, 15), None, None, title="Next week's")
    digest.send_due_digests(WEDNESDAY)
    mail = Notification.objects.get(destination="bob@example.com")
    assert mail.subject == "[Vigil] Weekly report: Mon 8 Jun 2026 to Sun 14 Jun 2026 (UTC)"
    first, second = incident_ids()
    assert mail.body == (
        "Weekly report “Leadership”: Mon 8 Jun 2026 to Sun 14 Jun 2026 (UTC).\n\n"
        "UPTIME PER COMPONENT\n"
        # api: one day rolled up in the week, 60 s down: 1 - 60/86,400; budget 0.1% of 1,440 min.
        "- api: 99.931% (SLO 99.900%, met); down 1.00 min; error budget left 0.44 of 1.44 min (30.56%)\n"
        "- db: no data (SLO 99.500%)\n"
        "- web: no data (SLO 99.990%)\n\n"
        "INCIDENTS (2)\n"
        f"- #{first} SEV2 Slow checkout: started Tue 09 Jun 10:00 UTC, resolved after 1 h 30 min\n"
        f"- #{second} SEV1 Search down: started Sun 14 Jun 22:00 UTC, ongoing, 2 d 12 h so far\n\n"
        "ACTION ITEMS DUE BY SUN 21 JUN 2026 (3)\n"
        "- overdue (overdue since Wed 1 Apr 2026, no owner)\n"
        "- overdue too (overdue since Sun 31 May 2026, no owner)\n"
        "- due later (due Sat 20 Jun 2026, no owner)\n\n"
        "The full reports: http://testserver-base/postmortems/reports/?from=2026-06-08&to=2026-06-14\n"
    ).replace("http://testserver-base", _base())


def incident_ids():
    from incidents.models import Incident

    return [i.pk for i in Incident.objects.filter(title__in=["Slow checkout", "Search down"]).order_by("started_at")]


def _base():
    from django.conf import settings

    return settings.VIGIL_BASE_URL


def test_a_monthly_digest_reads_the_calendar_month(weekly, history):  # noqa: F811
    weekly.frequency = "monthly"
    weekly.save()
    digest.send_due_digests(datetime(2026, 7, 1, 0, 30, tzinfo=UTC))
    mail = Notification.objects.get(destination="ann@example.com")
    assert mail.subject == "[Vigil] Monthly report: Mon 1 Jun 2026 to Tue 30 Jun 2026 (UTC)"
    # db's two monitors on 1 June: 864 s down of 129,600 s; 7.2 min a monitor of a 5.4 min budget.
    assert (
        "- db: 99.333% (SLO 99.500%, missed); down 7.20 min; error budget left -1.80 of 5.40 min (-33.33%)" in mail.body
    )
    assert "ACTION ITEMS DUE BY FRI 31 JUL 2026 (3)" in mail.body
    # api: 10 June (60 s down) and 15 June (all day down) both fall in June this time.
    assert "- api: 49.965% (SLO 99.900%, missed); down 1441.00 min;" in mail.body  # 1 - 86,460 / 172,800
    assert "INCIDENTS (1)\n" in mail.body  # the SEV4 of 1 June
    assert "SEV4 sev4 at 2026-06-01 00:00:00+00:00: started Mon 01 Jun 00:00 UTC, resolved after 2 min" in mail.body
    assert date(2026, 6, 20).isoformat() not in mail.body  # dates in words, not ISO, except in the link


def test_beat_s_task_sends_the_last_complete_period_once(weekly):
    assert send_report_digests.run() == 2
    assert send_report_digests.run() == 0
    weekly.refresh_from_db()
    assert weekly.last_period_start == digest.last_period("weekly", weekly.last_sent_at)[0]


def test_celery_discovers_the_task_under_a_routed_name():
    from django.conf import settings

    from vigil.celery import app

    app.loader.import_default_modules()
    assert "postmortems.tasks.send_report_digests" in app.tasks
    assert "postmortems.tasks.*" in settings.CELERY_TASK_ROUTES
