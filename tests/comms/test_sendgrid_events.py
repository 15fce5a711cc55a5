"""SendGrid's signed event webhook moves email rows forward (delivered, bounced, failed); forgeries get 403."""

import base64
import json
import logging
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from comms import outbox
from comms.models import Fanout, Notification, Stakeholder, State
from incidents.models import PublicStatus
from incidents.services import do_post_update

FIXTURES = Path(__file__).parent / "fixtures"
PATH = "/comms/hooks/sendgrid/events/"
ADDRESSES = ["ada@example.com", "bob@example.com", "cy@example.com"]


@pytest.fixture
def signing_key(settings):
    """An ECDSA P-256 key pair, as SendGrid makes for a signed event webhook; Vigil is given the public half."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = base64.b64encode(public).decode()
    return key


def signed(key, body: bytes, timestamp: str | None = None) -> dict:
    """The headers SendGrid sends: a timestamp, and the signature of timestamp + body."""
    timestamp = timestamp or str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
    }


def post(client, key, events, **headers):
    body = json.dumps(events).encode()
    return client.post(PATH, body, content_type="application/json", **(signed(key, body) | headers))


def events(row, *kinds: str, email: str | None = None) -> list[dict]:
    """Real events (fixtures/sendgrid_events.json) of the given KINDS, about ROW, in that order."""
    template = (FIXTURES / "sendgrid_events.json").read_text()
    filled = template.replace("{email}", email or row.destination).replace("{id}", str(row.pk))
    by_kind = {e["event"]: e for e in json.loads(filled.replace("{message_id}", row.provider_id))}
    return [by_kind[kind] for kind in kinds]


@pytest.fixture
def sent(actor, incident, api_component, fake_sendgrid):
    """Three emails SendGrid accepted in one request: the rows, by address."""
    people = Stakeholder.objects.bulk_create(Stakeholder(name=a, email=a) for a in ADDRESSES)
    api_component.interested_stakeholders.add(*people)
    update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Errors on the API.")
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    outbox.send_due("sendgrid")
    return list(Notification.objects.order_by("destination"))


def states(rows) -> list[str]:
    return [Notification.objects.get(pk=row.pk).state for row in rows]


def test_events_move_each_row_to_delivered_bounced_or_failed(client, sent, signing_key, fake_sendgrid):
    ada, bob, cy = sent
    named = {p["to"][0]["email"]: p["custom_args"] for p in fake_sendgrid.requests[0].json["personalizations"]}
    assert named[ada.destination] == {"vigil_notification": str(ada.pk)}
    batch = [
        *events(ada, "processed", "deferred", "delivered", "open"),
        *events(bob, "processed", "bounce"),
        *events(cy, "dropped"),
    ]
    assert post(client, signing_key, batch).status_code == 204
    assert states(sent) == [State.DELIVERED, State.BOUNCED, State.FAILED]
    bob.refresh_from_db()
    assert bob.error == "SendGrid bounce: 550 5.1.1 The email account that you tried to reach does not exist."
    assert Notification.objects.get(pk=ada.pk).delivered_at is not None


def test_a_late_processed_never_undoes_delivered_and_a_later_bounce_is_kept(client, sent, signing_key):
    ada, bob, _ = sent
    post(client, signing_key, events(ada, "delivered") + events(bob, "delivered"))
    post(client, signing_key, events(ada, "processed", "deferred"))
    # An asynchronous bounce: the receiving server took the email, then sent it back.
    post(client, signing_key, events(bob, "bounce"))
    post(client, signing_key, events(bob, "delivered"))
    assert states([ada, bob]) == [State.DELIVERED, State.BOUNCED]


def test_one_post_ends_at_its_furthest_report_in_any_order(client, sent, signing_key):
    ada = sent[0]
    post(client, signing_key, events(ada, "delivered", "processed"))
    assert states([ada]) == [State.DELIVERED]


def test_forged_unsigned_or_tampered_posts_are_refused(client, sent, signing_key, settings):
    ada = sent[0]
    body = json.dumps(events(ada, "delivered")).encode()
    other_key = ec.generate_private_key(ec.SECP256R1())
    assert client.post(PATH, body, content_type="application/json").status_code == 403
    forged = client.post(PATH, body, content_type="application/json", **signed(other_key, body))
    assert forged.status_code == 403
    tampered = json.dumps(events(ada, "bounce")).encode()
    assert client.post(PATH, tampered, content_type="application/json", **signed(signing_key, body)).status_code == 403
    headers = signed(signing_key, body) | {"HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": "not base64!"}
    assert client.post(PATH, body, content_type="application/json", **headers).status_code == 403
    headers = signed(signing_key, body) | {"HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": "1"}
    assert client.post(PATH, body, content_type="application/json", **headers).status_code == 403
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    assert client.post(PATH, body, content_type="application/json", **signed(signing_key, body)).status_code == 403
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = "not a key"
    assert client.post(PATH, body, content_type="application/json", **signed(signing_key, body)).status_code == 403
    assert states([ada]) == [State.SENT]


def test_the_key_may_be_given_as_pem(client, sent, signing_key, settings):
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = pem.decode()
    assert post(client, signing_key, events(sent[0], "delivered")).status_code == 204
    assert states(sent[:1]) == [State.DELIVERED]


def test_unknown_rows_and_other_addresses_are_ignored_with_a_log_line(client, sent, signing_key, caplog):
    ada = sent[0]
    stranger = events(ada, "bounce")[0] | {"vigil_notification": "999999"}
    no_row = {k: v for k, v in events(ada, "bounce")[0].items() if k != "vigil_notification"}
    with caplog.at_level(logging.INFO, logger="comms.delivery"):
        response = post(client, signing_key, [stranger, no_row, *events(ada, "bounce", email="eve@example.com")])
    assert response.status_code == 204
    assert "notification 999999" in caplog.text
    assert "names no outbox row" in caplog.text
    assert f"notification {ada.pk}: no such row to eve@example.com" in caplog.text
    assert states([ada]) == [State.SENT]


def test_a_signed_post_that_is_not_an_array_of_events_is_a_bad_request(client, signing_key):
    body = b"{not json"
    assert client.post(PATH, body, content_type="application/json", **signed(signing_key, body)).status_code == 400
    assert post(client, signing_key, {"event": "delivered"}).status_code == 400
    assert post(client, signing_key, ["junk", {"event": "delivered", "vigil_notification": "x"}]).status_code == 204
