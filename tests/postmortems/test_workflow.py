"""Draft, in review (every named reviewer signs off), published: by the dashboard and the API alike."""

import pytest
from django.core.exceptions import PermissionDenied

from incidents.services import do_assign_role, do_declare
from postmortems import services
from postmortems.models import PostMortem
from tests.conftest import make_user
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil.roles import Role


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def postmortem(actor):
    incident, _ = do_declare(actor, title="Checkout is down", severity="sev1")
    return services.do_draft_postmortem(actor, incident)


@pytest.fixture
def reviewers(roles):
    return [make_user("bob-reviewer", Role.RESPONDER), make_user("cy-reviewer", Role.RESPONDER)]


def _as(user) -> Actor:
    return Actor(user=user, via="web")


def test_review_needs_a_named_reviewer(actor, postmortem):
    with pytest.raises(services.ActionError, match="at least one reviewer"):
        services.do_submit_for_review(actor, postmortem)


def test_every_reviewer_signs_before_it_is_published(actor, postmortem, reviewers):
    services.do_set_reviewers(actor, postmortem, reviewers)
    with pytest.raises(services.ActionError, match="from draft to published"):
        services.do_publish(actor, postmortem, "We rolled back.")
    services.do_submit_for_review(actor, postmortem)
    services.do_sign_off(_as(reviewers[0]), postmortem)
    with pytest.raises(services.ActionError, match="still waiting for cy-reviewer"):
        services.do_publish(actor, postmortem, "We rolled back.")
    services.do_sign_off(_as(reviewers[1]), postmortem)
    published = services.do_publish(actor, postmortem, "  A bad deploy; we rolled back.  ")
    assert published.published and published.published_at is not None
    assert published.public_summary == "A bad deploy; we rolled back."
    assert AuditEntry.objects.filter(action="postmortem.publish", target_id=str(postmortem.pk)).exists()
    with pytest.raises(services.ActionError, match="no longer changes"):
        services.do_update_postmortem(actor, published, root_cause="Edited after the fact")


def test_only_a_named_reviewer_signs_off(actor, postmortem, reviewers, responder):
    services.do_set_reviewers(actor, postmortem, reviewers[:1])
    with pytest.raises(services.ActionError, match="in review"):
        services.do_sign_off(_as(reviewers[0]), postmortem)
    services.do_submit_for_review(actor, postmortem)
    with pytest.raises(services.ActionError, match="named reviewer"):
        services.do_sign_off(_as(responder), postmortem)


def test_an_edit_in_review_asks_for_every_sign_off_again(actor, postmortem, reviewers):
    services.do_set_reviewers(actor, postmortem, reviewers[:1])
    services.do_submit_for_review(actor, postmortem)
    services.do_sign_off(_as(reviewers[0]), postmortem)
    services.do_update_postmortem(actor, postmortem, root_cause="A missing index on orders.")
    assert postmortem.reviews.get().signed_at is None


def test_publishing_is_for_admins_and_the_incident_commander(actor, postmortem, reviewers, responder):
    services.do_set_reviewers(actor, postmortem, reviewers[:1])
    services.do_submit_for_review(actor, postmortem)
    services.do_sign_off(_as(reviewers[0]), postmortem)
    with pytest.raises(PermissionDenied):
        services.do_publish(_as(responder), postmortem, "Summary")
    do_assign_role(actor, postmortem.incident, "commander", responder)
    assert services.do_publish(_as(responder), postmortem, "Summary").published


def test_five_whys_are_pairs(actor, postmortem):
    with pytest.raises(services.ActionError, match="why/because"):
        services.do_update_postmortem(actor, postmortem, five_whys="why?")
    pairs = [{"why": " Why down? ", "because": "The pool ran dry."}]
    assert services.do_update_postmortem(actor, postmortem, five_whys=pairs).five_whys == [
        {"why": "Why down?", "because": "The pool ran dry."}
    ]


def test_the_dashboard_walks_the_workflow(web_clients, postmortem, responder, admin_user):
    web = web_clients["responder"]
    url = postmortem.get_absolute_url()
    assert web.post(f"{url}reviewers/", {"reviewers": [responder.pk]}).status_code == 302
    # Sent by the admin: the responder who sends it cannot be its only sign-off (test_independent_review.py).
    web_clients["admin"].post(f"{url}submit/")
    web.post(f"{url}sign-off/")
    assert web.post(f"{url}publish/", {"public_summary": "Rolled back."}).status_code == 403
    response = web_clients["admin"].post(f"{url}publish/", {"public_summary": "Rolled back."})
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.published and postmortem.reviews.get().signed_at is not None
    page = web_clients["viewer"].get(url)
    assert b"Rolled back." in page.content and b'data-testid="public-summary"' in page.content


def test_a_refused_move_is_a_message_not_an_error(web_clients, postmortem):
    response = web_clients["responder"].post(f"{postmortem.get_absolute_url()}submit/", follow=True)
    assert b"Name at least one reviewer" in response.content
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortem.Status.DRAFT


def test_edit_page_saves_sections_and_whys(web_clients, postmortem):
    data = {"title": "Checkout outage", "summary": "s", "root_cause": "An expired certificate."}
    data |= {f"why_{n}": f"why {n}" for n in range(1, 6)} | {f"because_{n}": f"because {n}" for n in range(1, 6)}
    response = web_clients["responder"].post(f"{postmortem.get_absolute_url()}edit/", data)
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.title == "Checkout outage" and postmortem.root_cause == "An expired certificate."
    assert postmortem.five_whys[4] == {"why": "why 5", "because": "because 5"}


def test_timeline_entries_are_edited_added_and_removed(web_clients, postmortem):
    entry = postmortem.timeline.get()
    prefix = "timeline"
    data = {
        f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "1", f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": entry.pk, f"{prefix}-0-at": "2030-01-07 10:00:00", f"{prefix}-0-text": "Declared",
        f"{prefix}-0-public": "on",
        f"{prefix}-1-at": "2030-01-07 09:55:00", f"{prefix}-1-text": "Deploy 1.4.3 went out",
    }  # fmt: skip
    response = web_clients["responder"].post(f"{postmortem.get_absolute_url()}timeline/", data)
    assert response.status_code == 302, response.content[:2000]
    assert [(e.text, e.public) for e in postmortem.timeline.all()] == [
        ("Deploy 1.4.3 went out", False),
        ("Declared", True),
    ]
    data[f"{prefix}-0-DELETE"] = "on"
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    web_clients["responder"].post(f"{postmortem.get_absolute_url()}timeline/", data)
    assert list(postmortem.timeline.values_list("text", flat=True)) == ["Deploy 1.4.3 went out"]


@pytest.mark.parametrize("path", ["edit/", "timeline/", "reviewers/", "submit/", "sign-off/", "publish/"])
def test_a_viewer_changes_nothing(web_clients, postmortem, path):
    assert web_clients["viewer"].post(f"{postmortem.get_absolute_url()}{path}", {}).status_code == 403


def test_a_viewer_drafts_nothing(web_clients, actor):
    incident, _ = do_declare(actor, title="x")
    assert web_clients["viewer"].post(f"/postmortems/draft/{incident.pk}/").status_code == 403
    assert not PostMortem.objects.exists()


def test_the_admin_shows_a_postmortem_with_its_timeline_and_reviews(web_clients, postmortem, reviewers, actor):
    services.do_set_reviewers(actor, postmortem, reviewers)
    response = web_clients["admin"].get(f"/admin/postmortems/postmortem/{postmortem.pk}/change/")
    assert response.status_code == 200 and b"bob-reviewer" in response.content
