"""The Outbox in a real browser: a public update's rows appear, and failed ones are retried by hand.

Email goes by the sandbox channel (no provider: the Outbox shows what would have gone); SMS goes
to a fake Twilio that refuses two numbers for good, so their rows fail on the first attempt.
Celery runs eagerly: posting the update fans out and sends within the request, as a worker would.
"""

import time

import pytest

from comms.models import Notification, Stakeholder, State
from incidents.models import IncidentUpdate
from tests.browser_harness import login

ANN, BOB, DAN = "ann@example.com", "+14155550101", "+14155550102"
CY = "+14155550103"


@pytest.fixture
def audience(api_component):
    people = [
        Stakeholder.objects.create(name="Ann", email=ANN, channels=["email"]),
        Stakeholder.objects.create(name="Bob", phone=BOB, channels=["sms"]),
        Stakeholder.objects.create(name="Cy", phone=CY, channels=["sms"]),
        Stakeholder.objects.create(name="Dan", phone=DAN, channels=["sms"]),
    ]
    api_component.interested_stakeholders.add(*people)
    return people


def rows_by_destination() -> dict[str, tuple[str, str, int]]:
    return {n.destination: (n.channel, n.state, n.attempts) for n in Notification.objects.all()}


def cells(page) -> dict[str, str]:
    """The Outbox table as {destination: state shown}."""
    shown = {}
    for row in page.get_by_test_id("outbox-row").all():
        tds = row.locator("td").all_inner_texts()
        shown[tds[3].strip()] = tds[5].strip()  # checkbox, when, channel, to, message, state
    return shown


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_update_fills_the_outbox_and_failed_rows_are_retried_by_hand(
    page, live_server, admin_user, incident, audience, fake_twilio, eager_celery, settings
):
    settings.VIGIL_EMAIL_CHANNEL = "sandbox"
    fake_twilio.refuse = {BOB, DAN}

    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.get_by_test_id("action-update").click()  # issue #15: the header's Update opens the composer
    page.select_option("#id_status", "identified")
    page.fill("#id_message", "A bad deploy; rolling back now.")
    with page.expect_navigation():
        page.get_by_role("button", name="Post update").click()
    update = IncidentUpdate.objects.get(incident=incident)
    wait_for(lambda: Notification.objects.filter(update=update).exclude(state=State.QUEUED).count() == 4)
    assert rows_by_destination() == {
        ANN: ("sandbox", "sent", 1),
        CY: ("twilio_sms", "sent", 1),
        BOB: ("twilio_sms", "failed", 1),
        DAN: ("twilio_sms", "failed", 1),
    }

    page.goto(f"{live_server.url}/comms/outbox/")
    assert cells(page) == {ANN: "Sent", CY: "Sent", BOB: "Failed", DAN: "Failed"}
    assert page.get_by_test_id("count-sent").inner_text() == "2"
    assert page.get_by_test_id("count-failed").inner_text() == "2"
    assert "A bad deploy; rolling back now." in page.get_by_test_id("outbox-row").first.inner_text()

    # The Failed view: only the failed rows, each with its provider's error and a box to tick.
    page.get_by_role("link", name="Failed").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Failed messages"
    assert cells(page) == {BOB: "Failed", DAN: "Failed"}
    assert "is not valid" in page.get_by_test_id("outbox-row").first.inner_text()

    fake_twilio.refuse = {DAN}  # Bob's number works now; Dan's still does not
    bob = Notification.objects.get(destination=BOB)
    page.get_by_label(f"Retry message {bob.pk}").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Retry selected").click()
    assert "Queued 1 message again." in page.locator("body").inner_text()
    wait_for(lambda: Notification.objects.get(pk=bob.pk).state == State.SENT)
    bob.refresh_from_db()
    assert (bob.state, bob.attempts, bob.error) == (State.SENT, 1, "")
    assert bob.provider_id.startswith("SM")
    assert Notification.objects.get(destination=DAN).state == State.FAILED  # not chosen: left alone

    page.reload()  # the Failed view again, after the retry
    assert cells(page) == {DAN: "Failed"}
    assert page.get_by_test_id("count-failed").inner_text() == "1"
    assert page.get_by_test_id("count-sent").inner_text() == "3"
    page.goto(f"{live_server.url}/comms/outbox/")
    assert cells(page) == {ANN: "Sent", CY: "Sent", BOB: "Sent", DAN: "Failed"}
    assert fake_twilio.sent_to() == [CY, BOB]
    assert not page.js_errors
