"""Pages by ntfy (comms.channels.ntfy), against a local fake ntfy server that answers as ntfy does:
priority from severity, title, tags, click URL, an Acknowledge button that acknowledges once, the
access token sent as Bearer and never shown or logged, 429 retried, 401 permanent, the address rule."""

import logging
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from comms import outbox, rules_for
from comms.models import Notification, NotificationRule, NtfyTarget, State
from incidents import paging
from incidents.models import Severity, Status
from incidents.services import do_change_severity
from tests.comms.fakes import FakeProvider
from tests.conftest import make_user
from vigil import privacy
from vigil.roles import Role

TOKEN = "tk_" + "n7fysecret" + "x" * 19


class FakeNtfy(FakeProvider):
    """POST / with a JSON message, as ntfy takes it. A topic in `protected` needs `Bearer <token>`."""

    def __init__(self):
        super().__init__()
        self.protected: dict[str, str] = {}

    def answer(self, path, body):
        request = self.requests[-1]  # recorded just before (FakeProvider's handler)
        message = request.json
        token = self.protected.get(message["topic"])
        if token is not None and request.headers.get("Authorization") != f"Bearer {token}":
            return 401, {"code": 40101, "http": 401, "error": "unauthorized"}, {}
        answer = {"id": secrets.token_hex(6), "time": int(time.time()), "event": "message", **message}
        return 200, answer, {}


@pytest.fixture
def ntfy(loopback_receivers):
    fake = FakeNtfy().start()
    yield fake
    fake.stop()


@pytest.fixture
def rita(responder, ntfy):
    """The responder, paged by ntfy on a protected topic of the fake server."""
    NtfyTarget.objects.create(user=responder, server=ntfy.url, topic="rita-pages-4f9", token=TOKEN)
    NotificationRule.objects.create(user=responder, medium="ntfy", delay_minutes=0)
    ntfy.protected["rita-pages-4f9"] = TOKEN
    return responder


def page_and_send(user, incident, capture) -> Notification:
    with capture(execute=True):
        page = paging.page(user, incident)
    outbox.send_due("ntfy")
    return Notification.objects.get(page=page, medium="ntfy")


def ack_path(message: dict) -> str:
    action = next(a for a in message["actions"] if a["action"] == "http")
    assert (action["label"], action["method"], action["clear"]) == ("Acknowledge", "POST", True)
    return urlsplit(action["url"]).path


def test_a_sev1_page_arrives_urgent_with_buttons_and_the_token_as_bearer(
    rita, incident, ntfy, actor, django_capture_on_commit_callbacks
):
    do_change_severity(actor, incident, Severity.SEV1)
    row = page_and_send(rita, incident, django_capture_on_commit_callbacks)
    request = ntfy.requests[-1]
    message = request.json
    assert request.path == "/" and request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert message["topic"] == "rita-pages-4f9" and message["priority"] == 5
    assert message["title"] == f"[SEV1] #{incident.pk} {incident.title}"
    assert "rotating_light" in message["tags"] and "sev1" in message["tags"]
    assert message["click"].endswith(incident.get_absolute_url())
    assert {"action": "view", "label": "Open", "url": message["click"]} in message["actions"]
    assert ack_path(message).startswith("/comms/hooks/ntfy/ack/")
    assert row.state == State.SENT and row.provider_id and row.destination == ntfy.url + "/"
    # The link is rendered at send time: neither the row nor the page holds it.
    assert "/ack/" not in row.body and paging.ACK_LINK in row.body


def test_the_acknowledge_button_acknowledges_once_without_a_csrf_token(
    rita, incident, ntfy, django_capture_on_commit_callbacks
):
    row = page_and_send(rita, incident, django_capture_on_commit_callbacks)
    path = ack_path(ntfy.requests[-1].json)
    web = Client(enforce_csrf_checks=True)  # ntfy posts with no cookie and no form
    assert web.get(path).status_code == 405  # a link preview acts on nothing
    first = web.post(path)
    assert first.status_code == 200 and first["Content-Type"].startswith("text/plain")
    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_by) == (Status.ACKNOWLEDGED, rita)
    assert incident.events.filter(kind="acknowledged").count() == 1

    incident.status = Status.TRIGGERED  # put back: the same button still does nothing more
    incident.save(update_fields=["status"])
    second = web.post(path)
    assert second.status_code == 410 and "already used" in second.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED and incident.events.filter(kind="acknowledged").count() == 1
    row.page.refresh_from_db()
    assert row.page.link_used_via == "ntfy"


def test_a_sev3_page_has_the_default_priority(rita, incident, ntfy, actor, django_capture_on_commit_callbacks):
    do_change_severity(actor, incident, Severity.SEV3)
    page_and_send(rita, incident, django_capture_on_commit_callbacks)
    assert ntfy.requests[-1].json["priority"] == 3


