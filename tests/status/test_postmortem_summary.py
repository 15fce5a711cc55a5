"""A published post-mortem's public summary and public timeline on the incident's public page; nothing of a draft."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.status import incident_extras
from comms.status import snapshot as snapshots
from postmortems.models import PostMortem, PostMortemTimelineEntry
from postmortems.services import (
    do_draft_postmortem,
    do_publish,
    do_set_reviewers,
    do_sign_off,
    do_submit_for_review,
)
from vigil.audit import Actor


def incident_page(public_client, incident) -> str:
    response = public_client.get(f"/status/incidents/{incident.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def published(incident, summary="A full disk stopped the database; we added alerts on disk space.") -> PostMortem:
    postmortem = PostMortem.objects.create(
        incident=incident,
        title="Checkout outage",
        status=PostMortem.Status.PUBLISHED,
        public_summary=summary,
        published_at=timezone.now(),
        root_cause="INTERNAL root cause words",
    )
    at = incident.started_at
    PostMortemTimelineEntry.objects.create(postmortem=postmortem, at=at, text="Errors began on the API.", public=True)
    PostMortemTimelineEntry.objects.create(
        postmortem=postmortem, at=at + timedelta(minutes=3), text="INTERNAL: paged the DBA on call", public=False
    )
    return postmortem


def test_a_published_post_mortem_shows_its_summary_and_public_timeline(outage, public_client):
    published(outage)
    snapshots.rebuild()
    page = incident_page(public_client, outage)
    assert 'data-testid="postmortem"' in page
    assert "Post-incident report" in page
    assert "A full disk stopped the database; we added alerts on disk space." in page
    assert "Errors began on the API." in page
    assert "INTERNAL" not in page
    # Only the incident's own HTML page: the Statuspage JSON keeps Statuspage's shapes.
    summary = public_client.get("/api/v2/incidents.json").content.decode()
    assert "A full disk" not in summary and "Errors began" not in summary


def test_a_drafts_summary_does_not_show(actor, outage, public_client):
    postmortem = do_draft_postmortem(actor, outage)
    PostMortem.objects.filter(pk=postmortem.pk).update(public_summary="DRAFT summary not for customers")
    PostMortemTimelineEntry.objects.create(postmortem=postmortem, at=outage.started_at, text="DRAFT entry", public=True)
    snapshots.rebuild()
    page = incident_page(public_client, outage)
    assert "DRAFT" not in page and 'data-testid="postmortem"' not in page


def test_publishing_rebuilds_the_page(
    transactional_db, eager_celery, actor, admin_user, responder, outage, public_client
):
    """Committed for real (as in production), so each change's rebuild runs after its commit."""
    snapshots.rebuild()
    postmortem = do_draft_postmortem(actor, outage)
    # Signed off by someone other than the admin who sends it for review (test_independent_review.py).
    do_set_reviewers(actor, postmortem, [responder])
    do_submit_for_review(actor, postmortem)
    do_sign_off(Actor(user=responder, via="web"), postmortem)
    assert 'data-testid="postmortem"' not in incident_page(public_client, outage)
    do_publish(actor, postmortem, "We ran out of disk; alerts now warn a day ahead.")
    assert "We ran out of disk; alerts now warn a day ahead." in incident_page(public_client, outage)
    # Editing a published one (say, in the admin) shows at once too.
    postmortem.refresh_from_db()
    postmortem.public_summary = "Corrected: we ran out of disk on the primary."
    postmortem.save()
    assert "Corrected: we ran out of disk on the primary." in incident_page(public_client, outage)
    PostMortemTimelineEntry.objects.create(
        postmortem=postmortem, at=outage.started_at, text="The primary's disk filled.", public=True
    )
    assert "The primary&#x27;s disk filled." in incident_page(public_client, outage)


def test_the_summaries_of_every_incident_are_read_in_two_queries(
    actor, outage, past_incident, django_assert_num_queries
):
    published(outage, "Summary one.")
    published(past_incident, "Summary two.")
    with django_assert_num_queries(2):  # the post-mortems, and their public timeline entries
        extras = incident_extras.collect([outage.pk, past_incident.pk, 999999])
    assert {pk: [s.body for s in sections] for pk, sections in extras.items()} == {
        outage.pk: ["Summary one."],
        past_incident.pk: ["Summary two."],
    }


def test_a_failing_receiver_leaves_the_page_built(outage, public_client):
    def broken(sender, **kwargs):
        raise RuntimeError("boom")

    incident_extras.public_incident_extras.connect(broken, dispatch_uid="test.broken")
    try:
        published(outage)
        snapshots.rebuild()
    finally:
        incident_extras.public_incident_extras.disconnect(dispatch_uid="test.broken")
    assert "A full disk stopped the database" in incident_page(public_client, outage)


@pytest.mark.parametrize("status", [PostMortem.Status.DRAFT, PostMortem.Status.IN_REVIEW])
def test_nothing_of_an_unpublished_one_is_collected(outage, status):
    PostMortem.objects.create(incident=outage, title="x", status=status, public_summary="Not yet")
    assert incident_extras.collect([outage.pk]) == {}
