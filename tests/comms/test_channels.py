"""Each channel class, against a local receiver: what goes over the wire."""

import hashlib
import hmac
import json

from django.core import mail

from comms.channels import Message, channel_for, get_channel
from comms.channels.base import DeliveryError, parse_retry_after
from comms.channels.twilio import voice_twiml
from comms.messages import fit, sms_segments


def test_the_webhook_is_json_signed_with_hmac_sha256(receiver):
    body = json.dumps({"event": "incident.update"})
    message = Message(id=7, medium="webhook", destination=receiver.url + "/hook", body=body, secret="k3y")
    assert get_channel("webhook").attempt(message) == "http-200"
    request = receiver.requests[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Vigil-Delivery"] == "7"
    signed = request.headers["X-Vigil-Timestamp"].encode() + b"." + request.body
    expected = "sha256=" + hmac.new(b"k3y", signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Vigil-Signature"], expected)
    assert request.json == {"event": "incident.update"}


def test_a_webhook_refusal_is_permanent_and_a_429_is_not(receiver):
    receiver.fail_next(1, status=410)
    receiver.fail_next(1, status=429, retry_after="7")
    message = Message(id=1, medium="webhook", destination=receiver.url, body="{}")
    gone, throttled = get_channel("webhook").attempt(message), get_channel("webhook").attempt(message)
    assert isinstance(gone, DeliveryError) and gone.permanent
    assert isinstance(throttled, DeliveryError) and not throttled.permanent and throttled.retry_after == 7


def test_slack_gets_the_text(receiver):
    message = Message(id=1, medium="slack", destination=receiver.url + "/services/T/B/X", body="*API* - Investigating")
    assert get_channel("slack").attempt(message) == "slack-ok"
    assert receiver.requests[0].json == {"text": "*API* - Investigating"}


def test_mastodon_posts_one_public_status_with_an_idempotency_key(receiver):
    message = Message(id=9, medium="mastodon", destination=receiver.url + "/", body="API down https://s", secret="tok")
    assert get_channel("mastodon").attempt(message) == "1"
    request = receiver.requests[0]
    assert request.path == "/api/v1/statuses"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Idempotency-Key"] == "vigil-9"
    assert request.form == {"status": "API down https://s", "visibility": "public"}


def test_a_status_fits_500_characters_with_its_link():
    link = "https://status.example.com/status/"
    status = fit("x" * 1000, link, 500)
    assert len(status) == 500 and status.endswith(" " + link) and "…" in status
    assert fit("short", link, 500) == f"short {link}"


def test_smtp_uses_djangos_email_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = Message(id=3, medium="email", destination="ada@example.com", body="Body", subject="Subject")
    [(_, outcome)] = list(get_channel("smtp").deliver([message]))
    assert outcome.startswith("<") and outcome == mail.outbox[0].extra_headers["Message-ID"]
    assert (mail.outbox[0].to, mail.outbox[0].subject) == (["ada@example.com"], "Subject")


def test_a_voice_page_reads_the_message_and_asks_to_press_1():
    twiml = voice_twiml(Message(id=1, medium="voice", destination="+1", body="SEV1 API down", ack_url="https://v/ack"))
    assert '<Gather action="https://v/ack" method="POST" numDigits="1"' in twiml
    assert "<Say>SEV1 API down</Say><Say>Press 1 to acknowledge.</Say>" in twiml
    plain = voice_twiml(Message(id=1, medium="voice", destination="+1", body="Update"))
    assert "Gather" not in plain and "<Say>Update</Say>" in plain


def test_the_sandbox_is_used_until_provider_keys_are_set(settings):
    settings.SENDGRID_API_KEY = ""
    settings.TWILIO_ACCOUNT_SID = ""
    assert [channel_for(m) for m in ("email", "sms", "voice", "webhook")] == ["sandbox"] * 3 + ["webhook"]
    settings.SENDGRID_API_KEY = "SG.x"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "t", "+15005550006"
    assert [channel_for(m) for m in ("email", "sms", "voice")] == ["sendgrid", "twilio_sms", "twilio_voice"]
    settings.VIGIL_EMAIL_CHANNEL = "smtp"
    settings.VIGIL_COMMS_SANDBOX = False
    assert channel_for("email") == "smtp"
    settings.VIGIL_COMMS_SANDBOX = True
    assert channel_for("sms") == "sandbox"


def test_retry_after_reads_seconds_and_dates():
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None


def test_sms_length_in_segments():
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("{" * 80) == ("GSM-7", 1)
    assert sms_segments("{" * 81) == ("GSM-7", 2), "extension characters count twice"
    assert sms_segments("é" * 160) == ("GSM-7", 1)
    assert sms_segments("ç" * 70) == ("UCS-2", 1)
    assert sms_segments("ç" * 71) == ("UCS-2", 2)
    assert sms_segments("😀" * 35) == ("UCS-2", 1), "an emoji takes two UTF-16 units"
