"""Stakeholders added and edited in the dashboard (issue #15: only CSV import or the Django admin could):
admins only, as the API; the API's validation (E.164 phones, known channels, groups, components); a
bad post stores nothing and says why beside each field; the list shows contact details as
vigil/privacy.py says (responders in full, viewers masked)."""

import pytest

from comms.models import Stakeholder, StakeholderGroup
from tests.conftest import assert_web_outcome
from vigil.models import AuditEntry

ROLES = ["admin", "responder", "viewer", "anonymous"]


@pytest.fixture
def enterprise(db):
    return StakeholderGroup.objects.create(name="Enterprise customers")


@pytest.fixture
def ada(enterprise):
    person = Stakeholder.objects.create(
        name="Ada Customer", organisation="Acme", email="ada@acme.example", phone="+14155552671"
    )
    person.groups.add(enterprise)
    return person


def good(enterprise, api_component, **changes) -> dict:
    data = {
        "name": "Grace Buyer", "organisation": "Globex", "kind": "customer", "email": "grace@globex.example",
        "phone": "+44 20 7946 0958", "channels": ["email", "sms"], "time_zone": "Europe/London",
        "groups": [enterprise.pk], "components": [api_component.pk],
    }  # fmt: skip
    return {**data, **changes}


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_open_and_post_the_add_form(role, web_clients, enterprise, api_component):
    assert_web_outcome(role, {"admin"}, web_clients[role].get("/comms/stakeholders/new/"))
    response = web_clients[role].post("/comms/stakeholders/new/", good(enterprise, api_component))
    assert_web_outcome(role, {"admin"}, response)
    assert Stakeholder.objects.filter(name="Grace Buyer").exists() == (role == "admin")


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_edit(role, web_clients, ada, enterprise, api_component):
    response = web_clients[role].post(f"/comms/stakeholders/{ada.pk}/edit/", good(enterprise, api_component))
    assert_web_outcome(role, {"admin"}, response)
    ada.refresh_from_db()
    assert (ada.name == "Grace Buyer") == (role == "admin")


def test_an_added_stakeholder_is_stored_as_the_api_stores_one(web_clients, enterprise, api_component):
    response = web_clients["admin"].post("/comms/stakeholders/new/", good(enterprise, api_component))
    assert response.status_code == 302 and response["Location"] == "/comms/"
    grace = Stakeholder.objects.get(name="Grace Buyer")
    assert grace.phone == "+442079460958"  # any usual writing, stored in E.164
    assert grace.channels == ["email", "sms"] and grace.time_zone == "Europe/London"
    assert list(grace.groups.all()) == [enterprise] and list(grace.components.all()) == [api_component]
    entry = AuditEntry.objects.get(action="comms.stakeholder.add")
    assert "grace@globex.example" not in str(entry.__dict__)  # the audit names fields, not contact details


def test_bad_values_are_refused_beside_their_fields_and_nothing_is_lost(web_clients, ada, enterprise, api_component):
    bad = good(enterprise, api_component, phone="12345", email="not-an-email", channels=["pigeon"], time_zone="Mars")
    response = web_clients["admin"].post(f"/comms/stakeholders/{ada.pk}/edit/", bad)
    assert response.status_code == 400
    html = response.content.decode()
    for field, words in [
        ("phone", "not a phone number"),
        ("email", "valid email address"),
        ("channels", "not one of the available choices"),
        ("time_zone", "not one of the available choices"),
    ]:
        block = html[html.index(f'data-field="{field}"') :]
        block = block[: block.index("data-field=", 12)]  # up to the next field
        assert words in block, field
    assert 'aria-invalid="true"' in html and "autofocus" in html
    ada.refresh_from_db()
    assert (ada.name, ada.email, ada.phone) == ("Ada Customer", "ada@acme.example", "+14155552671")


def test_the_list_shows_contact_details_to_responders_and_masks_them_for_viewers(web_clients, ada):
    responder_view = web_clients["responder"].get("/comms/").content.decode()
    viewer_view = web_clients["viewer"].get("/comms/").content.decode()
    assert "ada@acme.example" in responder_view and "+14155552671" in responder_view
    assert "ada@acme.example" not in viewer_view and "+14155552671" not in viewer_view
    assert "@acme.example" in viewer_view  # masked, not missing
    for html in (responder_view, viewer_view):
        assert "/comms/stakeholders/new/" not in html and f"/comms/stakeholders/{ada.pk}/edit/" not in html
    admin_view = web_clients["admin"].get("/comms/").content.decode()
    assert "/comms/stakeholders/new/" in admin_view and f"/comms/stakeholders/{ada.pk}/edit/" in admin_view
