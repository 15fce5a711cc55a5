"""A voice page nobody answered goes once through the next voice provider; an answered one never does.

Twilio's status callback (CallStatus) and Vonage's call events (the event_url each call names) are posted
as the providers post them, to the real endpoints; the calls go through the official clients to the fakes.
"""

import hashlib
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest

from comms import outbox
from comms.channels import channel_for
from comms.channels.vonage_voice import event_row
from comms.models import DeliveryAttempt, Notification, Outcome, State
from incidents import paging
from incidents.services import do_acknowledge

from . import test_vonage_voice
from .test_twilio_status import form, status_path
from .test_vonage_voice import RITA

# test_vonage_voice's fixtures: its fake Voice API (TLS, JWT-checked), Rita paged by voice, breakers closed.
fake_vonage = test_vonage_voice.fake_vonage
page = test_vonage_voice.page
providers_up = test_vonage_voice.providers_up

EVENTS = json.loads((Path(__file__).parent / "fixtures" / "vonage_call_events.json").read_text())


@pytest.fixture
def voice(fake_twilio, fake_vonage, fast_retries, settings):
    """Twilio then Vonage for voice, each a fake behind its official client."""
    settings.VIGIL_VOICE_PROVIDERS = ["twilio", "vonage"]
    settings.VIGIL_COMMS_HTTP_TIMEOUT = 1
    assert channel_for("voice") == "voice_failover"
    return fake_twilio, fake_vonage


def send_calls(rounds: int = 3) -> None:
    """Send what is due, as beat would, several times (a requeued row is due at once)."""
    for _ in range(rounds):
        Notification.objects.filter(state=State.QUEUED).update(next_attempt_at="2000-01-01T00:00Z")
        outbox.send_due("voice_failover")


def attempts(row) -> list[tuple[str, str]]:
    return list(DeliveryAttempt.objects.filter(notification=row).values_list("provider", "outcome"))


def call_status(status: str, row) -> dict:
    """Twilio's status callback for ROW's call, with CallStatus STATUS (busy and the rest share no-answer's shape)."""
    sid = DeliveryAttempt.objects.get(notification=row, provider="twilio").provider_id
    return {**form("call_no_answer", sid=sid, to=row.destination), "CallStatus": status}


def vonage_event(client, fake, status: str, **headers):
    """Post Vonage's event STATUS for the one call FAKE accepted, to the event_url that call named."""
    [call] = fake.calls()
    [url] = call.json["event_url"]
    shape = EVENTS.get(status) or {**EVENTS["busy"], "status": status, "detail": "cannot_route"}
    # The call's uuid, as Vonage answered it: its attempt's (a failover row), else the row's (Vonage alone).
    attempt = DeliveryAttempt.objects.filter(provider="vonage").first()
    uuid = attempt.provider_id if attempt else Notification.objects.get().provider_id
    text = json.dumps(shape).replace("{uuid}", uuid).replace("{to}", RITA.lstrip("+"))
    return client.post(urlsplit(url).path, text, content_type="application/json", **headers)


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_a_twilio_call_nobody_answered_is_made_once_by_vonage(voice, page, twilio_post, settings, status):
    twilio, vonage = voice
    row = Notification.objects.get(page=page())
    send_calls()
    [call] = twilio.requests
    assert call.path.endswith("/Calls.json") and call.form["StatusCallback"].endswith(status_path(row))
    assert vonage.calls() == []

    assert twilio_post(status_path(row), call_status(status, row)).status_code == 204
    row.refresh_from_db()
    assert row.state == State.QUEUED and f"Twilio: {status}" in row.error and "trying vonage" in row.error
    send_calls()
    assert twilio_post(status_path(row), call_status(status, row)).status_code == 204, "the same report again..."
    send_calls()
    assert len(twilio.requests) == 1 and len(vonage.calls()) == 1, "...calls nobody again"
    assert vonage.calls()[0].json["to"] == [{"number": RITA.lstrip("+"), "type": "phone"}]
    row.refresh_from_db()
    assert row.state == State.SENT and row.provider_id == DeliveryAttempt.objects.get(provider="vonage").provider_id
    assert attempts(row) == [("twilio", Outcome.UNDELIVERED), ("vonage", Outcome.ACCEPTED)]


