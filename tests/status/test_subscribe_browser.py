"""Subscribing by email in a real browser (Chromium through Playwright), end to end through the sandbox outbox."""

import re

import pytest

from comms import outbox
from comms.models import Notification, State, Subscriber
from comms.status import snapshot as snapshots
from incidents.models import PublicStatus
from incidents.services import do_post_update

pytestmark = pytest.mark.browser


def link_in(body: str, kind: str) -> str:
    match = re.search(rf"https?://\S+/status/{kind}/\S+/", body)
    assert match, (kind, body)
    return match.group(0)


def test_subscribe_confirm_hear_an_update_and_unsubscribe(
    eager_celery, settings, live_server, page, actor, outage, api, website
):
    # Links in messages, and the snapshot's form, point at this server.
    settings.VIGIL_BASE_URL = live_server.url
    snapshots.rebuild()

    page.goto(f"{live_server.url}/status/")
    form = page.get_by_test_id("subscribe-form")
    form.get_by_label("Email").fill("ada@example.com")
    form.get_by_label("Public API").check()
    form.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/status/subscribe/")
    assert "Check your inbox" in page.get_by_test_id("subscribe-message").inner_text()

    # The confirmation, as the sandbox channel "sent" it (the Outbox page shows the same row).
    confirmation = Notification.objects.get(destination="ada@example.com")
    assert confirmation.state == State.SENT and confirmation.channel == "sandbox"
    page.goto(link_in(confirmation.body, "subscribe/confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()
    assert page.get_by_test_id("confirmed").is_visible()
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed and list(subscriber.components.all()) == [api]

    do_post_update(actor, outage, PublicStatus.MONITORING, "The rollback is done; we are watching error rates.")
    update_row = Notification.objects.get(destination="ada@example.com", update__isnull=False)
    assert update_row.state == State.SENT
    assert "The rollback is done; we are watching error rates." in update_row.body

    # The manage link is not stored: it is rendered into the message as it is handed to the channel.
    assert "[manage link]" in update_row.body
    page.goto(link_in(outbox._message(update_row).body, "subscription"))
    assert page.get_by_text("ada@example.com").is_visible()
    page.get_by_role("button", name="Unsubscribe").click()
    assert "You are unsubscribed" in page.get_by_test_id("subscribe-message").inner_text()
    assert not Subscriber.objects.exists()
    assert page.js_errors == []
