"""The incident actions beyond declare/acknowledge/resolve, in services, dashboard and API alike."""

import pytest
from django.core import signing

from incidents import paging, services
from incidents.models import Component, ComponentStatus, Incident, IncidentEvent, IncidentUpdate, Status
from tests.conftest import tampered
from vigil.audit import Actor


@pytest.fixture
def actor(responder):
    return Actor(user=responder, via="web")


@pytest.fixture
def api(db):
    return Component.objects.create(name="API")


@pytest.fixture
def web(db):
    return Component.objects.create(name="Website")


def test_affected_components_take_the_worst_status_of_their_open_incidents(actor, api, web):
    first, _ = services.do_declare(actor, title="API errors", components={api: ComponentStatus.PARTIAL_OUTAGE})
    second, _ = services.do_declare(
        actor, title="API down", components={api: ComponentStatus.MAJOR_OUTAGE, web: "degraded_performance"}
    )
    api.refresh_from_db()
    web.refresh_from_db()
    assert (api.status, web.status) == ("major_outage", "degraded_performance")
    services.do_resolve(actor, second)
    api.refresh_from_db()
    web.refresh_from_db()
    assert (api.status, web.status) == ("partial_outage", "operational")
    services.do_set_components(actor, first, {})
    api.refresh_from_db()
    assert api.status == "operational"
    assert first.events.filter(kind=IncidentEvent.Kind.COMPONENTS).exists()


def test_a_public_update_moves_the_incident_and_is_kept_for_customers(actor, api):
    incident, _ = services.do_declare(actor, title="Slow", components=[api])
    update = services.do_post_update(actor, incident, "identified", "Found a bad deploy; rolling back.")
    incident.refresh_from_db()
    assert incident.status == Status.IDENTIFIED and incident.identified_at
    assert update.affected_components == [{"code": str(api.pk), "name": "API", "new_status": "partial_outage"}]
    services.do_post_update(actor, incident, "resolved", "All good.")
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert list(IncidentUpdate.objects.values_list("status", flat=True)) == ["resolved", "identified"]
    assert incident.events.filter(kind=IncidentEvent.Kind.UPDATE, public=True).count() == 2


def test_private_components_stay_out_of_public_updates(actor, api):
    secret = Component.objects.create(name="Internal billing DB", public=False)
    incident, _ = services.do_declare(actor, title="x", components=[api, secret])
    update = services.do_post_update(actor, incident, "investigating", "Looking.")
    assert [c["name"] for c in update.affected_components] == ["API"]


def test_an_empty_update_or_unknown_status_is_refused(actor):
    incident, _ = services.do_declare(actor, title="x")
    with pytest.raises(services.ActionError):
        services.do_post_update(actor, incident, "investigating", "  ")
    with pytest.raises(services.ActionError):
        services.do_post_update(actor, incident, "panicking", "hi")
    assert not IncidentUpdate.objects.exists()


def test_severity_roles_and_war_room_are_recorded(actor, viewer, settings):
    # A bridge only when configured (issue #15: no public room by default); {id} and {slug} still work.
    settings.VIGIL_BRIDGE_URL_TEMPLATE = "https://meet.jit.si/vigil-incident-{id}-{slug}"
    incident, _ = services.do_declare(actor, title="Checkout down", severity="sev3")
    services.do_change_severity(actor, incident, "sev1")
    services.do_assign_role(actor, incident, "commander", viewer)
    incident.refresh_from_db()
    assert incident.severity == "sev1" and incident.commander == viewer
    assert incident.bridge_url == f"https://meet.jit.si/vigil-incident-{incident.pk}-checkout-down"
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["declared", "severity", "role"]
    with pytest.raises(services.ActionError):
        services.do_assign_role(actor, incident, "janitor", viewer)


def test_merging_folds_a_duplicate_into_the_main_incident(actor, api):
    main, _ = services.do_declare(actor, title="Outage")
    duplicate, _ = services.do_declare(actor, title="Outage again", components=[api])
    services.do_merge(actor, duplicate, main)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.RESOLVED and duplicate.merged_into == main
    assert main.affected.filter(component=api).exists()
    with pytest.raises(services.ActionError):
        services.do_merge(actor, main, main)


def test_reopen_only_a_resolved_incident(actor):
    incident, _ = services.do_declare(actor, title="x")
    with pytest.raises(services.ActionError):
        services.do_reopen(actor, incident)
    services.do_resolve(actor, incident)
    incident = services.do_reopen(actor, incident)
    assert incident.status == Status.INVESTIGATING and incident.resolved_at is None