def test_429_is_tried_again_after_retry_after(rita, incident, ntfy, django_capture_on_commit_callbacks):
    ntfy.fail_next(1, 429, "30")
    before = timezone.now()
    row = page_and_send(rita, incident, django_capture_on_commit_callbacks)
    assert row.state == State.QUEUED and row.attempts == 1 and "429" in row.error
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # 30 s on
    outbox.send_due("ntfy")
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2 and len(ntfy.requests) == 2


def test_a_wrong_token_fails_for_good_with_a_clear_reason_and_is_never_logged(
    rita, incident, ntfy, caplog, django_capture_on_commit_callbacks
):
    ntfy.protected["rita-pages-4f9"] = "tk_another"
    with caplog.at_level(logging.DEBUG):
        row = page_and_send(rita, incident, django_capture_on_commit_callbacks)
    assert row.state == State.FAILED and row.attempts == 1
    assert "access token" in row.error and "401" in row.error
    stored = [row.error, row.body, row.destination, row.provider_id]
    assert TOKEN not in caplog.text and not any(TOKEN in text for text in stored)


def test_a_viewer_cannot_acknowledge_by_the_button(viewer, incident, ntfy, django_capture_on_commit_callbacks):
    NtfyTarget.objects.create(user=viewer, server=ntfy.url, topic="vera-pages")
    NotificationRule.objects.create(user=viewer, medium="ntfy")
    page_and_send(viewer, incident, django_capture_on_commit_callbacks)
    message = ntfy.requests[-1].json
    assert "Authorization" not in ntfy.requests[-1].headers  # no token, no header
    answer = Client(enforce_csrf_checks=True).post(ack_path(message))
    assert answer.status_code == 403 and "may no longer acknowledge" in answer.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED


def test_a_server_on_a_private_address_is_refused(responder, incident, django_capture_on_commit_callbacks):
    # No loopback_receivers: loopback is refused, as any private address is in production.
    fake = FakeNtfy().start()
    try:
        NtfyTarget.objects.create(user=responder, server=fake.url, topic="rita-pages")
        NotificationRule.objects.create(user=responder, medium="ntfy")
        row = page_and_send(responder, incident, django_capture_on_commit_callbacks)
    finally:
        fake.stop()
    assert row.state == State.FAILED and "cannot be reached" in row.error and not fake.requests


def test_a_rule_without_a_topic_says_so(responder):
    rule = NotificationRule.objects.create(user=responder, medium="ntfy")
    assert rules_for.problem(rule) == "no ntfy topic"
    NtfyTarget.objects.create(user=responder, topic="")
    assert rules_for.problem(rule) == "no ntfy topic" and rules_for.destination(responder, "ntfy", "") == ""
    NtfyTarget.objects.filter(user=responder).update(topic="rita")
    assert rules_for.problem(rule) == ""
    assert rules_for.destination(responder, "ntfy", "") == "https://ntfy.sh/"


def test_the_admin_never_shows_the_token(admin_client, rita):
    target = NtfyTarget.objects.get(user=rita)
    page = admin_client.get(f"/admin/comms/ntfytarget/{target.pk}/change/")
    assert page.status_code == 200 and TOKEN not in page.content.decode()
    # Saved with the box left blank, the token stays.
    form = {"user": rita.pk, "server": target.server, "topic": target.topic, "token": ""}
    assert admin_client.post(f"/admin/comms/ntfytarget/{target.pk}/change/", form).status_code == 302
    target.refresh_from_db()
    assert target.token == TOKEN


def test_the_topic_and_token_are_their_owners_and_admins_only(rita, admin_user, viewer):
    target = NtfyTarget.objects.get(user=rita)
    assert privacy.shown(rita, target, "token", target.token) == TOKEN
    assert privacy.shown(admin_user, target, "topic", target.topic) == target.topic
    for other in (viewer, make_user("rhea-responder", Role.RESPONDER), None):
        assert TOKEN not in str(privacy.shown(other, target, "token", target.token))
        assert target.topic not in str(privacy.shown(other, target, "topic", target.topic))


def test_the_admin_sends_a_test_message(admin_client, rita, ntfy, django_capture_on_commit_callbacks):
    target = NtfyTarget.objects.get(user=rita)
    form = {"action": "send_test", "_selected_action": [target.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post("/admin/comms/ntfytarget/", form).status_code == 302
    outbox.send_due("ntfy")
    row = Notification.objects.get(user=rita, medium="ntfy")
    message = ntfy.requests[-1].json
    assert row.state == State.SENT and message["topic"] == "rita-pages-4f9" and "actions" not in message
    assert message["priority"] == 3 and message["title"].startswith("Vigil test")
