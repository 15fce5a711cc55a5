"""SMS fails over from one provider to the next, once, and never goes twice through one provider."""

import json
import time

import pytest
import trustme

from comms import failover, outbox
from comms.channels import Message, channel_for, get_channel
from comms.channels.twilio import TwilioSmsChannel
from comms.channels.vonage import dlr_token
from comms.models import DeliveryAttempt, Fanout, Notification, Outcome, Stakeholder, State
from incidents.models import PublicStatus
from incidents.services import do_post_update

from .fakes import FakeGateway, FakeVonage
from .test_twilio_status import form, status_path

PHONES = ["+14155552671", "+14155552672"]


@pytest.fixture(autouse=True)
def providers_up():
    """Each test starts with every provider's breaker closed (the cache outlives a test)."""
    from comms.channels.base import breaker
    from comms.failover import provider_key

    for medium in ("sms", "voice"):
        for name in ("twilio", "vonage", "gateway"):
            breaker().succeeded(provider_key(medium, name))


@pytest.fixture
def fake_vonage(settings, tmp_path, monkeypatch):
    """A fake Vonage SMS API over TLS, the real client pointed at it by its rest_host option."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    fake = FakeVonage().start(tls=context)
    settings.VONAGE_API_KEY = "vonage-key"
    settings.VONAGE_API_SECRET = "vonage-secret"
    settings.VONAGE_FROM = "Vigil"
    settings.VIGIL_VONAGE_REST_HOST = f"127.0.0.1:{fake.server.server_address[1]}"
    yield fake
    fake.stop()


@pytest.fixture
def fake_gateway(settings, loopback_receivers):
    fake = FakeGateway().start()
    settings.VIGIL_SMS_GATEWAY_URL = fake.url + "/send"
    settings.VIGIL_SMS_GATEWAY_BODY = '{"to": "{to}", "message": "{text}", "sender": "{from}"}'
    settings.VIGIL_SMS_GATEWAY_FROM = "Vigil"
    settings.VIGIL_SMS_GATEWAY_HEADERS = json.dumps({"Authorization": "Bearer gw-secret"})
    settings.VIGIL_SMS_GATEWAY_SUCCESS = r'"result": "queued", "id": "(?P<id>[^"]+)"'
    yield fake
    fake.stop()


@pytest.fixture
def both(fake_twilio, fake_vonage, settings, fast_retries):
    settings.VIGIL_SMS_PROVIDERS = ["twilio", "vonage"]
    settings.VIGIL_COMMS_HTTP_TIMEOUT = 1
    return fake_twilio, fake_vonage


@pytest.fixture
def planned(actor, incident, api_component):
    """One SMS row per number in PHONES (a public update to stakeholders)."""

    def plan(phones=PHONES):
        people = Stakeholder.objects.bulk_create(Stakeholder(name=p, phone=p, channels=["sms"]) for p in phones)
        api_component.interested_stakeholders.add(*people)
        update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Errors on the API.")
        Fanout.objects.create(update=update)
        outbox.plan_update(update.pk)
        return list(Notification.objects.filter(update=update).order_by("destination"))

    return plan


def send_all(rounds=4):
    for _ in range(rounds):
        Notification.objects.filter(state=State.QUEUED).update(next_attempt_at="2000-01-01T00:00Z")
        outbox.send_due("sms_failover")


def attempts(row) -> list[tuple[str, str]]:
    return list(DeliveryAttempt.objects.filter(notification=row).values_list("provider", "outcome"))


def test_several_providers_make_the_failover_channel_and_one_keeps_its_own(both, settings):
    assert channel_for("sms") == "sms_failover"
    settings.VIGIL_SMS_PROVIDERS = ["vonage"]
    assert channel_for("sms") == "vonage_sms"
    settings.VIGIL_SMS_PROVIDERS = []
    settings.VONAGE_API_KEY = ""
    assert channel_for("sms") == "twilio_sms"


def test_twilio_answering_500s_fails_over_to_vonage_and_each_message_goes_once(both, planned):
    twilio, vonage = both
    rows = planned()
    twilio.fail_next(2 * len(rows), 500)
    send_all()
    assert len(twilio.requests) == 2 * len(rows), "each tried VIGIL_FAILOVER_AFTER_ATTEMPTS times at Twilio"
    assert sorted(vonage.sent_to()) == PHONES, "then sent once each by Vonage"
    for row in rows:
        row.refresh_from_db()
        assert row.state == State.SENT and row.provider_id
        assert attempts(row) == [("twilio", Outcome.REFUSED), ("twilio", Outcome.REFUSED), ("vonage", Outcome.ACCEPTED)]


def test_a_twilio_timeout_fails_over_at_once_and_twilio_is_not_tried_again(both, planned):
    twilio, vonage = both
    twilio.delay = 1.5
    rows = planned(PHONES[:1])
    send_all()
    assert len(twilio.requests) == 1
    assert vonage.sent_to() == PHONES[:1]
    assert attempts(rows[0]) == [("twilio", Outcome.UNKNOWN), ("vonage", Outcome.ACCEPTED)]


def test_an_invalid_number_for_twilio_goes_to_vonage_at_once(both, planned):
    twilio, vonage = both
    twilio.refuse = {PHONES[0]}
    planned()
    outbox.send_due("sms_failover")  # one round: no back-off between the two providers
    assert twilio.sent_to() == [PHONES[1]]
    assert vonage.sent_to() == [PHONES[0]]
    row = Notification.objects.get(destination=PHONES[0])
    assert row.state == State.SENT
    assert attempts(row) == [("twilio", Outcome.FAILED), ("vonage", Outcome.ACCEPTED)]


def test_an_undelivered_callback_sends_once_by_the_next_provider(both, planned, twilio_post):
    twilio, vonage = both
    planned(PHONES[:1])
    outbox.send_due("sms_failover")
    row = Notification.objects.get()
    assert (row.state, twilio.sent_to(), vonage.sent_to()) == (State.SENT, PHONES[:1], [])
    sid = DeliveryAttempt.objects.get(provider="twilio").provider_id
    undelivered = form("sms_undelivered", sid=sid, to=row.destination)
    assert twilio_post(status_path(row), undelivered).status_code == 204
    row.refresh_from_db()
    assert row.state == State.QUEUED and "vonage" in row.error
    send_all()
    assert twilio_post(status_path(row), undelivered).status_code == 204, "the same report again..."
    send_all()
    row.refresh_from_db()
    assert vonage.sent_to() == PHONES[:1] and len(twilio.requests) == 1, "...does nothing more"
    assert row.state == State.SENT
    assert attempts(row) == [("twilio", Outcome.UNDELIVERED), ("vonage", Outcome.ACCEPTED)]


def test_an_undelivered_callback_after_the_window_is_only_recorded(both, planned, twilio_post, settings):
    _twilio, vonage = both
    settings.VIGIL_FAILOVER_CALLBACK_SECONDS = 0
    planned(PHONES[:1])
    outbox.send_due("sms_failover")
    row = Notification.objects.get()
    twilio_post(status_path(row), form("sms_undelivered", sid=row.provider_id, to=row.destination))
    send_all()
    row.refresh_from_db()
    assert row.state == State.BOUNCED and vonage.sent_to() == []


def test_a_vonage_delivery_receipt_is_recorded_and_a_forged_token_refused(both, planned, client, settings):
    twilio, vonage = both
    settings.VIGIL_SMS_PROVIDERS = ["vonage", "twilio"]
    planned(PHONES[:1])
    outbox.send_due("sms_failover")
    row = Notification.objects.get()
    sent = vonage.requests[0].form
    assert sent["client-ref"] == str(row.pk) and sent["callback"].endswith(f"/comms/hooks/vonage/dlr/{dlr_token()}/")
    receipt = {
        "msisdn": PHONES[0][1:],
        "to": "Vigil",
        "messageId": row.provider_id,
        "status": "delivered",
        "err-code": "0",
        "client-ref": str(row.pk),
    }
    assert client.get("/comms/hooks/vonage/dlr/forged/", receipt).status_code == 403
    assert client.get(f"/comms/hooks/vonage/dlr/{dlr_token()}/", receipt).status_code == 204
    row.refresh_from_db()
    assert row.state == State.DELIVERED and twilio.requests == []


def test_failed_on_every_provider_the_row_fails_listing_each_attempt(both, planned):
    twilio, vonage = both
    twilio.refuse = {PHONES[0]}
    vonage.refuse = {PHONES[0][1:]}
    planned(PHONES[:1])
    send_all()
    row = Notification.objects.get()
    assert row.state == State.FAILED
    assert "twilio: Refused for good" in row.error and "vonage: Refused for good" in row.error
    assert "Invalid to number" in row.error
    assert attempts(row) == [("twilio", Outcome.FAILED), ("vonage", Outcome.FAILED)]


def test_the_generic_gateway_sends_its_json_template_and_reads_its_success_rule(fake_gateway, settings, planned):
    settings.VIGIL_SMS_PROVIDERS = ["gateway"]
    assert channel_for("sms") == "sms_gateway"
    planned(PHONES[:1])
    outbox.send_due("sms_gateway")
    sent = fake_gateway.requests[0]
    assert sent.path == "/send" and sent.headers["Authorization"] == "Bearer gw-secret"
    assert (
        sent.json["to"] == PHONES[0] and sent.json["sender"] == "Vigil" and "Errors on the API." in sent.json["message"]
    )
    row = Notification.objects.get()
    assert (row.state, row.provider_id) == (State.SENT, "gw-1")


def test_a_gateway_answer_failing_the_success_rule_fails_over(fake_gateway, fake_twilio, settings, planned):
    settings.VIGIL_SMS_PROVIDERS = ["gateway", "twilio"]
    settings.VIGIL_SMS_GATEWAY_SUCCESS = r'"result": "sent"'
    planned(PHONES[:1])
    outbox.send_due("sms_failover")
    assert len(fake_gateway.requests) == 1 and fake_twilio.sent_to() == PHONES[:1]


@pytest.mark.parametrize("twilio_took_it", [True, False])
def test_a_worker_killed_mid_failover_never_sends_twice_through_one_provider(both, planned, settings, twilio_took_it):
    twilio, vonage = both
    planned(PHONES[:1])
    row = outbox.claim("sms_failover", 10)[0]
    attempt = failover.begin(row.pk, "twilio")  # the attempt row is written...
    if twilio_took_it:
        TwilioSmsChannel().send(Message(id=row.pk, medium="sms", destination=row.destination, body=row.body))
    # ...and the worker dies before writing what Twilio said. The lease lapses; the sweep hands the row back.
    settings.VIGIL_COMMS_SENDING_LEASE = 0
    assert outbox.requeue_stalled() == 1
    send_all()
    send_all()
    assert len(twilio.requests) == (1 if twilio_took_it else 0), "Twilio is never called a second time"
    assert vonage.sent_to() == PHONES[:1], "and nothing is lost: Vonage sends it, once"
    assert failover.begin(row.pk, "twilio") is None, "the database refuses another Twilio attempt"
    assert attempt.pk in DeliveryAttempt.objects.filter(outcome=Outcome.STARTED).values_list("pk", flat=True)
    row.refresh_from_db()
    assert row.state == State.SENT


def test_a_vonage_throttle_is_retried_and_a_bad_key_fails_over(
    fake_vonage, fake_gateway, settings, planned, fast_retries
):
    settings.VIGIL_SMS_PROVIDERS = ["vonage", "gateway"]
    fake_vonage.fail_next(1, 500)
    planned(PHONES[:1])
    send_all()
    row = Notification.objects.get()
    assert attempts(row) == [("vonage", Outcome.REFUSED), ("vonage", Outcome.ACCEPTED)]
    assert fake_gateway.requests == []
    assert get_channel("sms_failover").kind == "sms_failover"


def test_a_batch_fails_over_concurrently_each_message_once_through_each_provider(both, planned, settings):
    twilio, vonage = both
    settings.VIGIL_TWILIO_RATE = 0
    settings.VIGIL_TWILIO_CONCURRENCY = 16
    phones = [f"+1415555{n:04d}" for n in range(40)]
    twilio.refuse = set(phones)
    vonage.delay = 0.1
    planned(phones)
    started = time.monotonic()
    outbox.send_due("sms_failover")  # one claim, one deliver(): Twilio's refusals go to Vonage in its next round
    elapsed = time.monotonic() - started
    assert elapsed < 40 * 0.1 / 2, f"sent one at a time ({elapsed:.2f} s)"
    assert sorted(r.form["To"] for r in twilio.requests) == phones, "Twilio asked once each, never twice"
    assert sorted(vonage.sent_to()) == phones and len(vonage.requests) == 40, "Vonage sent each once"
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}
    assert DeliveryAttempt.objects.filter(provider="vonage", outcome=Outcome.ACCEPTED).count() == 40


def test_each_provider_keeps_its_own_rate(both, planned, settings):
    twilio, vonage = both
    settings.VIGIL_TWILIO_RATE = 20
    phones = [f"+1415555{n:04d}" for n in range(10)]
    twilio.refuse = set(phones)
    planned(phones)
    started = time.monotonic()
    outbox.send_due("sms_failover")
    assert time.monotonic() - started >= 9 / 20, "ten Twilio calls at 20 a second take 0.45 s at least"
    assert sorted(vonage.sent_to()) == phones


def test_a_provider_refusing_everything_is_passed_over_once_its_breaker_opens(both, planned, settings):
    twilio, vonage = both
    settings.VIGIL_TWILIO_RATE = 0
    settings.VIGIL_COMMS_BREAKER_FAILURES = 5
    phones = [f"+1415555{n:04d}" for n in range(12)]
    twilio.fail_next(100, 500)
    rows = planned(phones)
    send_all()
    # The first round tried all twelve at Twilio and opened its breaker (5 in a row); the retries skipped it.
    assert len(twilio.requests) == 12, "no message was tried a second time at a provider that refuses everything"
    assert sorted(vonage.sent_to()) == phones and len(vonage.requests) == 12, "Vonage sent each once"
    for row in rows:
        assert attempts(row) == [("twilio", Outcome.REFUSED), ("vonage", Outcome.ACCEPTED)]


def test_a_provider_whose_breaker_is_open_is_still_tried_when_it_is_the_last_one_left(both, planned, settings):
    from comms.channels.base import breaker
    from comms.failover import provider_key

    twilio, vonage = both
    settings.VIGIL_COMMS_BREAKER_FAILURES = 1
    breaker().failed(provider_key("sms", "twilio"))  # open: Twilio is passed over while Vonage is left
    vonage.refuse = {"14155552671"}  # Vonage refuses the number for good
    rows = planned(["+14155552671"])
    send_all()
    assert attempts(rows[0]) == [("vonage", Outcome.FAILED), ("twilio", Outcome.ACCEPTED)]
    assert len(twilio.requests) == 1
