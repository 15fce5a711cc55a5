"""Changes made elsewhere appear on an open page within 5 s, without a reload (vigil/live.py)."""

import time

from incidents.services import do_declare
from monitoring.models import Monitor
from vigil.audit import Actor

from .conftest import login


def test_an_incident_declared_by_someone_else_appears_in_the_open_list_within_5_s(
    page, live_server, responder, admin_user
):
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/incidents/")
    page.evaluate("window.__notReloaded = true")
    declared = time.monotonic()
    do_declare(Actor(user=admin_user), title="Payments fail in the EU", severity="sev1")
    page.get_by_text("Payments fail in the EU").wait_for(timeout=5_000)
    assert time.monotonic() - declared < 5
    assert page.evaluate("window.__notReloaded") is True


def test_a_monitor_going_down_shows_in_the_open_list_within_5_s(page, live_server, responder):
    monitor = Monitor.objects.create(name="Search API", target="https://search.example/health")
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/monitors/")
    row = page.get_by_test_id("monitor-row").filter(has_text="Search API")
    row.wait_for()
    Monitor.objects.filter(pk=monitor.pk).update(state=Monitor.State.DOWN, last_checked_at=monitor.created_at)
    page.get_by_test_id("monitor-row").filter(has_text="Search API").filter(has_text="Down").wait_for(timeout=5_000)
