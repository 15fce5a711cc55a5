"""In a real browser: a spike of negative mentions during an outage shows on the incident's page and
in the needs-response queue, and the communications lead answers one from there.

The mentions come in through the webhook over HTTP, as a listening tool would send them; beat's
spike detector is called as its task would be.
"""

import random
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from incidents.models import Component, ComponentStatus, Incident, Source
from incidents.services import do_declare
from reputation import services, spikes
from reputation.models import Mention, MentionSource, MentionState
from reputation.services import MentionIn, ingest
from tests.browser_harness import login
from vigil.audit import Actor

pytestmark = pytest.mark.browser

SPIKE = 30


def quiet_week(source) -> None:
    """A week of ordinary chatter before this hour: two to five mentions an hour, mostly neutral."""
    rng = random.Random(5)
    this_hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    items = []
    for hours_ago in range(1, 24 * 7 + 2):
        for n in range(rng.randint(2, 5)):
            posted = this_hour - timedelta(hours=hours_ago) + timedelta(minutes=rng.uniform(0, 59))
            items.append(MentionIn(f"Reading the Acme docs on exports ({hours_ago}.{n})", published_at=posted))
    ingest(source, items)


def test_a_negative_spike_during_an_outage_shows_on_the_incident_and_in_the_queue(
    page, live_server, admin_user, responder, settings
):
    settings.VIGIL_REPUTATION_KEYWORDS = "Acme"
    actor = Actor(user=admin_user)
    hook = services.do_create_source(actor, name="Listening tool", kind=MentionSource.Kind.WEBHOOK)
    quiet_week(hook)
    checkout = Component.objects.create(name="Checkout")
    outage, _ = do_declare(
        actor, title="Checkout failing", severity="sev1", components={checkout: ComponentStatus.MAJOR_OUTAGE}
    )

    angry = [
        {"source": "twitter", "author": f"@buyer{n}", "url": f"https://twitter.com/buyer{n}/status/{9000 + n}",
         "text": f"Acme checkout is broken again, terrible. Lost my order #{n}"}
        for n in range(SPIKE)
    ]  # fmt: skip
    response = requests.post(
        f"{live_server.url}/monitors/reputation/hooks/{hook.pk}/",
        json=angry,
        headers={"X-Vigil-Secret": hook.secret},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == SPIKE
    assert response.json()["linked"] == SPIKE

    found = spikes.detect()
    assert len(found) == 1
    spike_incident = Incident.objects.get(source=Source.REPUTATION)
    assert spike_incident.title.startswith(f"Mention spike: {SPIKE} mentions in an hour")

    login(page, live_server, responder)
    page.goto(f"{live_server.url}{outage.get_absolute_url()}")
    panel = page.get_by_test_id("mentions-panel")
    assert panel.get_by_test_id("mentions-linked").inner_text().startswith(f"{SPIKE} mentions linked")
    assert panel.get_by_test_id("mentions-negative-share").inner_text() == "100% negative"
    waiting = panel.get_by_test_id("mentions-waiting")
    assert waiting.inner_text() == f"{SPIKE} waiting for a response"

    waiting.get_by_role("link").click()
    page.wait_for_url("**/monitors/reputation/queue/?incident=*")
    queue = page.get_by_test_id("needs-response")
    assert queue.get_by_test_id("mention").count() == SPIKE
    first = queue.get_by_test_id("mention").first
    assert "Acme checkout is broken again" in first.inner_text()
    mention_id = int(first.get_attribute("data-mention"))

    form = queue.get_by_test_id("answer-form").first
    form.get_by_label("Response given").fill("Sorry! Checkout is back; your order went through.")
    with page.expect_navigation():
        form.get_by_role("button", name="Mark responded").click()
    assert "Marked responded." in page.inner_text("main")
    assert page.get_by_test_id("needs-response").get_by_test_id("mention").count() == SPIKE - 1
    answered = Mention.objects.get(pk=mention_id)
    assert (answered.state, answered.responded_by) == (MentionState.RESPONDED, responder)

    # The spike's own incident is on the incident list, opened once.
    page.goto(f"{live_server.url}/incidents/")
    assert page.get_by_role("link", name=spike_incident.title).count() == 1
    assert page.js_errors == []
