"""Pages delivered by each person's rules; the Outbox, Failed and incident comms pages; the voice acknowledge."""

from datetime import timedelta

import pytest
from twilio.request_validator import RequestValidator

from comms import outbox
from comms.models import Contact, Fanout, Notification, NotificationRule, Stakeholder, StakeholderGroup, State
from incidents import paging
from incidents.models import Page, PublicStatus, Status
from incidents.services import do_acknowledge, do_post_update
from tests.conftest import assert_web_outcome


@pytest.fixture
def paged(responder, incident, fake_twilio, django_capture_on_commit_callbacks):
    """Page the responder (phone +14155552671): the comms receiver plans the rows."""
    Contact.objects.create(user=responder, phone="+14155552671")
    NotificationRule.objects.create(user=responder, medium="sms", delay_minutes=0)
    NotificationRule.objects.create(user=responder, medium="voice", delay_minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        return paging.page(responder, incident)


def test_a_page_follows_the_persons_rules(paged, fake_twilio):
    rows = Notification.objects.filter(page=paged)
    assert sorted(rows.values_list("medium", "destination")) == [("sms", "+14155552671"), ("voice", "+14155552671")]
    outbox.send_due("twilio_sms")
    outbox.send_due("twilio_voice")
    assert fake_twilio.sent_to() == ["+14155552671"], "the voice call waits five minutes"
    assert "Reply ACK" in fake_twilio.requests[0].form["Body"]
    paged.refresh_from_db()
    assert paged.status == Page.Status.SENT
    rows.filter(medium="voice").update(next_attempt_at=paged.created_at - timedelta(seconds=1))
    outbox.send_due("twilio_voice")
    call = fake_twilio.requests[-1]
    assert call.path.endswith("/Calls.json")
    assert "Press 1 to acknowledge." in call.form["Twiml"] and "/comms/hooks/twilio/voice-ack/" in call.form["Twiml"]


def test_an_acknowledged_page_cancels_the_later_rules(paged, fake_twilio, responder, incident):
    do_acknowledge(paging_actor(responder), incident)
    Notification.objects.filter(page=paged).update(next_attempt_at=paged.created_at)
    outbox.send_due("twilio_sms")
    outbox.send_due("twilio_voice")
    assert fake_twilio.requests == []
    assert set(Notification.objects.filter(page=paged).values_list("state", flat=True)) == {State.CANCELLED}


def paging_actor(user):
    from vigil.audit import Actor

    return Actor(user=user, via="web")


def _signed_post(client, settings, path, data):
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(settings.VIGIL_BASE_URL + path, data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)


def test_pressing_1_on_a_voice_page_acknowledges_it(client, settings, fake_twilio, paged, responder, incident):
    path = f"/comms/hooks/twilio/voice-ack/{paging.ack_token(paged)}/"
    forged = client.post(path, {"Digits": "1"}, HTTP_X_TWILIO_SIGNATURE="forged")
    assert forged.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED
    answer = _signed_post(client, settings, path, {"Digits": "1", "CallSid": "CA1"})
    assert answer.status_code == 200 and b"Acknowledged" in answer.content
    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_by) == (Status.ACKNOWLEDGED, responder)


def test_the_outbox_shows_what_the_sandbox_would_have_sent(web_clients, actor, incident, api_component, settings):
    settings.SENDGRID_API_KEY = ""
    Stakeholder.objects.create(name="Ada", email="ada@example.com").components.add(api_component)
    update = do_post_update(actor, incident, PublicStatus.IDENTIFIED, "A bad deploy; rolling back.")
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    outbox.send_due("sandbox")
    page = web_clients["responder"].get("/comms/outbox/?channel=sandbox").content.decode()
    assert "ada@example.com" in page and "A bad deploy; rolling back." in page
    # A viewer sees the row masked (vigil.privacy): the domain of the address, no text.
    masked = web_clients["viewer"].get("/comms/outbox/?channel=sandbox").content.decode()
    assert "•••@example.com" in masked and "ada@example.com" not in masked and "rolling back" not in masked
    assert 'data-testid="count-sent">1<' in page
    progress = web_clients["viewer"].get(f"/comms/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="sent">1<' in progress


def test_the_failed_view_retries_by_hand(web_clients, actor, incident, api_component, settings):
    settings.SENDGRID_API_KEY = ""
    Stakeholder.objects.create(name="Ada", email="ada@example.com").components.add(api_component)
    update = do_post_update(actor, incident, PublicStatus.IDENTIFIED, "Rolling back.")
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(state=State.FAILED, error="HTTP 400: bad")
    assert "HTTP 400: bad" in web_clients["responder"].get("/comms/outbox/?state=failed").content.decode()
    assert "HTTP 400: bad" not in web_clients["viewer"].get("/comms/outbox/?state=failed").content.decode()
    assert web_clients["viewer"].post("/comms/outbox/retry/", {"ids": [row.pk]}).status_code == 403
    assert web_clients["responder"].post("/comms/outbox/retry/", {"ids": [row.pk]}).status_code == 302
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == (State.QUEUED, 0, "")


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_who_may_see_the_outbox_and_choose_an_audience(web_clients, role, incident):
    client = web_clients[role]
    group = StakeholderGroup.objects.create(name="Leadership")
    assert_web_outcome(role, {"admin", "responder", "viewer"}, client.get("/comms/outbox/"))
    assert_web_outcome(role, {"admin", "responder", "viewer"}, client.get(f"/comms/incidents/{incident.pk}/"))
    chosen = client.post(f"/comms/incidents/{incident.pk}/", {"groups": [group.pk]})
    assert_web_outcome(role, {"admin", "responder"}, chosen)
    assert incident.__class__.objects.filter(audience__groups=group).exists() == (role in {"admin", "responder"})
    assert_web_outcome(role, {"admin", "responder"}, client.post("/comms/outbox/retry/", {"all_failed": "1"}))
