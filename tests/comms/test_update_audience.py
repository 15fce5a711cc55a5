"""Who a public update reaches, said before posting (issue #15, item 7): the Update composer's Notify line
counts exactly the outbox rows posting then writes, by medium, says plainly when nobody hears it, and
shows what is sent."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms import audience, outbox
from comms.models import Endpoint, Fanout, IncidentAudience, Notification, Stakeholder, StakeholderGroup, Subscriber
from incidents.models import Component, PublicStatus
from incidents.services import do_post_update
from tests.conftest import assert_web_outcome


def stakeholder(name, *, components=(), groups=(), **fields):
    person = Stakeholder.objects.create(name=name, **fields)
    person.components.set(components)
    person.groups.set(groups)
    return person


def subscriber(kind, address, *, components=(), confirmed=True):
    sub = Subscriber.objects.create(kind=kind, address=address, confirmed_at=timezone.now() if confirmed else None)
    sub.components.set(components)
    return sub


@pytest.fixture
def web(db):
    return Component.objects.create(name="Website")


@pytest.fixture
def crowd(incident, api_component, web):
    """Stakeholders, subscribers and endpoints, each kind of them in and out of the incident's audience."""
    api, group = api_component, StakeholderGroup.objects.create(name="Enterprise")
    IncidentAudience.objects.create(incident=incident).groups.add(group)
    email_sms = {"channels": ["email", "sms"]}
    stakeholder("Ada", email="ada@example.com", phone="+14155550101", components=[api], **email_sms)
    stakeholder("Bob", email="bob@example.com", phone="+14155550102", components=[api], opted_out=["sms"], **email_sms)
    stakeholder("Cy", phone="+14155550103", channels=["sms", "voice"], components=[api])
    stakeholder("Dee", phone="+14155550104", channels=["email"], components=[api])  # no email: reached by nothing
    stakeholder("Eve", email="eve@example.com", groups=[group])  # the group, every component
    stakeholder("Fay", email="fay@example.com", phone="+14155550106", groups=[group], components=[web], **email_sms)
    stakeholder("Gus", email="gus@example.com")  # neither
    stakeholder("Hal", email="hal@example.com", components=[api, web], groups=[group])  # matched twice, heard once
    subscriber("email", "s1@example.com")
    subscriber("email", "s2@example.com", components=[api])
    subscriber("email", "s3@example.com", confirmed=False)
    subscriber("sms", "+14155550204", components=[web])
    subscriber("sms", "+14155550205")
    subscriber("email", "ada@example.com")  # Ada hears it as a stakeholder already
    subscriber("sms", "+14155550102")  # Bob's number, which he opted out of as a stakeholder: heard here
    subscriber("webhook", "https://hooks.example/status")
    Endpoint.objects.create(name="Ops", kind="slack", url="https://hooks.slack.com/services/T0/B0/X")
    Endpoint.objects.create(name="Off", kind="webhook", url="https://hooks.example/off", enabled=False)


def rows_after_posting(actor, incident, django_capture_on_commit_callbacks, **fields) -> Counter:
    """Post an update and plan its fan-out as the worker does; the rows written, by medium."""
    with django_capture_on_commit_callbacks(execute=False):
        update = do_post_update(actor, incident, PublicStatus.IDENTIFIED, "Found it.", **fields)
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    return Counter(Notification.objects.filter(update=update).values_list("medium", flat=True))


def test_the_count_before_posting_is_the_rows_written_after(actor, incident, crowd, django_capture_on_commit_callbacks):
    before = audience.count(incident)
    assert (before.stakeholders, before.subscribers, before.endpoints) == (5, 5, 1)
    rows = rows_after_posting(actor, incident, django_capture_on_commit_callbacks)
    # Email: Ada, Bob, Eve, Hal and two subscribers (Ada's own subscription is skipped); SMS: Ada, Cy, and the
    # subscribers to every component, one of them on the number Bob opted out of as a stakeholder.
    assert rows == {"email": 6, "sms": 4, "voice": 1, "webhook": 1, "slack": 1}
    assert dict(before.by_medium) == dict(rows)


def test_the_count_follows_the_components_the_update_would_leave(
    actor, incident, crowd, web, api_component, django_capture_on_commit_callbacks
):
    both = {api_component.pk: "partial_outage", web.pk: "major_outage"}
    before = audience.count(incident, list(both))
    rows = rows_after_posting(
        actor,
        incident,
        django_capture_on_commit_callbacks,
        components={api_component: "partial_outage", web: "major_outage"},
    )
    assert dict(before.by_medium) == dict(rows) and rows["sms"] == 6  # Fay and the Website subscriber too


def test_counting_costs_the_same_queries_for_ten_or_three_hundred_people(incident, api_component):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            audience.count(incident)
        return len(captured)

    people = Stakeholder.objects.bulk_create(Stakeholder(name=f"P{i}", email=f"p{i}@example.com") for i in range(10))
    api_component.interested_stakeholders.add(*people)
    few = queries()
    more = Stakeholder.objects.bulk_create(Stakeholder(name=f"Q{i}", email=f"q{i}@example.com") for i in range(300))
    api_component.interested_stakeholders.add(*more)
    Subscriber.objects.bulk_create(
        Subscriber(kind="email", address=f"s{i}@example.com", confirmed_at=timezone.now()) for i in range(300)
    )
    assert queries() == few
    assert audience.count(incident).by_medium == {"email": 610}


def test_the_composer_says_the_count_by_channel_and_shows_what_is_sent(web_clients, incident, crowd):
    client = web_clients["responder"]
    page = client.get(incident.get_absolute_url()).content.decode()
    counts = (
        "5 stakeholders, 5 subscribers and 1 endpoint: 6 emails, 1 Slack message, 4 SMS, 1 voice call, 1 webhook post."
    )
    expected = f"Notify {counts}"
    assert expected in page
    preview = client.post(
        f"/incidents/{incident.pk}/updates/preview/",
        {"status": "identified", "message": "A bad deploy; rolling back.", "with_components": "True",
         f"c{incident.components.get().pk}": "major_outage"},
    ).content.decode()  # fmt: skip
    assert expected in preview
    assert '<pre class="text">[Identified] API errors</pre>' in preview  # the email subject
    assert preview.count("A bad deploy; rolling back.") >= 2  # the email body and the SMS
    assert 'data-testid="preview-sms"' in preview and 'data-testid="preview-email"' in preview


def test_nobody_to_notify_is_said_before_and_after_posting(web_clients, incident):
    client = web_clients["responder"]
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'class="msg error" data-testid="notify"' in page and "Nobody will be notified" in page
    response = client.post(
        f"/incidents/{incident.pk}/updates/", {"status": "investigating", "message": "Looking."}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    assert (
        "Update posted. Nobody was notified: no stakeholder, subscriber or endpoint hears about this incident." in said
    )
    assert incident.updates.count() == 1  # allowed, and said


def test_after_posting_it_says_how_many_are_notified(web_clients, incident, crowd):
    response = web_clients["responder"].post(
        f"/incidents/{incident.pk}/updates/", {"status": "investigating", "message": "Looking."}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    assert (
        "Update posted. Notifying 5 stakeholders, 5 subscribers and 1 endpoint: "
        "6 emails, 1 Slack message, 4 SMS, 1 voice call, 1 webhook post." in said
    )


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_the_preview_asks_who_is_asking(web_clients, incident, role):
    response = web_clients[role].post(f"/incidents/{incident.pk}/updates/preview/", {"message": "x"})
    assert_web_outcome(role, {"admin", "responder", "viewer"}, response)
    assert incident.updates.count() == 0  # a preview posts nothing
