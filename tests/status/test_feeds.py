"""Atom and RSS feeds of the public incidents and maintenance, served from the snapshot."""

import xml.etree.ElementTree as ET
from datetime import timedelta

from django.utils import timezone

from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(body: bytes):
    return ET.fromstring(body)  # noqa: S314 (Vigil's own feed, not untrusted XML)


def test_the_atom_feed_has_each_incident_and_maintenance_with_its_updates(
    actor, outage, past_incident, api, public_client, django_assert_num_queries
):
    soon = timezone.now() + timedelta(days=1)
    maintenance_services.do_schedule_maintenance(
        actor, title="Network upgrade", message="Brief packet loss.", components=[api], starts_at=soon,
        ends_at=soon + timedelta(hours=1),
    )  # fmt: skip
    snapshots.rebuild()
    with django_assert_num_queries(0):
        response = public_client.get("/status/feed.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response.content)
    assert feed.find(f"{ATOM}title").text == "Status: incident history"
    entries = {e.find(f"{ATOM}title").text: e for e in feed.findall(f"{ATOM}entry")}
    assert set(entries) == {
        "Elevated API errors (Identified)",
        "Slow website (Resolved)",
        "Maintenance: Network upgrade (Scheduled)",
    }
    outage_entry = entries["Elevated API errors (Identified)"]
    link = outage_entry.find(f"{ATOM}link").get("href")
    assert link == f"http://127.0.0.1:8000/status/incidents/{outage.pk}/"
    summary = outage_entry.find(f"{ATOM}summary").text
    assert summary.index("A bad deploy") < summary.index("We are looking")
    assert "Affects: Public API." in summary
    updated = outage_entry.find(f"{ATOM}updated").text
    assert updated.endswith("Z") or updated.endswith("+00:00")


def test_the_rss_feed_has_the_same_items(outage, past_incident, public_client):
    snapshots.rebuild()
    response = public_client.get("/status/feed.rss")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = parse(response.content).find("channel")
    titles = [item.find("title").text for item in channel.findall("item")]
    assert titles == ["Elevated API errors (Identified)", "Slow website (Resolved)"]
    assert channel.find("item/link").text == f"http://127.0.0.1:8000/status/incidents/{outage.pk}/"
    assert channel.find("item/pubDate").text


def test_the_feed_links_follow_the_configured_public_address(outage, settings, public_client):
    settings.VIGIL_STATUS_URL = "https://status.acme.example"
    snapshots.rebuild()
    channel = parse(public_client.get("/status/feed.rss").content).find("channel")
    assert channel.find("link").text == "https://status.acme.example/"
    assert channel.find("item/link").text == f"https://status.acme.example/incidents/{outage.pk}/"


def test_the_page_announces_its_feeds(outage):
    page = snapshots.rebuild().documents["index.html"].body.decode()
    assert 'type="application/atom+xml"' in page and 'href="feed.atom"' in page
    assert 'type="application/rss+xml"' in page and 'href="feed.rss"' in page
