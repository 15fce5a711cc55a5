"""Publishing a post-mortem needs a sign-off from someone other than the person who sent it for review."""

import pytest

from incidents.services import do_declare
from postmortems import services
from postmortems.models import PostMortem
from tests.conftest import make_user
from vigil.audit import Actor
from vigil.roles import Role


def _as(user) -> Actor:
    return Actor(user=user, via="web")


@pytest.fixture
def postmortem(admin_user):
    incident, _ = do_declare(_as(admin_user), title="Checkout is down", severity="sev1")
    return services.do_draft_postmortem(_as(admin_user), incident)


def test_the_submitter_cannot_send_it_for_review_to_themselves_alone(admin_user, postmortem):
    services.do_set_reviewers(_as(admin_user), postmortem, [admin_user])
    with pytest.raises(services.ActionError, match="other than yourself"):
        services.do_submit_for_review(_as(admin_user), postmortem)
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortem.Status.DRAFT


def test_the_submitter_who_makes_themselves_the_only_reviewer_in_review_cannot_publish(admin_user, responder):
    incident, _ = do_declare(_as(admin_user), title="Search is slow", severity="sev2")
    postmortem = services.do_draft_postmortem(_as(admin_user), incident)
    services.do_set_reviewers(_as(admin_user), postmortem, [responder])
    services.do_submit_for_review(_as(admin_user), postmortem)
    services.do_set_reviewers(_as(admin_user), postmortem, [admin_user])  # the other reviewer dropped in review
    services.do_sign_off(_as(admin_user), postmortem)
    with pytest.raises(services.ActionError, match="A reviewer other than alice-admin"):
        services.do_publish(_as(admin_user), postmortem, "We ran out of disk.")
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortem.Status.IN_REVIEW and not postmortem.public_summary

    services.do_set_reviewers(_as(admin_user), postmortem, [admin_user, responder])
    services.do_sign_off(_as(responder), postmortem)
    services.do_publish(_as(admin_user), postmortem, "We ran out of disk.")
    postmortem.refresh_from_db()
    assert postmortem.published and postmortem.submitted_by == admin_user


def test_the_submitter_may_sign_off_beside_another_reviewer_and_the_dashboard_says_why_not_alone(
    roles, web_clients, admin_user, responder, postmortem
):
    url = postmortem.get_absolute_url()
    web = web_clients["responder"]
    web.post(f"{url}reviewers/", {"reviewers": [responder.pk]})
    refused = web.post(f"{url}submit/", follow=True)
    assert b"Name a reviewer other than yourself" in refused.content
    other = make_user("dee-reviewer", Role.RESPONDER)
    web.post(f"{url}reviewers/", {"reviewers": [responder.pk, other.pk]})
    web.post(f"{url}submit/")
    web.post(f"{url}sign-off/")
    services.do_sign_off(_as(other), postmortem)
    assert web_clients["admin"].post(f"{url}publish/", {"public_summary": "Rolled back."}).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.published
