"""A component a monitor turned red, with no public incident yet: explained on the page ("show", the
default) or held at operational until a responder publishes ("hold"). Issue #15: the page went red
with nothing to say why."""

import json

import pytest

from comms.status import snapshot as snapshots
from incidents.models import ComponentStatus, PublicStatus, Source
from incidents.services import do_declare, do_post_update
from monitoring.models import Monitor
from tests.test_settings import manage
from vigil.audit import Actor

MONITOR = Actor(via="monitor")
DETECTED_NOTE = "Our monitoring detected a problem; we are investigating."
INVESTIGATING_NOTE = "We are investigating a problem; an update will follow shortly."


@pytest.fixture
def monitor_down(api):
    """The API's monitor confirmed it down: the incident monitoring opens, with no public update."""
    monitor = Monitor.objects.create(name="API health", target="https://api.example/health", component=api)
    incident, _ = do_declare(
        MONITOR, title="API health is down", summary="connect timeout", severity="sev2",
        components={api: ComponentStatus.MAJOR_OUTAGE}, source=Source.MONITOR, dedup_key=f"monitor:{monitor.pk}",
    )  # fmt: skip
    return incident


def page_and_summary() -> tuple[str, dict]:
    snapshot = snapshots.rebuild()
    page = snapshot.documents["index.html"].body.decode()
    return page, json.loads(snapshot.documents["api/v2/summary.json"].body)


def api_status(summary: dict) -> str:
    return next(c["status"] for c in summary["components"] if c["name"] == "Public API")


def test_by_default_a_red_component_says_monitoring_found_a_problem(monitor_down):
    page, summary = page_and_summary()
    assert api_status(summary) == "major_outage"
    assert f'<p class="note" data-testid="component-note">{DETECTED_NOTE}</p>' in page
    assert f'<span data-testid="affected-note">{DETECTED_NOTE}</span>' in page
    assert "API health is down" not in page and "connect timeout" not in page  # the incident stays private


def test_once_a_responder_publishes_the_incident_explains_it_and_the_note_goes(monitor_down, actor):
    do_post_update(actor, monitor_down, PublicStatus.INVESTIGATING, "The API is failing; we are on it.")
    page, _ = page_and_summary()
    assert "The API is failing; we are on it." in page
    assert DETECTED_NOTE not in page


def test_held_the_component_stays_operational_until_a_public_update(monitor_down, actor, settings):
    settings.VIGIL_STATUS_MONITOR_COMPONENTS = "hold"
    page, summary = page_and_summary()
    assert api_status(summary) == "operational"
    assert summary["status"]["indicator"] == "none"
    assert DETECTED_NOTE not in page
    do_post_update(actor, monitor_down, PublicStatus.INVESTIGATING, "The API is failing; we are on it.")
    page, summary = page_and_summary()
    assert api_status(summary) == "major_outage"
    assert summary["status"]["indicator"] == "critical"


def test_a_person_s_unpublished_incident_says_it_is_being_looked_into(actor, api):
    do_declare(actor, title="internal", components={api: ComponentStatus.PARTIAL_OUTAGE})
    page, _ = page_and_summary()
    assert INVESTIGATING_NOTE in page and DETECTED_NOTE not in page


def test_a_component_set_by_hand_with_no_incident_is_shown_as_set(api, settings):
    settings.VIGIL_STATUS_MONITOR_COMPONENTS = "hold"
    api.status = ComponentStatus.DEGRADED
    api.save()
    page, summary = page_and_summary()
    assert api_status(summary) == "degraded_performance"
    assert 'data-testid="component-note"' not in page


def test_a_bad_value_fails_at_start_up(tmp_path):
    result = manage("check", DEBUG="1", VIGIL_VAR_DIR=str(tmp_path), VIGIL_STATUS_MONITOR_COMPONENTS="maybe")
    assert result.returncode != 0
    assert "VIGIL_STATUS_MONITOR_COMPONENTS='maybe': expected show or hold" in result.stderr
