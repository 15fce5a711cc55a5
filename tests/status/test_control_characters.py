"""Control characters (a terminal's colour codes in an alert summary) are dropped where text comes in,
and a status page document that still cannot be rendered keeps its last version without stopping the others."""

import json
from xml.etree import ElementTree

from django.test import Client

from comms.status import snapshot as snapshots
from incidents.integrations.parsers import parse_generic
from incidents.models import Incident, IncidentUpdate, PublicStatus
from incidents.services import do_declare, do_post_update
from reputation.services import do_add_mention
from tests.integrations.conftest import make_integration, payload, post  # noqa: F401 (a fixture)

ANSI_SUMMARY = "\x1b[31mDisk full\x1b[0m on db-1\x07"


def test_an_ansi_coloured_alert_summary_opens_a_clean_incident_and_the_feeds_still_build(
    make_integration,  # noqa: F811 (the fixture imported above)
    api_clients,
    public_client,
):
    alertmanager = make_integration("alertmanager", name="Prometheus")
    body = payload("alertmanager", "firing")
    body["alerts"] = body["alerts"][:1]
    body["alerts"][0]["annotations"]["summary"] = ANSI_SUMMARY
    body["alerts"][0]["annotations"]["description"] = "Line one\x1b[0m\r\nline\x00 two"
    assert post(alertmanager, body).status_code == 200
    incident = Incident.objects.get()
    assert incident.title == "Disk full on db-1"
    assert incident.summary == "Line one\nline two"  # newlines kept, controls gone

    update = {"status": "investigating", "message": "We are \x1b[1mon it\x1b[0m.\nMore soon\x0b."}
    response = api_clients["responder"].post(f"/api/v1/incidents/{incident.pk}/updates/", update, format="json")
    assert response.status_code < 300, response.content
    assert IncidentUpdate.objects.get().message == "We are on it.\nMore soon."

    snapshot = snapshots.rebuild()  # on the old code: UnserializableContentError from the feed writer
    for feed in ("feed.atom", "feed.rss"):
        body = snapshot.documents[feed].body
        ElementTree.fromstring(body)  # noqa: S314 (Vigil's own feed): well-formed XML
        assert b"Disk full on db-1" in body
    summary = json.loads(snapshot.documents["api/v2/summary.json"].body)
    assert summary["incidents"][0]["name"] == "Disk full on db-1"
    assert public_client.get("/status/feed.atom").status_code == 200


def test_the_form_and_the_api_drop_control_characters_and_refuse_a_title_made_only_of_them(web_clients, api_clients):
    response = api_clients["responder"].post(
        "/api/v1/incidents/", {"title": "\x1b[1mLogin\x00 down\x07", "summary": "a\tb\r\nc\x1b[0m"}, format="json"
    )
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert (incident.title, incident.summary) == ("Login down", "a\tb\nc")

    refused = api_clients["responder"].post("/api/v1/incidents/", {"title": "\x1b[31m\x07"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["attr"] == "title"

    web_clients["responder"].post("/incidents/declare/", {"title": "Checkout\x1b[0m\nslow", "severity": "sev3"})
    assert Incident.objects.filter(title="Checkout slow").exists()
    assert Incident.objects.count() == 2


def test_the_actions_clean_what_any_other_door_passes_them(actor):
    incident, _ = do_declare(actor, title="Paged\x1b[5m by\rcron", summary="x\x00y")
    assert (incident.title, incident.summary) == ("Paged by cron", "xy")
    assert do_post_update(actor, incident, PublicStatus.INVESTIGATING, "ok\x1b]0;pwned\x07!").message == "ok!"
    alert = parse_generic({"title": "\x1b[1mQueue\x1b[0m stuck", "dedup_key": "q\x00", "description": "a\r\nb"})[0]
    assert (alert.title, alert.group_key, alert.description) == ("Queue stuck", "q", "a\nb")
    mention = do_add_mention(actor, text="Is it \x1b[31mdown\x1b[0m?\x00", author="bob\x07")
    assert (mention.text, mention.author) == ("Is it down?", "bob")


def _plant_a_control_character(incident) -> None:
    """As data stored before control characters were dropped would be (or a raw UPDATE): no action cleans it."""
    Incident.objects.filter(pk=incident.pk).update(title="Elevated API errors \x1b[31m(red)")


def test_a_document_that_cannot_be_rendered_keeps_its_last_version_and_the_others_are_new(outage, caplog):
    before = snapshots.rebuild()
    _plant_a_control_character(outage)
    after = snapshots.rebuild()  # on the old code this raised, and the page froze on BEFORE
    assert after.version != before.version
    # The feeds cannot hold the character: each keeps its last version, and the failure is logged.
    assert after.documents["feed.atom"] == before.documents["feed.atom"]
    assert after.documents["feed.rss"] == before.documents["feed.rss"]
    assert "feed.atom could not be rendered" in caplog.text
    # Every other document is new.
    assert "(red)" in after.documents["index.html"].body.decode()
    assert "(red)" in json.loads(after.documents["api/v2/summary.json"].body)["incidents"][0]["name"]
    assert snapshots.Snapshot.unpack(snapshots.snapshot_path().read_bytes()).version == after.version


def test_a_process_with_no_snapshot_still_serves_the_page_when_a_feed_cannot_be_rendered(outage):
    _plant_a_control_character(outage)
    client = Client()
    page = client.get("/status/")
    assert page.status_code == 200  # the old code answered 503: the first build failed as a whole
    assert "(red)" in page.content.decode()
    assert client.get("/api/v2/summary.json").status_code == 200
    assert client.get("/status/feed.atom").status_code == 404  # no version to keep yet: not served
