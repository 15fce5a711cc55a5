"""Only what is public: private strings planted everywhere never reach a page, the JSON, a feed or the export."""

import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from comms.models import IncidentAudience, Stakeholder, StakeholderGroup, Subscriber
from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots
from incidents.models import Component, PublicStatus
from incidents.services import do_add_note, do_assign_role, do_declare, do_post_update, do_set_war_room
from monitoring.models import Monitor
from postmortems.models import PostMortem, PostMortemTimelineEntry
from tests.conftest import make_user
from vigil.audit import Actor
from vigil.roles import Role

SECRETS = [
    "PRIVNOTE-internal-note",
    "privresponder-rita",
    "PRIVFIRST",
    "PRIVLAST",
    "privauthor-bob",
    "PRIVSUMMARY-root-cause-guess",
    "PRIVDEDUP-key",
    "PRIVBRIDGE",
    "priv.stakeholder@privcorp.example",
    "+14155550199",
    "PRIVSTAKEHOLDER-name",
    "PRIVGROUP-board",
    "PRIVCOMPONENT-billing-db",
    "PRIVCOMPDESC",
    "PRIVINCIDENT-title",
    "PRIVMONITOR-name",
    "privhost.internal",
    "priv.subscriber@privcorp.example",
    "+14155550142",
    "privhook.example",
    "PRIVTIMELINE-internal-entry",
    "PRIVROOTCAUSE-full-disk",
    "PRIVPMSUMMARY-internal-summary",
]


@pytest.fixture
def planted(roles, api):
    responder = make_user("privresponder-rita", Role.RESPONDER)
    responder.first_name, responder.last_name, responder.email = "PRIVFIRST", "PRIVLAST", "rita@privcorp.example"
    responder.save()
    author = make_user("privauthor-bob", Role.RESPONDER)
    actor = Actor(user=author, via="web")
    private = Component.objects.create(name="PRIVCOMPONENT-billing-db", public=False, description="PRIVCOMPDESC")
    Monitor.objects.create(name="PRIVMONITOR-name", target="https://privhost.internal/health", component=api)
    Monitor.objects.create(name="PRIVMONITOR-name 2", target="https://privhost.internal/db", component=private)

    incident, _ = do_declare(
        actor,
        title="Checkout errors",
        summary="PRIVSUMMARY-root-cause-guess",
        dedup_key="PRIVDEDUP-key",
        components={api: "partial_outage", private: "major_outage"},
        commander=responder,
    )
    do_set_war_room(actor, incident, "https://meet.example/PRIVBRIDGE", "https://chat.example/PRIVBRIDGE")
    do_assign_role(actor, incident, "comms_lead", responder)
    do_add_note(actor, incident, "PRIVNOTE-internal-note: the primary ran out of disk")
    do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Some payments fail; we are on it.")
    group = StakeholderGroup.objects.create(name="PRIVGROUP-board")
    person = Stakeholder.objects.create(
        name="PRIVSTAKEHOLDER-name", email="priv.stakeholder@privcorp.example", phone="+14155550199"
    )
    person.groups.add(group)
    person.components.add(api)
    IncidentAudience.objects.create(incident=incident).groups.add(group)
    for kind, address in [
        ("email", "priv.subscriber@privcorp.example"),
        ("sms", "+14155550142"),
        ("webhook", "https://privhook.example/status"),
    ]:
        Subscriber.objects.create(kind=kind, address=address, confirmed_at=timezone.now()).components.add(api)
    postmortem = PostMortem.objects.create(
        incident=incident, title="Checkout outage", status=PostMortem.Status.PUBLISHED, published_at=timezone.now(),
        public_summary="Payments failed for twenty minutes; fixed.", summary="PRIVPMSUMMARY-internal-summary",
        root_cause="PRIVROOTCAUSE-full-disk", author=responder,
    )  # fmt: skip
    PostMortemTimelineEntry.objects.create(
        postmortem=postmortem, at=incident.started_at, text="Payments failed.", public=True
    )
    PostMortemTimelineEntry.objects.create(
        postmortem=postmortem, at=incident.started_at, text="PRIVTIMELINE-internal-entry: paged privresponder-rita"
    )
    do_declare(actor, title="PRIVINCIDENT-title", components={api: "degraded_performance"})  # never made public
    soon = timezone.now() + timedelta(hours=3)
    maintenance_services.do_schedule_maintenance(
        actor, title="Payments maintenance", message="Payments pause for a minute.", components=[api, private],
        starts_at=soon, ends_at=soon + timedelta(hours=1),
    )  # fmt: skip
    return incident


def leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace").lower()
    return [secret for secret in SECRETS if secret.lower() in text]


def test_the_planted_strings_are_really_there_for_responders(planted, web_clients):
    inside = web_clients["responder"].get(f"/incidents/{planted.pk}/").content.decode()
    for secret in ("PRIVNOTE-internal-note", "privresponder-rita", "PRIVSUMMARY-root-cause-guess", "PRIVBRIDGE"):
        assert secret in inside


def test_no_public_response_holds_a_private_string(planted, public_client, tmp_path):
    snapshot = snapshots.rebuild()
    page = snapshot.documents["index.html"].body.decode()
    assert "Checkout errors" in page and "Payments maintenance" in page  # the public parts are there
    incident_page = snapshot.documents[f"incidents/{planted.pk}/index.html"].body.decode()
    assert "Payments failed for twenty minutes; fixed." in incident_page and "Payments failed." in incident_page
    for path in snapshot.documents:
        url = "/" + path if path.startswith("api/") else "/status/" + path.removesuffix("index.html")
        for encoding in ("", "gzip"):
            response = public_client.get(url, HTTP_ACCEPT_ENCODING=encoding)
            body = gzip.decompress(response.content) if response.get("Content-Encoding") == "gzip" else response.content
            assert response.status_code == 200
            assert leaks(body) == [], (url, leaks(body))
    for url in (
        "/status/no-such-page/",
        f"/status/incidents/{planted.pk + 1}/",
        "/api/v2/nothing.json",
        "/status/subscribe/",  # the form's own page: public components only, no subscriber
    ):
        assert leaks(public_client.get(url).content) == [], url
    # What the snapshot store holds (the file; Redis holds the same bytes) has none either.
    raw = snapshots.snapshot_path().read_bytes()
    assert leaks(raw) == []
    for doc in snapshot.documents.values():
        if doc.gzipped:
            assert leaks(gzip.decompress(doc.gzipped)) == []


def test_the_export_holds_no_private_string(planted, tmp_path):
    call_command("export_status_page", str(tmp_path / "site"))
    files = [p for p in Path(tmp_path / "site").rglob("*") if p.is_file()]
    assert len(files) > 20
    for file in files:
        body = file.read_bytes()
        if file.suffix == ".gz":
            body = gzip.decompress(body)
        assert leaks(body) == [], (file, leaks(body))


def test_the_private_component_is_in_no_incident_or_maintenance_either(planted, public_client):
    snapshots.rebuild()
    summary = public_client.get("/api/v2/summary.json").json()
    incident = summary["incidents"][0]
    assert [c["name"] for c in incident["components"]] == ["Public API"]
    assert [c["name"] for c in summary["scheduled_maintenances"][0]["components"]] == ["Public API"]
    assert all(a["name"] == "Public API" for u in incident["incident_updates"] for a in u["affected_components"])
