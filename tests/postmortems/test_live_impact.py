"""A draft post-mortem's impact figures follow the incident's record until it is published (issue #15:
they froze when the incident resolved, so what happened after never reached them)."""

import pytest

from incidents.models import PublicStatus
from incidents.services import do_declare, do_post_update, do_reopen, do_resolve
from postmortems import services
from postmortems.models import PostMortem
from tests.conftest import api_client_for, make_user
from vigil.audit import Actor
from vigil.roles import Role


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def drafted(actor):
    """An incident with one public update, resolved, and its post-mortem drafted at that moment."""
    incident, _ = do_declare(actor, title="Checkout is down", severity="sev1")
    do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Checkouts fail; we are on it.")
    do_resolve(actor, incident)
    return services.do_draft_postmortem(actor, incident)


def updates_shown(client, postmortem: PostMortem) -> str:
    html = client.get(f"/postmortems/{postmortem.pk}/").content.decode()
    start = html.index('data-testid="impact-updates">') + len('data-testid="impact-updates">')
    return html[start : html.index("</td>", start)]


def publish(actor, postmortem: PostMortem) -> None:
    reviewer = make_user("bob-reviewer", Role.RESPONDER)
    services.do_set_reviewers(actor, postmortem, [reviewer])
    services.do_submit_for_review(actor, postmortem)
    services.do_sign_off(Actor(user=reviewer, via="web"), postmortem)
    services.do_publish(actor, postmortem, "A bad deploy; we rolled back.")


def test_a_draft_shows_what_happened_after_the_resolve_until_it_is_published(actor, drafted, web_clients, personas):
    assert drafted.impact["notifications"]["updates"] == 1
    first_duration = drafted.impact["duration"]
    # After the resolve: the closing public update, then a reopening and a second resolve.
    do_post_update(actor, drafted.incident, PublicStatus.RESOLVED, "Fixed: the deploy is rolled back.")
    assert updates_shown(web_clients["responder"], drafted).startswith("2, to ")
    do_reopen(actor, drafted.incident)
    do_resolve(actor, drafted.incident)
    api = api_client_for(personas["responder"])
    body = api.get(f"/api/v1/postmortems/{drafted.pk}/").json()
    assert body["impact"]["notifications"]["updates"] == 2
    assert body["impact"]["resolved_at"] != drafted.impact["resolved_at"]
    assert body["impact"]["duration"] >= first_duration
    stored = PostMortem.objects.get(pk=drafted.pk)
    assert stored.impact["notifications"]["updates"] == 2  # the export and the print view read it too

    # Published: frozen as they stood at that moment.
    publish(actor, stored)
    do_post_update(actor, drafted.incident, PublicStatus.RESOLVED, "A last word after publishing.")
    assert updates_shown(web_clients["responder"], drafted).startswith("2, to ")
    assert PostMortem.objects.get(pk=drafted.pk).impact["notifications"]["updates"] == 2


def test_a_viewer_reading_a_draft_sees_the_live_figures_too(actor, drafted, web_clients):
    do_post_update(actor, drafted.incident, PublicStatus.RESOLVED, "Fixed.")
    assert updates_shown(web_clients["viewer"], drafted).startswith("2, to ")
