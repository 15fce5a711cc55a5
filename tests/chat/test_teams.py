"""Microsoft Teams, one way (issue #18): a valid Adaptive Card in the Workflows envelope for each incident
event, whose buttons open the incident page (never a page's signed link), retried when Teams is down."""

import pytest

from incidents import paging
from incidents.services import do_declare
from tests.comms.fakes import FakeReceiver
from vigil.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(settings, loopback_receivers):
    fake = FakeReceiver().start()
    settings.TEAMS_WORKFLOW_URL = fake.url + "/workflows/abc"
    yield fake
    fake.stop()


def declare(admin_user, capture):
    with capture(execute=True):
        incident, _ = do_declare(Actor(user=admin_user, via="web"), title="Checkout errors", severity="sev1")
    return incident


def cards(fake) -> list[dict]:
    return [request.json for request in fake.requests]


def test_declaring_posts_an_adaptive_card_with_open_and_acknowledge(
    teams, admin_user, eager_celery, django_capture_on_commit_callbacks
):
    incident = declare(admin_user, django_capture_on_commit_callbacks)
    payload = cards(teams)[0]
    assert payload["type"] == "message"
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert "Checkout errors" in card["body"][1]["text"]
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert set(facts) == {"Severity", "Status", "Commander", "Components"}
    urls = {action["title"]: action["url"] for action in card["actions"]}
    assert urls["Open"].endswith(incident.get_absolute_url())
    assert urls["Acknowledge"].startswith(urls["Open"])


def test_a_page_card_never_carries_the_signed_link(
    teams, admin_user, responder, eager_celery, django_capture_on_commit_callbacks
):
    incident = declare(admin_user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        paging.page(responder, incident)
    posted = str(cards(teams))
    assert "Paging" in posted and "/incidents/ack/" not in posted


def test_a_receiver_that_is_down_gets_the_card_on_a_retry(
    teams, admin_user, eager_celery, django_capture_on_commit_callbacks
):
    teams.fail_next(2, status=503)
    declare(admin_user, django_capture_on_commit_callbacks)
    assert len(teams.requests) == 3  # two refusals, then the card: nothing lost
    assert cards(teams)[-1]["attachments"][0]["content"]["type"] == "AdaptiveCard"


def test_without_a_workflow_url_nothing_is_posted(
    settings, admin_user, eager_celery, django_capture_on_commit_callbacks
):
    settings.TEAMS_WORKFLOW_URL = ""
    declare(admin_user, django_capture_on_commit_callbacks)  # no error, nothing queued
