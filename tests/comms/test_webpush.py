"""Pages by Web Push (issue #19): pywebpush sends for real, through vigil.http, to a fake push service on
loopback that checks the VAPID JWT and decrypts each message as the device would (tests/comms/webpush_fake.py)."""

import json
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client

from comms import outbox
from comms.models import Notification, NotificationRule, PushSubscription, State, VapidKey
from comms.push import vapid
from incidents import paging
from incidents.models import Incident, Status
from incidents.services import do_declare
from tests.conftest import make_user
from vigil.audit import SYSTEM
from vigil.roles import Role

from .webpush_fake import FakePushService

SUBJECT = "mailto:oncall-admin@example.com"


@pytest.fixture
def push_service(settings, loopback_receivers, fast_retries):
    settings.VIGIL_VAPID_SUBJECT = SUBJECT
    fake = FakePushService(SUBJECT).start()
    yield fake
    fake.stop()
    assert fake.errors == []  # every request carried a valid VAPID JWT and decrypted


@pytest.fixture
def oncall(roles):
    user = make_user("olive-oncall", Role.RESPONDER)
    NotificationRule.objects.create(user=user, medium="push")
    return user


def subscribe(user, device) -> PushSubscription:
    client = Client()
    client.force_login(user)
    response = client.post(
        "/comms/devices/subscribe/",
        json.dumps(device.subscription_json()),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
    )
    assert response.status_code == 201, response.content
    return PushSubscription.objects.get(pk=response.json()["id"])


def paged(user, title="Checkout returns 502"):
    incident, _ = do_declare(SYSTEM, title=title, severity="sev1")
    with transaction.atomic():
        page = paging.page(user, incident)
    outbox.plan_page(page)
    return page


def send():
    return outbox.send_due("webpush", lane=outbox.PAGE_LANE)


def test_a_page_reaches_each_device_once_with_its_title_body_and_ack_link(push_service, oncall):
    phone, laptop = push_service.device("phone"), push_service.device("laptop")
    subscribe(oncall, phone)
    subscribe(oncall, laptop)
    page = paged(oncall)
    rows = Notification.objects.filter(page=page, medium="push")
    assert rows.count() == 2 and {r.channel for r in rows} == {"webpush"}

    assert send() == 2
    assert set(rows.values_list("state", flat=True)) == {State.SENT}
    for device in (phone, laptop):
        [message] = device.received
        data = message["payload"]
        assert data["title"] == f"[SEV1] #{page.incident_id} Checkout returns 502"
        assert data["url"].endswith(f"/incidents/{page.incident_id}/")
        assert "/comms/push/ack/" in data["ack_url"] and paging.ACK_LINK not in data["body"]
        assert data["tag"] == f"vigil-incident-{page.incident_id}" and data["severity"] == "sev1"
        assert message["urgency"] == "high"
        assert message["claims"]["k"] == VapidKey.objects.get().public_key
    assert "/comms/push/ack/" not in "".join(rows.values_list("body", flat=True))  # never stored

    outbox.plan_page(page)  # planned again: nothing new
    assert send() == 0 and rows.count() == 2
    assert [len(d.received) for d in (phone, laptop)] == [1, 1]
    assert all(s.last_success_at for s in PushSubscription.objects.all())


def test_posting_the_ack_url_acknowledges_once_without_a_session_or_csrf_token(push_service, oncall):
    phone = push_service.device("phone")
    subscribe(oncall, phone)
    page = paged(oncall)
    send()
    ack_path = urlsplit(phone.received[0]["payload"]["ack_url"]).path
    worker = Client(enforce_csrf_checks=True)  # as the service worker's fetch: no cookie, no token

    first = worker.post(ack_path)
    assert first.status_code == 200 and first.json()["ok"] is True
    assert Incident.objects.get(pk=page.incident_id).status == Status.ACKNOWLEDGED
    page.refresh_from_db()
    assert page.link_used_via == "push"

    again = worker.post(ack_path)
    assert again.status_code == 410 and "already used" in again.json()["message"]  # gone, as for ntfy
    assert worker.get(ack_path).status_code == 302  # opened as a link: the page that asks first
    assert worker.post(ack_path.replace("/ack/", "/ack/x")).status_code == 404


def test_a_device_the_push_service_says_is_gone_is_deleted_and_its_row_fails(push_service, oncall):
    phone, laptop = push_service.device("phone"), push_service.device("laptop")
    gone = subscribe(oncall, phone)
    subscribe(oncall, laptop)
    phone.answers.append((410, {}))
    page = paged(oncall)

    send()
    row = Notification.objects.get(page=page, destination=str(gone.pk))
    assert (row.state, row.error) == (State.FAILED, "device unsubscribed")
    assert not PushSubscription.objects.filter(pk=gone.pk).exists()
    assert len(laptop.received) == 1  # the other device is not affected
    assert NotificationRule.objects.get(user=oncall).medium == "push"


def test_a_429_is_tried_again_after_its_retry_after_and_then_sent_once(push_service, oncall):
    phone = push_service.device("phone")
    subscribe(oncall, phone)
    phone.answers.append((429, {"Retry-After": "0"}))
    page = paged(oncall)

    send()
    row = Notification.objects.get(page=page)
    assert (row.state, row.attempts) == (State.QUEUED, 1) and "429" in row.error
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    send()
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.SENT, 2)
    assert len(phone.received) == 1
    assert send() == 0 and len(phone.received) == 1


def test_a_413_fails_at_once(push_service, oncall):
    phone = push_service.device("phone")
    subscribe(oncall, phone)
    phone.answers.append((413, {}))
    page = paged(oncall)
    send()
    row = Notification.objects.get(page=page)
    assert row.state == State.FAILED and "413" in row.error and row.attempts == 1


def test_a_push_rule_without_a_device_plans_nothing_and_says_why(push_service, oncall):
    from comms.rules_for import problem

    page = paged(oncall)
    assert not Notification.objects.filter(page=page).exists()
    assert problem(NotificationRule.objects.get(user=oncall)) == "no device has push turned on"


def test_the_vapid_key_pair_is_made_once_and_kept(db):
    first = vapid.public_key()
    assert vapid.public_key() == first and VapidKey.objects.count() == 1
    assert vapid.signer().public_key is not None


def test_devices_are_shown_only_to_their_owner_and_never_in_full(push_service, oncall, responder, client):
    phone = push_service.device("phone-secret-path")
    device = subscribe(oncall, phone)
    client.force_login(oncall)
    mine = client.get("/comms/devices/").content.decode()
    assert "Chrome on Android" in mine and "127.0.0.1" in mine and "phone-secret-path" not in mine
    assert device.p256dh not in mine and device.auth not in mine

    client.force_login(responder)
    theirs = client.get("/comms/devices/").content.decode()
    assert "Chrome on Android" not in theirs and "127.0.0.1</td>" not in theirs
    assert client.post(f"/comms/devices/{device.pk}/remove/").status_code == 404
    client.force_login(oncall)
    assert client.post(f"/comms/devices/{device.pk}/remove/").status_code == 302
    assert not PushSubscription.objects.exists()


def test_the_service_worker_and_manifest_are_served_from_the_root(client, db):
    worker = client.get("/sw.js")
    assert worker["Content-Type"].startswith("text/javascript") and worker["Cache-Control"] == "no-cache"
    assert b"notificationclick" in worker.content
    manifest = client.get("/manifest.webmanifest")
    data = json.loads(manifest.content)
    assert manifest["Content-Type"] == "application/manifest+json"
    assert (data["start_url"], data["display"]) == ("/", "standalone")
    assert any(icon["type"] == "image/png" for icon in data["icons"])