def test_a_twilio_call_answered_is_delivered_and_never_fails_over(voice, page, twilio_post):
    twilio, vonage = voice
    row = Notification.objects.get(page=page())
    send_calls()
    assert twilio_post(status_path(row), call_status("in-progress", row)).status_code == 204
    sid = DeliveryAttempt.objects.get(provider="twilio").provider_id
    assert twilio_post(status_path(row), form("call_completed", sid=sid, to=row.destination)).status_code == 204
    send_calls()
    row.refresh_from_db()
    assert row.state == State.DELIVERED and vonage.calls() == [] and len(twilio.requests) == 1
    assert attempts(row) == [("twilio", Outcome.ACCEPTED)]


def test_a_vonage_call_names_its_event_url(voice, page, settings):
    _twilio, vonage = voice
    settings.VIGIL_VOICE_PROVIDERS = ["vonage", "twilio"]
    row = Notification.objects.get(page=page())
    send_calls()
    call = vonage.calls()[0].json
    [url] = call["event_url"]
    assert url.startswith(settings.VIGIL_BASE_URL + "/comms/hooks/vonage/call-event/")
    assert call["event_method"] == "POST" and event_row(urlsplit(url).path.split("/")[-2]) == row.pk


@pytest.mark.parametrize("status", ["unanswered", "busy", "failed", "rejected", "timeout", "cancelled"])
def test_a_vonage_call_nobody_answered_is_made_once_by_twilio(voice, page, client, settings, status):
    twilio, vonage = voice
    settings.VIGIL_VOICE_PROVIDERS = ["vonage", "twilio"]
    row = Notification.objects.get(page=page())
    send_calls()
    for progress in ("started", "ringing"):
        assert vonage_event(client, vonage, progress).status_code == 204
    row.refresh_from_db()
    assert row.state == State.SENT, "started and ringing say nothing"

    assert vonage_event(client, vonage, status).status_code == 204
    row.refresh_from_db()
    assert row.state == State.QUEUED and f"Vonage: call {status}" in row.error
    send_calls()
    assert vonage_event(client, vonage, status).status_code == 204, "the same event again..."
    send_calls()
    assert len(vonage.calls()) == 1 and twilio.sent_to() == [RITA], "...calls nobody again"
    assert attempts(row) == [("vonage", Outcome.UNDELIVERED), ("twilio", Outcome.ACCEPTED)]


def test_a_vonage_call_answered_is_delivered_and_never_fails_over(voice, page, client, settings):
    twilio, vonage = voice
    settings.VIGIL_VOICE_PROVIDERS = ["vonage", "twilio"]
    row = Notification.objects.get(page=page())
    send_calls()
    for status in ("started", "ringing", "answered", "completed"):
        assert vonage_event(client, vonage, status).status_code == 204
    send_calls()
    row.refresh_from_db()
    assert row.state == State.DELIVERED and row.delivered_at and twilio.requests == []
    assert attempts(row) == [("vonage", Outcome.ACCEPTED)]


def test_a_forged_vonage_event_is_refused_and_changes_nothing(voice, page, client, settings):
    twilio, vonage = voice
    settings.VIGIL_VOICE_PROVIDERS = ["vonage", "twilio"]
    made = page()
    row = Notification.objects.get(page=made)
    send_calls()
    body = json.dumps({**EVENTS["unanswered"], "uuid": row.provider_id})
    [url] = vonage.calls()[0].json["event_url"]
    token = urlsplit(url).path.split("/")[-2]
    forged = [
        token[:-3] + "xyz",  # its signature altered
        paging.ack_token(made),  # signed by Vigil, for another purpose: the page's key-press link
        "1",  # a bare row id
    ]
    for bad in forged:
        answer = client.post(f"/comms/hooks/vonage/call-event/{bad}/", body, content_type="application/json")
        assert answer.status_code == 403
    send_calls()
    row.refresh_from_db()
    assert row.state == State.SENT and twilio.requests == []
    assert attempts(row) == [("vonage", Outcome.ACCEPTED)]


