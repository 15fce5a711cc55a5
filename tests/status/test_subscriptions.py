"""Subscribing on the public status page: by email (a link), SMS (a code) or webhook, then hearing updates."""

import hashlib
import hmac
import json
import re
import socket

import pytest
from django.core import signing
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms import outbox
from comms.models import Notification, Stakeholder, State, Subscriber
from comms.services import do_sms_opt_out
from comms.status import snapshot as snapshots
from comms.status.subscribers import services, webhook_challenge
from incidents.models import PublicStatus
from incidents.services import do_declare, do_post_update
from tests.comms.fakes import FakeReceiver, FakeSendGrid, FakeTwilio
from tests.conftest import tampered

SUBSCRIBE = "/status/subscribe/"
pytestmark = pytest.mark.django_db


class ChallengeReceiver(FakeReceiver):
    """A subscriber's webhook: answers a verification request with its challenge while `echo` is on;
    anything else, and the verification when `echo` is off, with FakeReceiver's 200 {"id": ...}."""

    echo = True

    def answer(self, path, body):
        payload = json.loads(body or b"{}")
        if self.echo and payload.get("event") == "subscription.verify":
            return 200, {"challenge": payload["challenge"]}, {}
        return super().answer(path, body)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def events(self) -> list[str]:
        return [r.headers["X-Vigil-Event"] for r in self.requests]


@pytest.fixture
def receiver(loopback_receivers):
    """On loopback, which the outgoing client may reach in these tests (loopback_receivers)."""
    fake = ChallengeReceiver().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_sendgrid(settings):
    fake = FakeSendGrid().start()
    settings.SENDGRID_API_KEY = "SG.test-key"
    settings.VIGIL_SENDGRID_API_URL = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio(settings):
    fake = FakeTwilio().start()
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.VIGIL_TWILIO_API_URL = fake.url
    yield fake
    fake.stop()


def rows_to(address: str):
    return Notification.objects.filter(destination=address).order_by("id")


def link(body: str, kind: str) -> str:
    """The path of the first link of KIND (subscribe/confirm, subscribe/code, subscription) in BODY."""
    match = re.search(rf"https?://[^/\s]+(/status/{kind}/[^/\s]+/)", body)
    assert match, (kind, body)
    return match.group(1)


def confirmed_email(public_client, address: str, components=()) -> Subscriber:
    response = public_client.post(SUBSCRIBE, {"email": address, "components": [c.pk for c in components]})
    assert response.status_code == 200
    confirm = link(rows_to(address).last().body, "subscribe/confirm")
    assert public_client.post(confirm).status_code == 302
    return Subscriber.objects.get(address=address)


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def post_update(actor, incident, message="Errors are back to normal levels; watching."):
    """Post a public update and run what waits for its commit (incidents' signal: the fan-out is recorded)."""
    with _capture(execute=True):
        return do_post_update(actor, incident, PublicStatus.MONITORING, message)


def plan(update) -> list[Notification]:
    outbox.plan_update(update.pk)
    return list(Notification.objects.filter(update=update, subscriber__isnull=False).order_by("destination"))


# --- Email -------------------------------------------------------------------------------------------


def test_an_email_subscriber_confirms_by_the_link_then_hears_the_next_update(actor, outage, public_client, api):
    response = public_client.post(SUBSCRIBE, {"email": "Ada@Example.com", "components": [api.pk]})
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    subscriber = Subscriber.objects.get()
    assert (subscriber.kind, subscriber.address, subscriber.confirmed) == ("email", "ada@example.com", False)
    assert list(subscriber.components.all()) == [api]
    confirmation = rows_to("ada@example.com").get()
    assert confirmation.channel == "sandbox" and "Confirm" in confirmation.subject

    confirm = link(confirmation.body, "subscribe/confirm")
    assert public_client.get(confirm).status_code == 200  # a mail scanner following the link confirms nothing
    assert not Subscriber.objects.get().confirmed
    response = public_client.post(confirm)
    assert response.status_code == 302 and "/status/subscription/" in response["Location"]
    assert Subscriber.objects.get().confirmed

    [row] = plan(post_update(actor, outage))
    assert row.destination == "ada@example.com" and row.medium == "email"
    assert "Errors are back to normal levels" in row.body
    assert services.MANAGE_LINK in row.body  # stored without the link: it is put in as it is sent
    manage = link(outbox._message(row).body, "subscription")
    assert public_client.get(manage).status_code == 200
    outbox.send_due("sandbox")
    assert rows_to("ada@example.com").filter(state=State.SENT).count() == 2


