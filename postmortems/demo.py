"""Demo post-mortem for `manage.py seed_demo`: the demo incident of three days ago
(incidents.demo.seed_history) gets its post-mortem drafted, reviewed, signed off and published
through the same actions the dashboard calls, so a new install shows the whole path once.
Idempotent: a post-mortem that exists already is left alone.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model

from incidents.demo import TITLE
from incidents.models import Incident
from vigil.audit import Actor

from . import services
from .models import PostMortem

SUMMARY = (
    "For 65 minutes about one checkout in five failed: a configuration change at our payment provider "
    "rejected cards issued outside the EU. We rolled the integration back and added a canary check."
)


def seed() -> PostMortem | None:
    User = get_user_model()
    oncall, sam = User.objects.filter(username="oncall").first(), User.objects.filter(username="sam").first()
    incident = Incident.objects.filter(title=TITLE).first()
    if oncall is None or sam is None or incident is None or hasattr(incident, "postmortem"):
        return None
    return _publish_postmortem(Actor(user=oncall, via="demo"), Actor(user=sam, via="demo"), sam, incident)


def _publish_postmortem(author: Actor, reviewer_actor: Actor, reviewer, incident: Incident) -> PostMortem:
    postmortem = services.do_draft_postmortem(author, incident)
    services.do_update_postmortem(
        author,
        postmortem,
        root_cause="The provider enabled a stricter card check without notice; our integration treated its new "
        "decline code as a hard failure.",
        resolution="We pinned the integration to the provider's previous API version and retried failed orders.",
    )
    services.do_set_reviewers(author, postmortem, [reviewer])
    services.do_submit_for_review(author, postmortem)
    services.do_sign_off(reviewer_actor, postmortem)
    services.do_publish(author, postmortem, SUMMARY)
    start = incident.started_at
    published = start + timedelta(days=1, hours=2)
    PostMortem.objects.filter(pk=postmortem.pk).update(created_at=start + timedelta(hours=2), published_at=published)
    postmortem.reviews.update(signed_at=published - timedelta(hours=1))
    return postmortem
