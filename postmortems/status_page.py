"""A published post-mortem on the public status page: its public summary and public timeline entries.

The status page (comms) imports no app beside it, nor this one comms: the page asks through
incidents.signals.public_incident_extras and this module answers, for every incident the page
shows at once (two queries, whatever their number).
Nothing else of a post-mortem reaches the page: not its sections, five whys, figures, reviewers,
author or the timeline entries not marked public; and nothing at all of a draft or one in review.

Publishing a post-mortem, or changing a published one or its timeline, rebuilds the page: this
module says so with incidents.signals.public_record_changed, which comms listens to.
Connected in PostmortemsConfig.ready().
"""

from django.db.models import Prefetch
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.signals import PublicEntry, PublicSection, public_incident_extras, public_record_changed

from .models import PostMortem, PostMortemTimelineEntry

HEADING = "Post-incident report"


@receiver(public_incident_extras, dispatch_uid="postmortems.status_page.extras")
def public_postmortems(sender, incident_ids, **kwargs) -> dict[int, list[PublicSection]]:
    published = (
        PostMortem.objects.filter(incident_id__in=incident_ids, status=PostMortem.Status.PUBLISHED)
        .only("incident_id", "public_summary", "published_at")
        .prefetch_related(
            Prefetch(
                "timeline",
                queryset=PostMortemTimelineEntry.objects.filter(public=True).only("postmortem_id", "at", "text"),
            )
        )
    )
    return {postmortem.incident_id: [_section(postmortem)] for postmortem in published}


def _section(postmortem: PostMortem) -> PublicSection:
    return PublicSection(
        heading=HEADING,
        body=postmortem.public_summary.strip(),
        published_at=postmortem.published_at,
        entries=[PublicEntry(at=entry.at, text=entry.text) for entry in postmortem.timeline.all()],
        testid="postmortem",
    )


def _shown(postmortem: PostMortem) -> bool:
    # published_at stays once set: a published one taken back (by an admin) leaves the page too.
    return postmortem.status == PostMortem.Status.PUBLISHED or postmortem.published_at is not None


@receiver(post_save, sender=PostMortem, dispatch_uid="postmortems.status_page.saved")
@receiver(post_delete, sender=PostMortem, dispatch_uid="postmortems.status_page.deleted")
def postmortem_changed(sender, instance: PostMortem, **kwargs) -> None:
    if _shown(instance):
        public_record_changed.send(sender=PostMortem)


@receiver(post_save, sender=PostMortemTimelineEntry, dispatch_uid="postmortems.status_page.entry_saved")
@receiver(post_delete, sender=PostMortemTimelineEntry, dispatch_uid="postmortems.status_page.entry_deleted")
def timeline_changed(sender, instance: PostMortemTimelineEntry, **kwargs) -> None:
    postmortem = PostMortem.objects.filter(pk=instance.postmortem_id).only("status", "published_at").first()
    if postmortem is not None and _shown(postmortem):
        public_record_changed.send(sender=PostMortem)