def test_an_unconfirmed_subscriber_hears_nothing(actor, outage, public_client):
    public_client.post(SUBSCRIBE, {"email": "later@example.com"})
    public_client.post(SUBSCRIBE, {"phone": "+14155552671"})
    assert Subscriber.objects.filter(confirmed_at=None).count() == 2
    assert plan(post_update(actor, outage)) == []


def test_an_expired_confirmation_link_is_refused(public_client, settings):
    public_client.post(SUBSCRIBE, {"email": "slow@example.com"})
    confirm = link(rows_to("slow@example.com").get().body, "subscribe/confirm")
    settings.VIGIL_STATUS_CONFIRM_HOURS = -1
    response = public_client.post(confirm)
    assert response.status_code == 400 and b"expired" in response.content
    assert not Subscriber.objects.get().confirmed


def test_component_interests_are_respected(actor, public_client, api, website):
    everything = confirmed_email(public_client, "all@example.com")
    on_api = confirmed_email(public_client, "api@example.com", [api])
    confirmed_email(public_client, "web@example.com", [website])
    incident, _ = do_declare(actor, title="API errors", components={api: "partial_outage"})
    rows = plan(post_update(actor, incident))
    assert [r.subscriber_id for r in rows] == [everything.pk, on_api.pk]


def test_a_stakeholder_who_also_subscribed_hears_once(actor, public_client, api):
    Stakeholder.objects.create(name="Ada", email="ada@example.com").components.add(api)
    confirmed_email(public_client, "ada@example.com")
    incident, _ = do_declare(actor, title="API errors", components={api: "partial_outage"})
    update = post_update(actor, incident)
    outbox.plan_update(update.pk)
    assert Notification.objects.filter(update=update, destination="ada@example.com").count() == 1


def test_signing_up_a_confirmed_address_again_sends_its_manage_link_and_changes_nothing(public_client, api):
    subscriber = confirmed_email(public_client, "ada@example.com", [api])
    response = public_client.post(SUBSCRIBE, {"email": "ada@example.com"})
    assert response.status_code == 200 and b"Check your inbox" in response.content  # as for a new address
    assert list(subscriber.components.all()) == [api]
    reminder = rows_to("ada@example.com").last()
    assert "subscribed already" in reminder.body
    assert link(outbox._message(reminder).body, "subscription") == link(
        services.manage_url(subscriber).replace("http://", "http://"), "subscription"
    )