def test_with_a_signature_secret_only_vonages_signed_event_counts(voice, page, client, settings):
    twilio, vonage = voice
    settings.VIGIL_VOICE_PROVIDERS = ["vonage", "twilio"]
    settings.VONAGE_SIGNATURE_SECRET = "vonage-signature-secret-of-32-bytes-or-more"
    row = Notification.objects.get(page=page())
    send_calls()
    assert vonage_event(client, vonage, "unanswered").status_code == 403, "the URL's token alone is not enough"
    row.refresh_from_db()
    assert row.state == State.SENT

    [url] = vonage.calls()[0].json["event_url"]
    body = json.dumps({**EVENTS["unanswered"], "uuid": row.provider_id}).encode()
    claims = {"iat": int(time.time()), "payload_hash": hashlib.sha256(body).hexdigest()}
    signed = jwt.encode(claims, settings.VONAGE_SIGNATURE_SECRET, algorithm="HS256")
    answer = client.post(
        urlsplit(url).path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {signed}"
    )
    assert answer.status_code == 204
    send_calls()
    assert twilio.sent_to() == [RITA]


def test_a_forged_twilio_status_is_refused_and_changes_nothing(voice, page, twilio_post):
    _twilio, vonage = voice
    row = Notification.objects.get(page=page())
    send_calls()
    assert twilio_post(status_path(row), call_status("no-answer", row), signature="forged").status_code == 403
    send_calls()
    row.refresh_from_db()
    assert row.state == State.SENT and vonage.calls() == []
    assert attempts(row) == [("twilio", Outcome.ACCEPTED)]


def test_unanswered_by_every_provider_the_row_fails_saying_each_attempt(voice, page, client, twilio_post):
    twilio, vonage = voice
    row = Notification.objects.get(page=page())
    send_calls()
    twilio_post(status_path(row), call_status("no-answer", row))
    send_calls()
    assert vonage_event(client, vonage, "unanswered").status_code == 204
    send_calls()
    row.refresh_from_db()
    assert row.state == State.FAILED
    assert row.error.startswith("Every provider failed.")
    assert "Twilio: no-answer" in row.error and "Vonage: call unanswered (unavailable)" in row.error
    assert len(twilio.requests) == 1 and len(vonage.calls()) == 1
    assert attempts(row) == [("twilio", Outcome.UNDELIVERED), ("vonage", Outcome.UNDELIVERED)]


def test_a_page_acknowledged_before_the_no_answer_is_not_called_again(voice, page, twilio_post, actor, incident):
    twilio, vonage = voice
    row = Notification.objects.get(page=page())
    send_calls()
    do_acknowledge(actor, incident)  # on the web, say, while the phone rang
    assert twilio_post(status_path(row), call_status("no-answer", row)).status_code == 204
    send_calls()
    row.refresh_from_db()
    assert row.state == State.FAILED and "not sent on to vonage: the page was answered" in row.error
    assert vonage.calls() == [] and len(twilio.requests) == 1
    assert attempts(row) == [("twilio", Outcome.UNDELIVERED)]


def test_a_page_acknowledged_after_the_failover_was_queued_is_not_called(voice, page, twilio_post, actor, incident):
    _twilio, vonage = voice
    row = Notification.objects.get(page=page())
    send_calls()
    twilio_post(status_path(row), call_status("no-answer", row))
    row.refresh_from_db()
    assert row.state == State.QUEUED, "on its way to Vonage..."
    do_acknowledge(actor, incident)  # ...when Rita acknowledges on the web
    send_calls()
    row.refresh_from_db()
    assert row.state == State.CANCELLED and vonage.calls() == [], "the outbox drops it: the page was answered"


def test_a_no_answer_after_the_window_fails_the_row_without_failover(voice, page, twilio_post, settings):
    _twilio, vonage = voice
    settings.VIGIL_FAILOVER_CALLBACK_SECONDS = 0
    row = Notification.objects.get(page=page())
    send_calls()
    twilio_post(status_path(row), call_status("no-answer", row))
    send_calls()
    row.refresh_from_db()
    assert row.state == State.FAILED and row.error == "Twilio: no-answer" and vonage.calls() == []


@pytest.mark.parametrize(("status", "state"), [("completed", State.DELIVERED), ("unanswered", State.FAILED)])
def test_vonage_alone_records_what_became_of_its_call(fake_vonage, page, client, settings, status, state):
    settings.VIGIL_VOICE_PROVIDERS = ["vonage"]
    assert channel_for("voice") == "vonage_voice"
    row = Notification.objects.get(page=page())
    outbox.send_due("vonage_voice")
    assert vonage_event(client, fake_vonage, status).status_code == 204
    row.refresh_from_db()
    assert row.state == state and len(fake_vonage.calls()) == 1
    assert DeliveryAttempt.objects.filter(notification=row).count() == 0, "no failover row, no attempt rows"
