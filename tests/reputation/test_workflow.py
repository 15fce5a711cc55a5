"""A mention's workflow: new, needs response, responded (with who and how long), ignored."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reputation import services
from reputation.models import Mention, MentionState
from vigil.models import AuditEntry


@pytest.fixture
def mention(actor):
    return services.do_add_mention(
        actor, text="Your app lost my data. Awful.", published_at=timezone.now() - timedelta(minutes=30)
    )


def test_a_negative_mention_starts_waiting_and_is_answered_with_who_and_how_long(mention, responder):
    assert mention.state == MentionState.NEEDS_RESPONSE
    from vigil.audit import Actor

    answered = services.do_change_state(Actor(user=responder), mention, "responded", "  Sorry! DM'd a fix.  ")
    assert answered.state == MentionState.RESPONDED
    assert answered.response == "Sorry! DM'd a fix."
    assert answered.responded_by == responder
    assert timedelta(minutes=29) < answered.time_to_respond < timedelta(minutes=31)
    assert AuditEntry.objects.filter(action="mention.state").exists()


def test_responding_needs_the_text_of_the_answer(mention, actor):
    with pytest.raises(services.ActionError, match="needs its text"):
        services.do_change_state(actor, mention, "responded", "   ")
    mention.refresh_from_db()
    assert mention.state == MentionState.NEEDS_RESPONSE


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["responded", "ignored"], "ignored"),
        (["responded", "new"], "new"),
        (["ignored", "responded"], "responded"),
    ],
)
def test_moves_outside_the_table_are_refused(mention, actor, path, refused):
    for state in path[:-1]:
        services.do_change_state(actor, mention, state, "answered")
    with pytest.raises(services.ActionError, match="cannot move"):
        services.do_change_state(actor, mention, refused, "answered")


def test_a_follow_up_reopens_an_answered_mention(mention, actor):
    services.do_change_state(actor, mention, "responded", "Fixed")
    again = services.do_change_state(actor, mention, "needs_response")
    assert again.state == MentionState.NEEDS_RESPONSE
    assert again.time_to_respond is None  # until it is answered again
    assert services.do_change_state(actor, again, "responded", "Fixed for real").response == "Fixed for real"


def test_an_unknown_state_is_refused(mention, actor):
    with pytest.raises(services.ActionError, match="not a mention state"):
        services.do_change_state(actor, mention, "archived")
    assert Mention.objects.get().state == MentionState.NEEDS_RESPONSE
