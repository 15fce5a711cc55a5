"""Change events sent to /v2/change/enqueue show on the incident page as *Recent changes*."""

from datetime import timedelta

import pytest
from django.test import Client

from incidents.integrations.changes import RECENT_LIMIT, recent_changes, relative_to
from incidents.models import ChangeEvent, Component, Incident, Integration

from .test_pagerduty import send, trigger


@pytest.fixture
def checkout():
    return Component.objects.create(name="Checkout")


@pytest.fixture
def deploys(make_integration, checkout):
    integration = make_integration(Integration.Kind.PAGERDUTY, name="CI deploys")
    integration.components.set([checkout])
    return integration


@pytest.fixture
def incident(deploys):
    """An incident on Checkout, opened by an alert of the same integration."""
    assert send(trigger(deploys.token)).status_code == 202
    return Incident.objects.get()


def change(integration, summary, before: timedelta, incident) -> ChangeEvent:
    return ChangeEvent.objects.create(
        integration=integration, summary=summary, source="ci", timestamp=incident.started_at - before
    )


def test_the_incident_page_shows_recent_changes_of_its_components(
    deploys, incident, make_integration, web_clients, checkout
):
    other = make_integration(Integration.Kind.PAGERDUTY, name="Unrelated")
    change(deploys, "Deployed checkout v42", timedelta(minutes=30), incident)
    change(deploys, "Flag flipped", timedelta(minutes=1), incident)
    change(deploys, "Too old to matter", timedelta(hours=3), incident)
    change(other, "Deployed search v7", timedelta(minutes=5), incident)

    page = web_clients["viewer"].get(incident.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Recent changes" in html
    assert "Deployed checkout v42" in html and "30 minutes before" in html
    assert "1 minute before" in html
    assert html.index("Flag flipped") < html.index("Deployed checkout v42")  # newest first
    assert "Too old to matter" not in html and "Deployed search v7" not in html


def test_a_change_event_posted_by_a_sender_shows_on_the_page(deploys, incident, web_clients):
    body = {"routing_key": deploys.token, "payload": {"summary": "Rolled back checkout", "source": "argo"}}
    assert send(body, "/v2/change/enqueue").status_code == 202
    html = web_clients["responder"].get(incident.get_absolute_url()).content.decode()
    assert "Rolled back checkout" in html and "as it started" in html  # within a minute of it


def test_no_panel_without_changes(incident, web_clients):
    assert "Recent changes" not in web_clients["admin"].get(incident.get_absolute_url()).content.decode()


def test_recent_changes_is_one_query_and_keeps_the_last_ten(deploys, incident, django_assert_num_queries):
    for minute in range(RECENT_LIMIT + 5):
        change(deploys, f"Change {minute}", timedelta(minutes=minute + 1), incident)
    with django_assert_num_queries(1):
        changes = recent_changes(incident)
        assert [c.event.summary for c in changes] == [f"Change {m}" for m in range(RECENT_LIMIT)]
        assert changes[0].when == "1 minute before"
    assert relative_to(incident, incident.started_at + timedelta(minutes=12)) == "12 minutes after the start"


def test_anonymous_visitors_do_not_get_the_page(incident):
    assert Client().get(incident.get_absolute_url()).status_code in (302, 403)
