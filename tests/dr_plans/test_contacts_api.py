"""Contacts through the API: a plan's call tree and its vendors, both pointing at comms stakeholders."""

import pytest

from comms.models import Stakeholder
from dr_plans.models import CallTreeLevel, Vendor
from vigil.models import AuditEntry

from .conftest import make_plan


@pytest.fixture
def people(db):
    return [
        Stakeholder.objects.create(name="Dana DBA", kind="engineer", phone="+14155550100", email="dana@example.com"),
        Stakeholder.objects.create(name="Carl CTO", kind="executive", phone="+14155550101"),
    ]


def test_an_admin_builds_a_call_tree(api_clients, plan, people):
    admin = api_clients["admin"]
    body = {"plan": plan.pk, "position": 0, "people": [people[0].pk], "escalate_after_minutes": 10, "when": "data loss"}
    first = admin.post("/api/v1/dr-call-tree-levels/", body, format="json")
    assert first.status_code == 201, first.content
    second = admin.post(
        "/api/v1/dr-call-tree-levels/", {"plan": plan.pk, "position": 1, "people": [people[1].pk]}, format="json"
    )
    assert second.status_code == 201
    # Contact details are for admins and responders (vigil.privacy); a viewer gets them masked.
    masked = api_clients["viewer"].get(f"/api/v1/dr-call-tree-levels/?plan={plan.pk}").json()["results"]
    assert (masked[0]["contacts"][0]["phone"], masked[0]["contacts"][0]["email"]) == ("•••••00", "•••@example.com")
    rows = api_clients["responder"].get(f"/api/v1/dr-call-tree-levels/?plan={plan.pk}").json()["results"]
    assert [r["position"] for r in rows] == [0, 1]
    assert rows[0]["contacts"] == [
        {
            "id": people[0].pk,
            "name": "Dana DBA",
            "organisation": "",
            "phone": "+14155550100",
            "email": "dana@example.com",
        }
    ]
    assert rows[1]["escalate_after_minutes"] == 15
    assert AuditEntry.objects.filter(action="dr_calltreelevel.create").count() == 2

    level = first.json()["id"]
    patched = admin.patch(f"/api/v1/dr-call-tree-levels/{level}/", {"people": [p.pk for p in people]}, format="json")
    assert patched.status_code == 200 and len(patched.json()["contacts"]) == 2
    assert admin.delete(f"/api/v1/dr-call-tree-levels/{level}/").status_code == 204
    assert CallTreeLevel.objects.count() == 1


def test_a_level_stays_on_its_plan_and_needs_people(api_clients, admin_actor, plan, people):
    other = make_plan(admin_actor, name="Other plan")
    level = CallTreeLevel.objects.create(plan=plan)
    admin = api_clients["admin"]
    moved = admin.patch(f"/api/v1/dr-call-tree-levels/{level.pk}/", {"plan": other.pk}, format="json")
    assert moved.status_code == 400 and moved.json()["errors"][0]["attr"] == "plan"
    empty = admin.post("/api/v1/dr-call-tree-levels/", {"plan": plan.pk, "people": []}, format="json")
    assert empty.status_code == 201  # a level may be filled in later
    missing = admin.post("/api/v1/dr-call-tree-levels/", {"plan": plan.pk, "people": [999_999]}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["attr"] == "people"


def test_an_admin_adds_a_vendor_to_plans(api_clients, admin_actor, plan, people):
    other = make_plan(admin_actor, name="Other plan")
    support = Stakeholder.objects.create(name="Support", organisation="CloudCo", kind="vendor", phone="+14155550199")
    body = {
        "stakeholder": support.pk, "account_number": "AC-42", "sla": "1 h response, 24/7",
        "escalation_path": "Support\\nTAM\\nVP Eng", "plans": [plan.pk],
    }  # fmt: skip
    created = api_clients["admin"].post("/api/v1/dr-vendors/", body, format="json")
    assert created.status_code == 201, created.content
    vendor = Vendor.objects.get()
    assert list(plan.vendors.all()) == [vendor] and created.json()["contact"]["organisation"] == "CloudCo"

    api_clients["admin"].patch(f"/api/v1/dr-vendors/{vendor.pk}/", {"plans": [plan.pk, other.pk]}, format="json")
    assert list(other.vendors.all()) == [vendor]
    rows = api_clients["viewer"].get(f"/api/v1/dr-vendors/?plan={other.pk}").json()["results"]
    assert [r["sla"] for r in rows] == ["1 h response, 24/7"]
    assert api_clients["viewer"].get(f"/api/v1/dr-vendors/?plan={other.pk + 100}").json()["results"] == []
    # One vendor row per stakeholder: a second one is refused.
    again = api_clients["admin"].post("/api/v1/dr-vendors/", {"stakeholder": support.pk}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["attr"] == "stakeholder"


def test_responders_and_viewers_read_contacts_but_do_not_change_them(api_clients, plan, people):
    for role in ("responder", "viewer"):
        client = api_clients[role]
        assert client.get("/api/v1/dr-call-tree-levels/").status_code == 200
        assert client.get("/api/v1/dr-vendors/").status_code == 200
        response = client.post("/api/v1/dr-call-tree-levels/", {"plan": plan.pk, "people": []}, format="json")
        assert response.status_code == 403
        response = client.post("/api/v1/dr-vendors/", {"stakeholder": people[0].pk}, format="json")
        assert response.status_code == 403
    assert api_clients["anonymous"].get("/api/v1/dr-vendors/").status_code == 401
