"""A voice page through Vonage's Voice API: the call reads the page and asks for key 1, which acknowledges
it once through Vigil's URL carrying the page's signed token; Vonage is the voice failover after Twilio."""

import hashlib
import json
import ssl
import time
from urllib.parse import urlsplit

import jwt
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from comms import outbox
from comms.channels import channel_for
from comms.models import Contact, DeliveryAttempt, Notification, NotificationRule, Outcome, State
from incidents import paging
from incidents.models import Status

from .fakes import FakeVonage

RITA = "+14155552672"
APPLICATION_ID = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"


@pytest.fixture(autouse=True)
def providers_up():
    """Each test starts with every voice provider's breaker closed (the cache outlives a test)."""
    from comms.channels.base import breaker
    from comms.failover import provider_key

    for name in ("twilio", "vonage"):
        breaker().succeeded(provider_key("voice", name))


@pytest.fixture
def fake_vonage(settings, tmp_path, monkeypatch):
    """A fake Vonage Voice API over TLS, checking each request's JWT against a key made for this test."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake = FakeVonage()
    fake.application_id = APPLICATION_ID
    fake.public_key = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    fake.start(tls=context)
    settings.VONAGE_APPLICATION_ID = APPLICATION_ID
    settings.VONAGE_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.VONAGE_FROM = "14155550100"
    settings.VIGIL_VONAGE_API_HOST = f"127.0.0.1:{fake.server.server_address[1]}"
    yield fake
    fake.stop()


@pytest.fixture
def page(responder, incident, django_capture_on_commit_callbacks):
    """Rita the responder paged by voice at once."""
    Contact.objects.create(user=responder, phone=RITA)
    NotificationRule.objects.create(user=responder, medium="voice", delay_minutes=0)

    def make():
        with django_capture_on_commit_callbacks(execute=True):
            return paging.page(responder, incident)

    return make


def called(fake: FakeVonage) -> tuple[list[dict], str]:
    """(the NCCO of the one call the fake accepted, the path of its input's event URL)."""
    [call] = fake.calls()
    ncco = call.json["ncco"]
    [event_url] = [action["eventUrl"][0] for action in ncco if action["action"] == "input"]
    return ncco, urlsplit(event_url).path


def press(client, path: str, digits: str, **headers):
    """Vonage's input webhook, as it posts the key pressed."""
    body = {
        "speech": {"results": []},
        "dtmf": {"digits": digits, "timed_out": False},
        "from": "14155552672",
        "to": "14155550100",
        "uuid": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "conversation_uuid": "CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        "timestamp": "2026-12-05T11:16:00.000Z",
    }
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def said(response) -> str:
    return " ".join(action["text"] for action in response.json() if action["action"] == "talk")


def test_a_voice_page_through_vonage_alone_reads_the_page_and_asks_for_key_1(fake_vonage, page, incident):
    assert channel_for("voice") == "vonage_voice"
    row = Notification.objects.get(page=page())
    outbox.send_due("vonage_voice")
    ncco, path = called(fake_vonage)
    call = fake_vonage.calls()[0].json
    assert call["to"] == [{"number": RITA.lstrip("+"), "type": "phone"}] and call["from"]["number"] == "14155550100"
    assert incident.title in ncco[0]["text"] and ncco[1]["text"] == "Press 1 to acknowledge."
    assert ncco[2]["dtmf"]["maxDigits"] == 1 and path.startswith("/comms/hooks/vonage/voice/")
    row.refresh_from_db()
    assert row.state == State.SENT and len(row.provider_id) == 36  # the call's uuid


def test_key_1_acknowledges_once_and_a_second_press_says_already(fake_vonage, page, incident, client, responder):
    made = page()
    outbox.send_due("vonage_voice")
    _, path = called(fake_vonage)
    first = press(client, path, "1")
    assert first.status_code == 200 and "Paging has stopped" in said(first)
    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_by) == (Status.ACKNOWLEDGED, responder)
    made.refresh_from_db()
    assert made.link_used_via == "voice"

    again = press(client, path, "1")
    assert again.status_code == 200 and "already" in said(again) and "Paging has stopped" not in said(again)


def test_another_key_does_nothing(fake_vonage, page, incident, client):
    page()
    outbox.send_due("vonage_voice")
    _, path = called(fake_vonage)
    answer = press(client, path, "2")
    assert answer.status_code == 200 and said(answer) == "Not acknowledged. Goodbye."
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED


@pytest.mark.parametrize("digits", ["1", "2"])
def test_a_forged_token_is_refused(fake_vonage, page, incident, client, digits):
    page()
    outbox.send_due("vonage_voice")
    _, path = called(fake_vonage)
    forged = path.rstrip("/")[:-3] + "xyz/"
    assert press(client, forged, digits).status_code in (403, 404)
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED


def test_with_a_signature_secret_only_vonages_signed_webhook_acknowledges(
    fake_vonage, page, incident, client, settings
):
    settings.VONAGE_SIGNATURE_SECRET = "vonage-signature-secret-of-32-bytes-or-more"
    page()
    outbox.send_due("vonage_voice")
    _, path = called(fake_vonage)
    assert press(client, path, "1").status_code == 403  # unsigned
    wrong = jwt.encode({"iat": int(time.time())}, "another-secret-also-32-bytes-or-more-long", algorithm="HS256")
    assert press(client, path, "1", HTTP_AUTHORIZATION=f"Bearer {wrong}").status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED

    body = json.dumps({"dtmf": {"digits": "1", "timed_out": False}}).encode()
    claims = {"iat": int(time.time()), "payload_hash": hashlib.sha256(body).hexdigest()}
    signed = jwt.encode(claims, settings.VONAGE_SIGNATURE_SECRET, algorithm="HS256")
    answer = client.post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {signed}")
    assert answer.status_code == 200 and "Paging has stopped" in said(answer)


def test_twilio_answering_500_fails_the_call_over_to_vonage_once(
    fake_vonage, fake_twilio, fast_retries, page, settings
):
    settings.VIGIL_VOICE_PROVIDERS = ["twilio", "vonage"]
    settings.VIGIL_COMMS_HTTP_TIMEOUT = 1
    fake_twilio.fail_next(10, 500)
    assert channel_for("voice") == "voice_failover"
    row = Notification.objects.get(page=page())
    for _ in range(4):
        Notification.objects.filter(state=State.QUEUED).update(next_attempt_at="2000-01-01T00:00Z")
        outbox.send_due("voice_failover")
    assert len(fake_twilio.requests) == settings.VIGIL_FAILOVER_AFTER_ATTEMPTS
    assert len(fake_vonage.calls()) == 1
    row.refresh_from_db()
    assert row.state == State.SENT and len(row.provider_id) == 36
    outcomes = list(DeliveryAttempt.objects.filter(notification=row).values_list("provider", "outcome"))
    assert outcomes == [("twilio", Outcome.REFUSED), ("twilio", Outcome.REFUSED), ("vonage", Outcome.ACCEPTED)]


def test_a_call_without_the_applications_key_is_refused_by_the_api(fake_vonage, page, settings):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.VONAGE_PRIVATE_KEY = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    row = Notification.objects.get(page=page())
    outbox.send_due("vonage_voice")
    row.refresh_from_db()
    assert fake_vonage.calls() == [] and fake_vonage.requests[0].status == 401
    assert row.state == State.FAILED and "401" in row.error
