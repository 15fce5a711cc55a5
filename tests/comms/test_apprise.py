"""Apprise end to end: the real library formats and sends, through its own json:// and form:// services, to
a receiver this test starts on loopback; what it sends, retries, refuses, and who may see its URLs."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from comms import outbox, rules_for
from comms.models import AppriseTarget, Endpoint, Fanout, Notification, NotificationRule, State
from incidents import paging
from incidents.models import PublicStatus
from incidents.services import do_post_update
from tests.conftest import api_client_for, make_user
from vigil import privacy
from vigil.roles import Role

from .fakes import FakeReceiver

TOKEN = "APPRISE-SECRET-7qk"


@pytest.fixture
def paged_person(db, receiver):
    person = make_user("apprise-ann", Role.RESPONDER)
    AppriseTarget.objects.create(
        user=person, url=f"json://ann:{TOKEN}@127.0.0.1:{receiver.server.server_address[1]}/hook"
    )
    NotificationRule.objects.create(user=person, medium="apprise", delay_minutes=0)
    return person


def page_row(person, incident) -> Notification:
    outbox.plan_page(paging.page(person, incident))
    return Notification.objects.get(user=person, medium="apprise")


def test_a_page_arrives_by_apprise_with_its_title_body_and_ack_link(paged_person, incident, receiver):
    row = page_row(paged_person, incident)
    assert row.channel == "apprise"

    outbox.send_due("apprise")

    (request,) = receiver.requests
    sent = request.json
    assert "API errors" in sent["title"]
    assert "/incidents/ack/" in sent["message"]
    assert paging.ACK_LINK not in sent["message"]
    row.refresh_from_db()
    assert row.state == State.SENT


def test_a_rule_without_an_apprise_url_reaches_nobody_and_says_so(db):
    person = make_user("apprise-bob", Role.RESPONDER)
    rule = NotificationRule.objects.create(user=person, medium="apprise", delay_minutes=0)
    assert rules_for.problem(rule) == "no Apprise URL"
    AppriseTarget.objects.create(user=person, url="json://hooks.example/x")
    assert rules_for.problem(rule) == ""


def test_a_public_update_reaches_an_apprise_endpoint(actor, incident, receiver):
    Endpoint.objects.create(
        name="Team chat", kind="apprise", url=f"form://127.0.0.1:{receiver.server.server_address[1]}/in"
    )
    update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Some calls fail; we are on it.")
    Fanout.objects.get_or_create(update=update)
    outbox.plan_update(update.pk)

    outbox.send_due("apprise")

    (request,) = receiver.requests
    assert "Some calls fail; we are on it." in request.form["message"]
    assert "API errors" in request.form["title"]
    assert Notification.objects.get(endpoint__isnull=False).state == State.SENT


def test_a_refusal_is_retried_and_the_page_goes_once(paged_person, incident, receiver):
    # The normal back-off, so a slow machine cannot see the row due again within one send_due; the
    # test makes it due by hand.
    receiver.fail_next(1, 500)
    row = page_row(paged_person, incident)

    outbox.send_due("apprise")
    row.refresh_from_db()
    assert row.state == State.QUEUED and row.attempts == 1
    assert TOKEN not in row.error

    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outbox.send_due("apprise")
    outbox.send_due("apprise")

    row.refresh_from_db()
    assert row.state == State.SENT
    assert [r.status for r in receiver.requests] == [500, 200]


def test_the_address_rule_refuses_a_private_address(db, incident, settings):
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = []
    fake = FakeReceiver().start()
    try:
        person = make_user("apprise-cy", Role.RESPONDER)
        AppriseTarget.objects.create(user=person, url=f"json://127.0.0.1:{fake.server.server_address[1]}/hook")
        NotificationRule.objects.create(user=person, medium="apprise", delay_minutes=0)
        row = page_row(person, incident)

        outbox.send_due("apprise")

        row.refresh_from_db()
        assert row.state == State.FAILED
        assert "loopback" in row.error
        assert fake.requests == []
    finally:
        fake.stop()


@pytest.mark.parametrize("url", ["nope://hooks.example/x", "https://hooks.example/x", "json://a json://b"])
def test_an_unusable_apprise_url_is_refused_by_the_api_naming_the_field(admin_user, db, url):
    client = api_client_for(admin_user)
    made = client.post("/api/v1/comms-endpoints/", {"name": "Chat", "kind": "apprise", "url": url})
    assert made.status_code == 400
    (error,) = made.json()["errors"]
    assert error["attr"] == "url" and "Apprise cannot use this URL" in error["detail"]
    assert not Endpoint.objects.exists()


def test_an_unusable_apprise_url_is_refused_by_the_form(web_clients, db):
    form = {"name": "Chat", "kind": "apprise", "url": "nope://hooks.example/x", "enabled": "on"}
    when = {"created_at_0": "2026-01-01", "created_at_1": "00:00:00"}
    response = web_clients["admin"].post("/admin/comms/endpoint/add/", {**form, **when})
    assert response.status_code == 200
    assert "Apprise cannot use this URL" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_webhook_endpoint_still_needs_an_http_url(admin_user, db):
    made = api_client_for(admin_user).post(
        "/api/v1/comms-endpoints/", {"name": "H", "kind": "webhook", "url": "json://x.example/"}
    )
    assert made.status_code == 400 and made.json()["errors"][0]["attr"] == "url"


def test_the_url_never_reaches_the_logs(paged_person, incident, receiver, caplog, fast_retries):
    caplog.set_level(logging.DEBUG)
    receiver.fail_next(1, 500)
    row = page_row(paged_person, incident)
    outbox.send_due("apprise")
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outbox.send_due("apprise")
    from comms import apprise_urls

    assert apprise_urls.service(f"nope://{TOKEN}/x") is None
    assert TOKEN not in caplog.text
    assert receiver.requests  # something was sent, and logged about


def test_only_its_owner_and_admins_see_an_apprise_url(paged_person, incident, personas, receiver):
    row = page_row(paged_person, incident)
    endpoint = Endpoint.objects.create(name="Ops chat", kind="apprise", url=f"json://hooks.example/{TOKEN}-END")
    for name, sees in [("admin", True), ("responder", False), ("viewer", False)]:
        client = api_client_for(personas[name])
        notification = client.get(f"/api/v1/notifications/{row.pk}/").json()
        assert (TOKEN in str(notification)) is sees, name
        if name == "admin":
            assert TOKEN in client.get(f"/api/v1/comms-endpoints/{endpoint.pk}/").json()["url"]
    own = api_client_for(paged_person).get(f"/api/v1/notifications/{row.pk}/").json()
    assert TOKEN in own["destination"]
    viewer_sees = api_client_for(personas["viewer"]).get(f"/api/v1/notifications/{row.pk}/").json()
    assert viewer_sees["destination"] == "json://•••"  # user@host could as well be user@token: scheme only


@pytest.mark.parametrize(
    "url, mask",
    [
        ("json://hooks.example/path", "json://hooks.example/•••"),
        ("tgram://123456:ABCDEF/987", "tgram://•••"),
        ("pover://userkey@apptoken", "pover://•••"),
        ("discord://1234/token", "discord://•••"),
    ],
)
def test_an_apprise_url_is_masked_to_its_scheme_and_a_network_host(url, mask):
    assert privacy.mask_apprise(url) == mask