# --- Input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", b"Enter a valid email address."),
        ({"phone": "12345"}, "phone", b"is not a phone number"),
        ({"url": "ftp://example.com/x"}, "url", b"full address"),
        ({}, None, b"Fill in an email address, a phone number or a webhook URL."),
        ({"email": "a@example.com", "phone": "+14155552671"}, None, b"Fill in only one"),
        ({"email": "a@example.com", "components": ["999999"]}, "components", b"Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(public_client, api, data, field, message):
    response = public_client.post(SUBSCRIBE, data)
    assert response.status_code == 400
    assert message in response.content
    assert not Subscriber.objects.exists() and not Notification.objects.exists()
    if "email" in data:
        assert data["email"].encode() in response.content  # what was typed is kept


def test_a_webhook_to_a_private_address_is_refused(public_client):
    response = public_client.post(SUBSCRIBE, {"url": "http://127.0.0.1:6379/"})
    assert response.status_code == 400
    assert b"private or loopback" in response.content
    assert not Subscriber.objects.exists()


def test_the_subscribe_form_needs_no_csrf_token_but_the_manage_form_does(public_client, api):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(SUBSCRIBE, {"email": "ada@example.com"}).status_code == 200
    subscriber = Subscriber.objects.get()
    manage = link(services.manage_url(subscriber), "subscription")
    assert strict.post(manage, {"cancel": "1"}).status_code == 403
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


# --- SMS ---------------------------------------------------------------------------------------------


def code_in(body: str) -> str:
    return re.search(r"your code is (\d{6})", body).group(1)


def test_an_sms_subscriber_confirms_with_the_code_texted(actor, outage, public_client, api):
    response = public_client.post(SUBSCRIBE, {"phone": "+1 415 555 2671", "components": [api.pk]})
    assert response.status_code == 302
    code_page = response["Location"]
    assert "/status/subscribe/code/" in code_page
    texted = rows_to("+14155552671").get()
    assert texted.medium == "sms"
    code = code_in(texted.body)
    assert code not in Subscriber.objects.values_list("code_hash", flat=True).get()  # only a hash is kept

    wrong = "000000" if code != "000000" else "111111"
    response = public_client.post(code_page, {"code": wrong})
    assert response.status_code == 400 and b"That code is wrong" in response.content
    assert Subscriber.objects.get().code_attempts == 1
    response = public_client.post(code_page, {"code": code})
    assert response.status_code == 302
    assert Subscriber.objects.get().confirmed

    [row] = plan(post_update(actor, outage))
    assert row.medium == "sms" and row.destination == "+14155552671"
    assert "Manage or stop: [manage link]" in row.body  # stored without the link: it is put in as it is sent
    assert "Manage or stop: http" in outbox._message(row).body


def test_with_twilio_set_up_the_code_is_texted_by_twilio(public_client, fake_twilio):
    code_page = public_client.post(SUBSCRIBE, {"phone": "+14155552671"})["Location"]
    outbox.send_due("twilio_sms")
    assert fake_twilio.sent_to() == ["+14155552671"]
    code = code_in(fake_twilio.requests[0].form["Body"])
    assert public_client.post(code_page, {"code": code}).status_code == 302
    assert Subscriber.objects.get().confirmed


def test_the_code_is_void_after_five_wrong_tries(public_client):
    code_page = public_client.post(SUBSCRIBE, {"phone": "+14155552671"})["Location"]
    code = code_in(rows_to("+14155552671").get().body)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(services.MAX_CODE_ATTEMPTS):
        public_client.post(code_page, {"code": wrong})
    assert public_client.post(code_page, {"code": code}).status_code == 400
    assert not Subscriber.objects.get().confirmed


def test_texting_stop_ends_an_sms_subscription(public_client):
    code_page = public_client.post(SUBSCRIBE, {"phone": "+14155552671"})["Location"]
    public_client.post(code_page, {"code": code_in(rows_to("+14155552671").get().body)})
    do_sms_opt_out("+14155552671")
    assert not Subscriber.objects.exists()


# --- Webhook -----------------------------------------------------------------------------------------


def subscribe_webhook(public_client, url: str):
    """Subscribe URL, then do what a worker does after the commit: send the verification request."""
    response = public_client.post(SUBSCRIBE, {"url": url})
    subscriber = Subscriber.objects.filter(kind="webhook", address=url).first()
    if subscriber is not None:
        webhook_challenge.do_verify_webhook(subscriber.pk)
    return response


def signed_with(secret: str, request) -> bool:
    timestamp = request.headers["X-Vigil-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return request.headers["X-Vigil-Signature"] == f"sha256={expected}"


def test_a_webhook_that_echoes_the_challenge_is_confirmed_then_hears_updates_signed(
    actor, outage, public_client, receiver, eager_celery
):
    with _capture(execute=True):  # the verification task is queued after commit, and runs at once here
        response = public_client.post(SUBSCRIBE, {"url": f"{receiver.url}/hooks/status"})
    assert response.status_code == 200 and b"verification request" in response.content
    secret = re.search(rb'data-testid="webhook-secret">([0-9a-f]{64})<', response.content).group(1).decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed and subscriber.secret == secret
    verify = receiver.requests[0]
    assert verify.headers["X-Vigil-Event"] == "subscription.verify" and signed_with(secret, verify)
    assert verify.json == {"event": "subscription.verify", "challenge": webhook_challenge.challenge(subscriber)}

    update = post_update(actor, outage)
    plan(update)
    outbox.send_due("webhook")
    assert [r.path for r in receiver.requests] == ["/hooks/status"] * 3
    assert receiver.events() == ["subscription.verify", "subscription.confirmed", "incident.update"]
    by_event = {r.headers["X-Vigil-Event"]: r for r in receiver.requests}
    assert by_event["subscription.confirmed"].json["manage_url"] == services.manage_url(subscriber)
    request = by_event["incident.update"]
    assert signed_with(secret, request)
    payload = json.loads(request.body)
    assert payload["update"]["message"] == "Errors are back to normal levels; watching."
    assert payload["manage_url"] == services.manage_url(subscriber)


def test_a_webhook_that_does_not_echo_stays_unconfirmed_and_gets_only_the_verify_request(
    actor, outage, public_client, receiver
):
    receiver.echo = False  # answers 200, but without the challenge
    assert subscribe_webhook(public_client, f"{receiver.url}/hook").status_code == 200
    assert not Subscriber.objects.get().confirmed
    assert plan(post_update(actor, outage)) == []
    outbox.send_due("webhook")
    assert receiver.events() == ["subscription.verify"]

    # Subscribing again sends a new key and a new challenge, which it may answer this time.
    first = Subscriber.objects.get()
    receiver.echo = True
    subscribe_webhook(public_client, f"{receiver.url}/hook")
    again = Subscriber.objects.get()
    assert again.confirmed and webhook_challenge.challenge(again) != webhook_challenge.challenge(first)


def test_the_url_from_the_issue_is_refused_at_subscribe_and_at_send(
    actor, outage, public_client, receiver, documentation_net_is_public
):
    """http://127.0.0.1:PORT\\@192.0.2.10/x: urlsplit sees 192.0.2.10 (public here), requests connects to 127.0.0.1."""
    url = f"http://127.0.0.1:{receiver.port}\\@192.0.2.10/x"
    response = public_client.post(SUBSCRIBE, {"url": url})
    # As if the address had been stored before this check existed: refused at send too.
    Subscriber.objects.get_or_create(kind="webhook", address=url, defaults={"confirmed_at": timezone.now()})
    plan(post_update(actor, outage))
    outbox.send_due("webhook")
    assert receiver.requests == []  # nothing reached the loopback server
    assert response.status_code == 400 and b"backslash" in response.content
    assert "backslash" in Notification.objects.get(subscriber__address=url, state=State.FAILED).error
    assert [a for a in documentation_net_is_public if a[1] == receiver.port or a[0] == "192.0.2.10"] == []


@pytest.mark.parametrize(
    "host",
    [
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::7f00:1]",  # IPv4-compatible
        "[64:ff9b::7f00:1]",  # NAT64
        "[2002:7f00:1::1]",  # 6to4
        "[2001:0:808:808:0:0:80ff:fffe]",  # Teredo, client 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of the cloud metadata address
    ],
)
def test_a_webhook_at_an_ipv6_form_of_a_private_address_is_refused(public_client, host):
    response = public_client.post(SUBSCRIBE, {"url": f"http://{host}:8080/hook"})
    assert response.status_code == 400 and b"private or loopback" in response.content
    assert not Subscriber.objects.exists()


def test_a_webhook_whose_name_rebinds_to_loopback_is_dialled_only_at_the_address_checked(
    actor, outage, receiver, documentation_net_is_public, monkeypatch
):
    """DNS answers 192.0.2.10 (public here) the first time and 127.0.0.1 after: checking one answer and
    connecting by the name again would reach the loopback receiver."""
    real, asked = socket.getaddrinfo, []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        address = "192.0.2.10" if len(asked) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = f"http://rebind.example:{receiver.port}/hook"
    Subscriber.objects.create(kind="webhook", address=url, confirmed_at=timezone.now(), secret="k" * 64)
    plan(post_update(actor, outage))
    outbox.send_due("webhook")
    assert receiver.requests == []
    assert asked == ["rebind.example"]
    assert [a for a in documentation_net_is_public if a[1] == receiver.port] == [("192.0.2.10", receiver.port)]


def test_a_webhook_whose_host_turned_private_is_not_sent(actor, outage, public_client, receiver, settings):
    subscribe_webhook(public_client, f"{receiver.url}/hook")
    assert Subscriber.objects.get().confirmed
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = []  # loopback no longer allowed
    plan(post_update(actor, outage))
    outbox.send_due("webhook")
    assert receiver.events() == ["subscription.verify"]
    failed = Notification.objects.filter(subscriber__isnull=False, state=State.FAILED)
    assert failed.count() == 2 and "private or loopback" in failed.first().error


# --- Rate limits -------------------------------------------------------------------------------------


def test_one_client_is_limited_to_its_rate(public_client, settings):
    settings.VIGIL_STATUS_SUBSCRIBE_RATE = "3/h"
    for n in range(3):
        assert public_client.post(SUBSCRIBE, {"email": f"p{n}@example.com"}).status_code == 200
    response = public_client.post(SUBSCRIBE, {"email": "p4@example.com"})
    assert response.status_code == 429
    assert b"Too many subscription requests" in response.content
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Subscriber.objects.count() == 3
    # Another client is not held back.
    other = public_client.post(SUBSCRIBE, {"email": "p5@example.com"}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_one_address_is_limited_to_its_rate_from_any_client(public_client, settings):
    settings.VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE = "2/h"
    for n in range(2):
        response = public_client.post(SUBSCRIBE, {"email": "ada@example.com"}, REMOTE_ADDR=f"203.0.113.{n}")
        assert response.status_code == 200
    response = public_client.post(SUBSCRIBE, {"email": "ada@example.com"}, REMOTE_ADDR="203.0.113.50")
    assert response.status_code == 429
    assert rows_to("ada@example.com").count() == 2


def test_a_cache_that_cannot_count_lets_sign_ups_through_and_says_so(public_client, settings, caplog):
    settings.VIGIL_STATUS_SUBSCRIBE_RATE = "1/h"
    closed_port = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES={"default": closed_port}):
        for n in range(3):
            assert public_client.post(SUBSCRIBE, {"email": f"q{n}@example.com"}).status_code == 200
    assert Subscriber.objects.count() == 3
    assert "Rate limit subscribe-ip unavailable" in caplog.text


# --- Manage links ------------------------------------------------------------------------------------


def test_forged_or_tampered_manage_links_are_refused(public_client, api):
    subscriber = confirmed_email(public_client, "ada@example.com")
    good = link(services.manage_url(subscriber), "subscription")
    signed = good.split("/")[-2]
    token, _, signature = signed.partition(":")
    forged = [
        f"{token}:{tampered(signature)}",  # altered signature
        f"{tampered(token)}:{signature}",  # another token under this signature
        token,  # no signature at all
        signing.TimestampSigner(salt=services.CONFIRM_SALT).sign(token),  # a confirmation link's signature
        signing.Signer(salt="something else").sign(token),
    ]
    assert signed not in forged  # a forgery that happened to equal the real link would answer 200
    for value in forged:
        for method in ("get", "post"):
            response = getattr(public_client, method)(f"/status/subscription/{value}/", {"cancel": "1"})
            assert response.status_code == 400, value
            assert b"not valid" in response.content
    gone = signing.Signer(salt=services.MANAGE_SALT).sign("no-such-token")
    assert public_client.get(f"/status/subscription/{gone}/").status_code == 404
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert public_client.get(good).status_code == 200


def test_the_manage_link_changes_components_and_cancels(actor, public_client, api, website):
    subscriber = confirmed_email(public_client, "ada@example.com")
    manage = link(services.manage_url(subscriber), "subscription")
    response = public_client.post(manage, {"components": [website.pk], "save": "1"})
    assert response.status_code == 200 and b"Saved." in response.content
    assert list(subscriber.components.all()) == [website]
    assert public_client.post(manage, {"components": ["abc"]}).status_code == 400
    assert list(subscriber.components.all()) == [website]

    subscriber.components.clear()
    incident, _ = do_declare(actor, title="API errors", components={api: "partial_outage"})
    [queued] = plan(post_update(actor, incident))
    response = public_client.post(manage, {"cancel": "1"})
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert not Subscriber.objects.exists()
    queued.refresh_from_db()
    assert queued.state == State.CANCELLED  # what was queued is not sent after all
    assert public_client.get(manage).status_code == 404


# --- Sending in bulk ---------------------------------------------------------------------------------


def test_sendgrid_takes_subscribers_in_one_request_each_with_their_own_link(
    actor, outage, public_client, fake_sendgrid
):
    people = [confirmed_email(public_client, f"p{n}@example.com") for n in range(3)]
    outbox.send_due("sendgrid")
    fake_sendgrid.requests.clear()
    plan(post_update(actor, outage))
    outbox.send_due("sendgrid")
    [request] = fake_sendgrid.requests
    mail = request.json
    assert "-vigil_personal-" in mail["content"][0]["value"]
    links = {p["to"][0]["email"]: p["substitutions"]["-vigil_personal-"] for p in mail["personalizations"]}
    assert links == {p.address: services.manage_url(p) for p in people}


# --- The page ----------------------------------------------------------------------------------------


def test_the_page_carries_the_form_and_still_costs_no_query(
    outage, public_client, api, website, settings, django_assert_num_queries
):
    snapshots.rebuild()
    with django_assert_num_queries(0):
        response = public_client.get("/status/")
    page = response.content.decode()
    assert f'action="{settings.VIGIL_BASE_URL}/status/subscribe/"' in page  # absolute: the export works too
    assert f'name="components" value="{api.pk}"' in page and f'name="components" value="{website.pk}"' in page
    assert "csrfmiddlewaretoken" not in page  # the snapshot is the same bytes for everyone
    assert public_client.get(SUBSCRIBE).status_code == 200


def test_the_pages_with_a_signed_link_are_not_cached_indexed_or_referred(public_client):
    subscriber = Subscriber.objects.create(kind="email", address="ada@example.com")
    response = public_client.get(link(services.manage_url(subscriber), "subscription"))
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex"


def test_an_admin_deleting_a_subscriber_cancels_what_is_queued(web_clients, actor, outage, public_client):
    subscriber = confirmed_email(public_client, "ada@example.com")
    [queued] = plan(post_update(actor, outage))
    response = web_clients["admin"].post(f"/admin/comms/subscriber/{subscriber.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    queued.refresh_from_db()
    assert queued.state == State.CANCELLED
    assert web_clients["responder"].get("/admin/comms/subscriber/").status_code == 302  # admins only


def test_a_fan_out_reads_subscribers_in_bulk(actor, api, django_assert_num_queries):
    """The reads of planning an update do not grow with its subscribers (no query per recipient); the
    rows are written in batches (on SQLite, a few dozen rows a statement)."""

    def queries_for(subscribers: int) -> int:
        Subscriber.objects.bulk_create(
            Subscriber(kind="email", address=f"s{subscribers}-{n}@example.com", confirmed_at=timezone.now())
            for n in range(subscribers)
        )
        incident, _ = do_declare(actor, title=f"Outage {subscribers}", components={api: "partial_outage"})
        update = post_update(actor, incident)
        with CaptureQueriesContext(connection) as queries:
            outbox.plan_update(update.pk)
        assert Notification.objects.filter(update=update).count() == Subscriber.objects.count()
        return sum(1 for query in queries if query["sql"].lstrip().upper().startswith("SELECT"))

    assert queries_for(3) == queries_for(300)


def test_a_bad_rate_setting_fails_the_system_check(settings):
    from comms.checks import check_rates

    assert check_rates() == []
    settings.VIGIL_STATUS_SUBSCRIBE_RATE = "lots"
    [error] = check_rates()
    assert error.id == "comms.E001" and "VIGIL_STATUS_SUBSCRIBE_RATE" in error.msg
