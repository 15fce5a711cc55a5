"""The Communications panel on the incident page: audience, each update's deliveries, the update cadence."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms.models import Fanout, IncidentAudience, Notification, StakeholderGroup
from comms.panel import panel_context, span
from incidents.models import PublicStatus, Severity
from incidents.services import do_change_severity, do_declare, do_post_update, do_resolve

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def panel(client, incident) -> str:
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    return re.search(r'<section class="panel" data-testid="comms-panel">.*?</section>', page, re.S).group(0)


def rows(update, **states):
    """Outbox rows of UPDATE: so many in each state."""
    for state, count in states.items():
        for _ in range(count):
            row = Notification.objects.create(
                update=update, medium="email", channel="sandbox", destination="a", body="b"
            )
            Notification.objects.filter(pk=row.pk).update(state=state)


@pytest.fixture
def sev1(actor, api_component):
    with at(0):
        incident, _ = do_declare(actor, title="Checkout down", severity=Severity.SEV1, components=[api_component])
    return incident


def test_it_shows_the_audience_and_each_updates_deliveries(web_clients, actor, sev1):
    group = StakeholderGroup.objects.create(name="Enterprise")
    IncidentAudience.objects.create(incident=sev1).groups.add(group)
    with at(1):
        first = do_post_update(actor, sev1, PublicStatus.INVESTIGATING, "Looking.")
    with at(2):
        second = do_post_update(actor, sev1, PublicStatus.IDENTIFIED, "Found it.")
    rows(first, sent=2, delivered=3, failed=1)
    rows(second, sent=1, queued=3)
    with at(3):
        html = panel(web_clients["viewer"], sev1)
    assert "Audience: Enterprise, and stakeholders interested in the affected components." in html
    first_li, second_li = (
        html.split('data-testid="update-deliveries"')[2],
        html.split('data-testid="update-deliveries"')[1],
    )
    assert 'data-testid="sent">5<' in first_li, "accepted by the provider: sent and delivered"
    assert 'data-testid="delivered">3<' in first_li and 'data-testid="failed">1<' in first_li
    assert "<progress" not in first_li, "that fan-out is done"
    assert 'data-testid="sent">1<' in second_li and "3 waiting" in second_li
    assert '<progress max="100" value="25"' in second_li and 'data-testid="percent">25%<' in second_li


def test_an_update_not_yet_planned_shows_it_is_being_prepared(web_clients, actor, sev1):
    update = do_post_update(actor, sev1, PublicStatus.INVESTIGATING, "Looking.")
    Fanout.objects.create(update=update)
    assert "Preparing the messages" in panel(web_clients["viewer"], sev1)


def test_it_counts_the_deliveries_of_every_update_in_one_query(actor, sev1):
    def notification_queries(incident) -> int:
        with CaptureQueriesContext(connection) as queries:
            panel_context(incident)
        return sum("comms_notification" in q["sql"] for q in queries.captured_queries)

    rows(do_post_update(actor, sev1, PublicStatus.INVESTIGATING, "One."), sent=1)
    assert notification_queries(sev1) == 1
    for n in range(4):
        rows(do_post_update(actor, sev1, PublicStatus.INVESTIGATING, f"More {n}."), sent=1, failed=1)
    assert notification_queries(sev1) == 1


def test_the_countdown_says_when_the_next_update_is_due(web_clients, actor, sev1):
    with at(10):
        do_post_update(actor, sev1, PublicStatus.INVESTIGATING, "Looking.")
    with at(22):
        html = panel(web_clients["viewer"], sev1)
    due = (T0 + timedelta(minutes=40)).isoformat()
    assert re.search(r'data-testid="cadence" data-due-at="' + re.escape(due) + '"', html)
    assert "Next public update due in</span>" in html
    assert f'<time datetime="{due}">18 min</time>' in html
    assert "(SEV1: one at least every 30 min)" in html
    assert 'class="msg"' in html


def test_the_countdown_says_by_how_much_an_update_is_overdue(web_clients, actor, sev1):
    with at(10):
        do_post_update(actor, sev1, PublicStatus.INVESTIGATING, "Looking.")
    with at(45):
        html = panel(web_clients["viewer"], sev1)
    assert "Public update overdue by</span>" in html, "said in words, not only in red"
    assert ">5 min</time>" in html and 'class="msg error"' in html
    with at(10 + 30 + 65):
        assert ">1 h 5 min</time>" in panel(web_clients["viewer"], sev1)


def test_without_any_update_the_clock_runs_from_the_start(web_clients, sev1):
    with at(61):
        assert "Public update overdue by</span>" in panel(web_clients["viewer"], sev1)
        assert ">31 min</time>" in panel(web_clients["viewer"], sev1)


def test_no_countdown_below_sev2_or_once_resolved(web_clients, actor, sev1):
    with at(5):
        do_change_severity(actor, sev1, Severity.SEV3)
        assert 'data-testid="cadence"' not in panel(web_clients["viewer"], sev1)
        do_change_severity(actor, sev1, Severity.SEV2)
        assert "(SEV2: one at least every 60 min)" in panel(web_clients["viewer"], sev1)
        do_resolve(actor, sev1)
        assert 'data-testid="cadence"' not in panel(web_clients["viewer"], sev1)


def test_the_pages_script_ticks_the_countdown_as_it_writes_it():
    script = (Path(settings.BASE_DIR) / "static" / "vigil.js").read_text()
    assert 'querySelectorAll("[data-due-at]")' in script
    assert "el.dataset.overdueText" in script and "el.dataset.dueText" in script
    assert [span(s) for s in (0, 59, 60, 3599, 3600, 3900)] == [
        "0 min",
        "0 min",
        "1 min",
        "59 min",
        "1 h 0 min",
        "1 h 5 min",
    ]