def test_the_signed_link_acknowledges_as_the_paged_person_without_login(client, actor, responder):
    # Changed with issue #14: the link names a page (not an incident and a user), and its person must still
    # hold a role that may acknowledge; this test paged a viewer before, which the link now refuses.
    incident, _ = services.do_declare(actor, title="Paged")
    url = paging.ack_url(paging.page(responder, incident)).removeprefix("http://127.0.0.1:8000")
    page = client.get(url)
    assert page.status_code == 200 and "Acknowledge incident" in page.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED  # a GET (a link preview) changes nothing
    done = client.post(url)
    assert "Paging has stopped" in done.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED and incident.acknowledged_by == responder
    assert incident.events.get(kind="acknowledged").actor == responder


def test_a_tampered_or_expired_link_acknowledges_nothing(client, actor, responder, settings):
    incident, _ = services.do_declare(actor, title="Paged")
    page = paging.page(responder, incident)
    token = paging.ack_token(page)
    assert client.post(f"/incidents/ack/{tampered(token)}/").status_code == 404  # never equal to TOKEN
    forged = signing.dumps({"p": page.pk}, salt="not-the-ack-salt", compress=True)
    assert client.post(f"/incidents/ack/{forged}/").status_code == 404
    # A link of the old kind (an incident and a user, stored in bodies every role could read) works no more.
    old = signing.dumps({"i": incident.pk, "u": responder.pk}, salt=paging.ACK_SALT, compress=True)
    assert client.post(f"/incidents/ack/{old}/").status_code == 404
    settings.VIGIL_ACK_LINK_MAX_AGE = -1
    assert client.post(f"/incidents/ack/{token}/").status_code == 410
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED


def test_the_api_runs_the_same_actions(api_clients, api):
    client = api_clients["responder"]
    incident = client.post("/api/v1/incidents/", {"title": "From the API", "severity": "sev2"}, format="json").json()
    base = f"/api/v1/incidents/{incident['id']}"
    assert client.post(f"{base}/severity/", {"severity": "sev1"}, format="json").json()["severity"] == "sev1"
    body = client.post(
        f"{base}/components/", {"components": [{"component": api.pk, "status": "major_outage"}]}, format="json"
    )
    assert body.json()["components"] == [{"component": api.pk, "status": "major_outage"}]
    bad = client.post(f"{base}/components/", {"components": [{"component": 999999}]}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "components"
    update = client.post(f"{base}/updates/", {"status": "monitoring", "message": "Fix deployed."}, format="json")
    assert update.status_code == 201
    assert client.get(f"{base}/").json()["status"] == "monitoring"
    assert (
        client.post(f"{base}/roles/", {"role": "commander", "user": "rita-responder"}, format="json").json()[
            "commander"
        ]
        == "rita-responder"
    )
    refused = client.post(f"{base}/status/", {"status": "resolved"}, format="json")
    assert refused.status_code == 400 and "resolve" in refused.json()["errors"][0]["detail"]


def test_the_incident_list_costs_the_same_queries_for_many_incidents(
    web_clients, api_clients, actor, api, django_assert_max_num_queries
):
    for n in range(3):
        services.do_declare(actor, title=f"Incident {n}", components=[api])
    with django_assert_max_num_queries(12) as few:
        web_clients["viewer"].get("/incidents/")
    for n in range(40):
        services.do_declare(actor, title=f"More {n}", components=[api])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert web_clients["viewer"].get("/incidents/").status_code == 200
    with django_assert_max_num_queries(12) as api_few:
        api_clients["viewer"].get("/api/v1/incidents/")
    services.do_declare(actor, title="One more", components=[api])
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        api_clients["viewer"].get("/api/v1/incidents/")


def test_the_incident_list_refreshes_from_a_rows_only_partial(web_clients, actor):
    services.do_declare(actor, title="Partial row")
    body = web_clients["viewer"].get("/incidents/?partial=1").content.decode()
    assert "Partial row" in body and "<html" not in body


def test_the_web_form_errors_keep_the_page(web_clients, actor):
    # Changed with issue #15 (post/redirect/get): a refused post is sent back to the incident's own URL,
    # whose page shows the error beside its field; it used to answer 400 at the action URL, which a
    # reload posted again.
    incident, _ = services.do_declare(actor, title="x")
    response = web_clients["responder"].post(
        f"/incidents/{incident.pk}/updates/", {"status": "investigating", "message": ""}
    )
    assert response.status_code == 302 and response["Location"].startswith(f"/incidents/{incident.pk}/#")
    assert "This field is required" in web_clients["responder"].get(response["Location"]).content.decode()
    assert Incident.objects.get(pk=incident.pk).updates.count() == 0
