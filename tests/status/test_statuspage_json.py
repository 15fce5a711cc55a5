"""The Statuspage-compatible JSON: every document, every key, every allowed value (Statuspage public API v2)."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import MaintenanceStatus
from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots
from incidents.services import do_change_status

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_KEYS = {"indicator", "description"}
INDICATORS = {"none", "minor", "major", "critical"}
COMPONENT_KEYS = {
    "id", "page_id", "group_id", "name", "description", "position", "status", "showcase",
    "only_show_if_degraded", "start_date", "group", "components", "created_at", "updated_at",
}  # fmt: skip
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
INCIDENT_KEYS = {
    "id", "page_id", "name", "status", "impact", "shortlink", "started_at", "created_at", "updated_at",
    "monitoring_at", "resolved_at", "components", "incident_updates",
}  # fmt: skip
MAINTENANCE_KEYS = INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
UPDATE_KEYS = {
    "id", "incident_id", "status", "body", "created_at", "updated_at", "display_at", "affected_components",
}  # fmt: skip
AFFECTED_KEYS = {"code", "name", "old_status", "new_status"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
IMPACTS = {"none", "minor", "major", "critical"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DOCUMENTS = {
    "summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "status.json": {"page", "status"},
    "components.json": {"page", "components"},
    "incidents.json": {"page", "incidents"},
    "incidents/unresolved.json": {"page", "incidents"},
    "scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}


@pytest.fixture
def full_page(actor, outage, past_incident, api, website, email_component):
    """Groups and a loose component, an open and a resolved incident, a maintenance in each status."""
    now = timezone.now()
    made = {}
    for status, offset in (("scheduled", 24), ("in_progress", -1), ("verifying", -1), ("completed", -48)):
        start = now + timedelta(hours=offset)
        made[status] = maintenance_services.do_schedule_maintenance(
            actor, title=f"Work {status}", message=f"About {status}.", components=[email_component],
            starts_at=start, ends_at=start + timedelta(hours=2),
        )  # fmt: skip
    maintenance_services.do_move_maintenance(actor, made["verifying"], MaintenanceStatus.VERIFYING)
    do_change_status(actor, outage, "monitoring")
    snapshots.rebuild()
    return made


def fetch(client, name: str):
    response = client.get(f"/api/v2/{name}")
    assert response.status_code == 200, name
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)


def check_time(value, nullable=False):
    if value is None and nullable:
        return
    assert isinstance(value, str) and TIME.match(value), value


def check_page(page: dict):
    assert set(page) == PAGE_KEYS
    assert isinstance(page["id"], str) and page["id"]
    assert page["url"].startswith("http") and page["url"].endswith("/status/")
    assert page["time_zone"] == "Etc/UTC"
    check_time(page["updated_at"])


def check_status(status: dict):
    assert set(status) == STATUS_KEYS
    assert status["indicator"] in INDICATORS
    assert isinstance(status["description"], str) and status["description"]


def check_component(component: dict, page_id: str):
    assert set(component) == COMPONENT_KEYS
    assert isinstance(component["id"], str)
    assert component["page_id"] == page_id
    assert component["group_id"] is None or isinstance(component["group_id"], str)
    assert isinstance(component["name"], str)
    assert component["description"] is None or isinstance(component["description"], str)
    assert isinstance(component["position"], int)
    assert component["status"] in COMPONENT_STATUSES
    assert isinstance(component["showcase"], bool) and component["only_show_if_degraded"] is False
    assert isinstance(component["group"], bool)
    assert isinstance(component["components"], list)
    if component["group"]:
        assert component["start_date"] is None and component["group_id"] is None
    else:
        assert re.match(r"^\d{4}-\d\d-\d\d$", component["start_date"]) and component["components"] == []
    check_time(component["created_at"])
    check_time(component["updated_at"])


def check_event(event: dict, page_id: str, maintenance: bool):
    assert set(event) == (MAINTENANCE_KEYS if maintenance else INCIDENT_KEYS)
    assert isinstance(event["id"], str) and event["page_id"] == page_id and isinstance(event["name"], str)
    if maintenance:
        assert event["status"] in MAINTENANCE_STATUSES and event["impact"] == "maintenance"
        check_time(event["scheduled_for"])
        check_time(event["scheduled_until"])
    else:
        assert event["status"] in INCIDENT_STATUSES and event["impact"] in IMPACTS
    assert event["shortlink"].startswith("http")
    for key in ("started_at", "created_at", "updated_at"):
        check_time(event[key])
    for key in ("monitoring_at", "resolved_at"):
        check_time(event[key], nullable=True)
    assert (event["resolved_at"] is not None) == (event["status"] in ("resolved", "postmortem", "completed"))
    for component in event["components"]:
        check_component(component, page_id)
    statuses = INCIDENT_STATUSES | MAINTENANCE_STATUSES
    times = []
    for update in event["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert isinstance(update["id"], str) and update["incident_id"] == event["id"]
        assert update["status"] in statuses and isinstance(update["body"], str)
        for key in ("created_at", "updated_at", "display_at"):
            check_time(update[key])
        for affected in update["affected_components"]:
            assert set(affected) == AFFECTED_KEYS
            assert affected["old_status"] in COMPONENT_STATUSES and affected["new_status"] in COMPONENT_STATUSES
        times.append(update["display_at"])
    assert times == sorted(times, reverse=True)  # newest first


def test_every_document_has_statuspages_keys_and_values(full_page, public_client):
    for name, keys in DOCUMENTS.items():
        body = fetch(public_client, name)
        assert set(body) == keys, name
        check_page(body["page"])
        page_id = body["page"]["id"]
        if "status" in body:
            check_status(body["status"])
        for component in body.get("components", []):
            check_component(component, page_id)
        for incident in body.get("incidents", []):
            check_event(incident, page_id, maintenance=False)
        for maintenance in body.get("scheduled_maintenances", []):
            check_event(maintenance, page_id, maintenance=True)


def test_documents_hold_the_right_incidents_and_maintenances(full_page, outage, past_incident, public_client):
    summary = fetch(public_client, "summary.json")
    assert [i["name"] for i in summary["incidents"]] == ["Elevated API errors"]
    assert summary["incidents"][0]["status"] == "monitoring"
    assert summary["incidents"][0]["monitoring_at"] is not None
    assert {m["status"] for m in summary["scheduled_maintenances"]} == {"scheduled", "in_progress", "verifying"}
    names = [i["name"] for i in fetch(public_client, "incidents.json")["incidents"]]
    assert names == ["Elevated API errors", "Slow website"]
    assert [i["name"] for i in fetch(public_client, "incidents/unresolved.json")["incidents"]] == names[:1]
    resolved = fetch(public_client, "incidents.json")["incidents"][1]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    every = fetch(public_client, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert {m["status"] for m in every} == MAINTENANCE_STATUSES
    upcoming = fetch(public_client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [m["status"] for m in upcoming] == ["scheduled"]
    active = fetch(public_client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert sorted(m["status"] for m in active) == ["in_progress", "verifying"]
    completed = next(m for m in every if m["status"] == "completed")
    assert [u["status"] for u in completed["incident_updates"]] == ["completed", "in_progress", "scheduled"]


def test_groups_list_their_members_and_members_name_their_group(full_page, public_client):
    components = fetch(public_client, "components.json")["components"]
    group = next(c for c in components if c["group"])
    members = [c for c in components if c["group_id"] == group["id"]]
    assert group["name"] == "Core platform"
    assert group["components"] == [c["id"] for c in members]
    assert [c["name"] for c in members] == ["Public API", "Website"]
    assert group["status"] == "partial_outage"  # its worst member's
    assert [c["position"] for c in components] == list(range(1, len(components) + 1))
    ids = [c["id"] for c in components]
    assert len(ids) == len(set(ids))


def test_status_follows_components_and_incidents(full_page, public_client):
    status = fetch(public_client, "status.json")["status"]
    assert status == {"indicator": "major", "description": "Partial System Outage"}


def test_an_updates_affected_components_carry_old_and_new_status(full_page, outage, public_client):
    incident = fetch(public_client, "incidents/unresolved.json")["incidents"][0]
    oldest = incident["incident_updates"][-1]
    assert oldest["affected_components"] == [
        {"code": str(outage.affected.get().component_id), "name": "Public API", "old_status": "operational",
         "new_status": "partial_outage"},
    ]  # fmt: skip
    newest = incident["incident_updates"][0]
    assert newest["affected_components"][0]["old_status"] == "partial_outage"


def test_the_empty_page_is_valid_too(db, public_client):
    snapshots.rebuild()
    summary = fetch(public_client, "summary.json")
    assert summary["components"] == [] and summary["incidents"] == [] and summary["scheduled_maintenances"] == []
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    check_page(summary["page"])


def test_the_json_is_also_below_the_status_page_for_relative_links(full_page, public_client):
    below = public_client.get("/status/api/v2/summary.json")
    assert below.status_code == 200
    assert below.content == public_client.get("/api/v2/summary.json").content
