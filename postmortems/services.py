"""Actions on post-mortems and action items. The dashboard, the API and other apps (a DR drill's
findings, an incident resolving) call these, and only these.

Each do_* function checks the change is allowed, writes it in one transaction, records
the audit entry, and announces it after commit (incidents.signals.action_item_saved).
"""

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import links, providers
from incidents.models import Incident
from incidents.signals import action_item_saved
from vigil.audit import Actor, record
from vigil.roles import Role, role_of

from . import drafting, reminders
from .models import ActionItem, ActionItemReminder, PostMortem, PostMortemReview, PostMortemTimelineEntry

logger = logging.getLogger(__name__)

# "Not given" for an update, as distinct from None ("remove the link").
UNSET = object()


class ActionError(providers.Refused):
    """The change is not allowed in the item's present state. The message says why."""


def _check_link(role: links.Links, obj) -> None:
    if obj is not None and not role.accepts(obj):
        raise ActionError(f"An action item cannot name {obj} as its {role.role}.")


def _set_status(item: ActionItem, status: str) -> None:
    """Move to STATUS by the transition table; completing stamps completed_at, reopening clears it."""
    if status == item.status:
        return
    if not item.can_move_to(status):
        raise ActionError(
            f"An action item cannot move from {item.get_status_display().lower()} to "
            f"{ActionItem.Status(status).label.lower()}."
        )
    item.status = status
    item.completed_at = timezone.now() if status == ActionItem.Status.DONE else None


def _announce(item: ActionItem, actor: Actor, created: bool, changed: list[str]) -> None:
    transaction.on_commit(
        lambda: action_item_saved.send(sender=ActionItem, item=item, created=created, changed=changed, actor=actor)
    )


@transaction.atomic
def do_create_action_item(
    actor: Actor, *, title: str, source=None, target=None, status: str = ActionItem.Status.OPEN, **fields
) -> ActionItem:
    """File an item. SOURCE is what raised it (a drill), TARGET what it changes (a DR plan)."""
    _check_link(links.sources, source)
    _check_link(links.targets, target)
    item = ActionItem(title=title.strip(), created_by=actor.user, source=source, target=target, **fields)
    _set_status(item, status)  # from open, every status is allowed
    item.save()
    record(actor, "action_item.create", item, source=str(source or ""), changes=str(target or ""))
    _announce(item, actor, created=True, changed=["target"] if target is not None else [])
    return item


@transaction.atomic
def do_update_action_item(actor: Actor, item: ActionItem, *, target=UNSET, status=UNSET, **fields) -> ActionItem:
    """Change an item's fields; a status change follows ACTION_ITEM_TRANSITIONS. The source never changes."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    for name, value in fields.items():
        setattr(item, name, value)
    if status is not UNSET and status != item.status:
        _set_status(item, status)
        changed.append("status")
    if target is not UNSET and target != item.target:
        _check_link(links.targets, target)
        item.target = target
        changed.append("target")
    item.save()
    record(actor, "action_item.update", item, fields=sorted(changed))
    _announce(item, actor, created=False, changed=changed)
    return item


@transaction.atomic
def do_delete_action_item(actor: Actor, item: ActionItem) -> None:
    record(actor, "action_item.delete", item)
    item.delete()


# --- Reminders (postmortems.reminders has the policy and the words) ----------------------------


def _reachable(user) -> bool:
    return user is not None and user.is_active and bool(user.email)


def _remind(item: ActionItem, step: reminders.Step, today: date, every: int) -> bool:
    """Record the reminder and queue its mail in one transaction; False if it was already sent."""
    with transaction.atomic():
        _, created = ActionItemReminder.objects.get_or_create(
            item=item, recipient=item.owner, kind=step.kind, due_date=item.due_date, sequence=step.sequence
        )
        if created:
            providers.email_people(
                [item.owner], reminders.subject(item, step, today), reminders.body(item, step, today, every)
            )
    return created


def send_action_item_reminders(today: date | None = None) -> int:
    """Mail each open item's owner the reminder it is owed today (postmortems.reminders), once.

    Safe to run often and from two workers: ActionItemReminder's unique key decides who sends.
    Returns the reminders queued.
    """
    today = today or timezone.localdate()
    before, every = reminders.remind_days(), reminders.overdue_every_days()
    items = list(
        ActionItem.objects.still_open()
        .filter(due_date__lte=today + timedelta(days=before))
        .select_related("owner", "postmortem")
    )
    sent_keys = set(
        ActionItemReminder.objects.filter(item__in=items).values_list(
            "item_id", "recipient_id", "kind", "due_date", "sequence"
        )
    )
    sent = 0
    for item in items:
        step = reminders.step_for(item, today, before, every)
        if step is None:
            continue
        if not _reachable(item.owner):
            logger.info(
                "Action item %s (%s) is %s, but has no active owner with an email address to remind: skipped",
                item.pk,
                item.title,
                ActionItemReminder.Kind(step.kind).label.lower(),
            )
            continue
        if (item.pk, item.owner_id, step.kind, item.due_date, step.sequence) in sent_keys:
            continue
        sent += _remind(item, step, today, every)
    return sent


# --- Post-mortems -------------------------------------------------------------------------------


def auto_severities() -> set[str]:
    """The severities whose resolution drafts a post-mortem (VIGIL_POSTMORTEM_AUTO_SEVERITIES)."""
    value = settings.VIGIL_POSTMORTEM_AUTO_SEVERITIES
    return {part.strip().lower() for part in value.split(",") if part.strip()}


def _fill_draft(postmortem: PostMortem, incident: Incident) -> None:
    postmortem.impact = drafting.impact_figures(incident)
    postmortem.summary = drafting.summary_line(incident, postmortem.impact)
    for name, text in drafting.sections(incident).items():
        setattr(postmortem, name, text)
    postmortem.five_whys = drafting.five_whys(incident)


def refresh_impact(postmortem: PostMortem) -> PostMortem:
    """Until it is published, a post-mortem's impact figures follow the record: recomputed whenever it is
    shown (drafting.impact_figures, a fixed number of queries) and stored when they moved, so the page, the
    print view, the export and the API agree. Issue #15: they froze when the incident resolved, so a late
    alert, a reopening or the deliveries reported after the resolve never reached them. Publishing
    computes them one last time and freezes them (do_publish); the summary, written by people, is left alone.
    Derived figures, not a change of the post-mortem: no audit entry, no sign-off lost."""
    if postmortem.status == PostMortem.Status.PUBLISHED:
        return postmortem
    impact = drafting.impact_figures(postmortem.incident)
    if impact != postmortem.impact:
        PostMortem.objects.filter(pk=postmortem.pk).exclude(status=PostMortem.Status.PUBLISHED).update(impact=impact)
        postmortem.impact = impact
    return postmortem


def do_draft_postmortem(actor: Actor, incident: Incident, title: str = "") -> PostMortem:
    """The incident's post-mortem, drafted from its record if it has none yet. Safe to repeat:
    the one-to-one on incident keeps a second caller (a repeated signal, a double click) to the first."""
    existing = PostMortem.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    incident = Incident.objects.get(pk=incident.pk)  # the stored record, not the caller's copy
    try:
        with transaction.atomic():
            postmortem = PostMortem(incident=incident, title=title.strip() or f"Post-mortem: {incident.title}"[:200])
            postmortem.author = actor.user
            _fill_draft(postmortem, incident)
            postmortem.save()
            PostMortemTimelineEntry.objects.bulk_create(
                PostMortemTimelineEntry(postmortem=postmortem, **row) for row in drafting.timeline_rows(incident)
            )
            record(actor, "postmortem.draft", postmortem, incident=incident.pk)
    except IntegrityError:
        return PostMortem.objects.get(incident=incident)
    return postmortem


def on_incident_resolved(sender, incident: Incident, actor: Actor, **kwargs) -> None:
    """incidents.signals.incident_resolved (sent after commit): draft the post-mortem of a severe incident.

    The resolution is already committed: a failed draft is logged, and the button on the incident page
    drafts it on demand."""
    if incident.severity not in auto_severities():
        return
    try:
        do_draft_postmortem(actor, incident)
    except Exception:
        logger.exception("Drafting the post-mortem of incident %s failed", incident.pk)


def _locked_postmortem(postmortem: PostMortem) -> PostMortem:
    return PostMortem.objects.select_for_update().get(pk=postmortem.pk)


def _check_editable(postmortem: PostMortem) -> None:
    if not postmortem.is_editable:
        raise ActionError("A published post-mortem no longer changes.")


def _unsign(postmortem: PostMortem) -> None:
    """A sign-off is for the text that was signed: any change in review asks for it again."""
    if postmortem.status == PostMortem.Status.IN_REVIEW:
        postmortem.reviews.update(signed_at=None)


EDITABLE_FIELDS = {"title", "summary", "five_whys", *(name for name, _ in PostMortem.SECTIONS)}


def check_five_whys(pairs) -> list[dict]:
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        raise ActionError("The five whys are a list of why/because pairs.")
    return [{"why": str(p.get("why", "")).strip(), "because": str(p.get("because", "")).strip()} for p in pairs]


@transaction.atomic
def do_update_postmortem(actor: Actor, postmortem: PostMortem, **fields) -> PostMortem:
    """Change the summary, title, written sections or five whys (not the status: see the workflow below)."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ActionError(f"These fields are not edited here: {', '.join(sorted(unknown))}.")
    postmortem = _locked_postmortem(postmortem)
    _check_editable(postmortem)
    if "five_whys" in fields:
        fields["five_whys"] = check_five_whys(fields["five_whys"])
    changed = sorted(name for name, value in fields.items() if getattr(postmortem, name) != value)
    for name in changed:
        setattr(postmortem, name, fields[name])
    if changed:
        postmortem.save()
        _unsign(postmortem)
        record(actor, "postmortem.update", postmortem, fields=changed)
    return postmortem


@transaction.atomic
def do_save_timeline(actor: Actor, postmortem: PostMortem, formset) -> PostMortem:
    """Save a validated timeline formset (entries added, edited, removed)."""
    postmortem = _locked_postmortem(postmortem)
    _check_editable(postmortem)
    formset.instance = postmortem
    formset.save()
    if formset.has_changed():
        _unsign(postmortem)
        record(actor, "postmortem.timeline", postmortem, entries=postmortem.timeline.count())
    return postmortem


@transaction.atomic
def do_set_reviewers(actor: Actor, postmortem: PostMortem, reviewers: Iterable) -> PostMortem:
    """Make REVIEWERS exactly the named reviewers; those kept keep their sign-off."""
    postmortem = _locked_postmortem(postmortem)
    _check_editable(postmortem)
    reviewers = list(reviewers)
    postmortem.reviews.exclude(reviewer__in=reviewers).delete()
    for user in reviewers:
        PostMortemReview.objects.get_or_create(postmortem=postmortem, reviewer=user)
    record(actor, "postmortem.reviewers", postmortem, reviewers=sorted(u.get_username() for u in reviewers))
    return postmortem


def _move(postmortem: PostMortem, status: str) -> None:
    if not postmortem.can_move_to(status):
        raise ActionError(
            f"A post-mortem cannot move from {postmortem.get_status_display().lower()} to "
            f"{PostMortem.Status(status).label.lower()}."
        )
    postmortem.status = status


@transaction.atomic
def do_submit_for_review(actor: Actor, postmortem: PostMortem) -> PostMortem:
    """Send for review. The sender is recorded: they may review too, but not alone (do_publish)."""
    postmortem = _locked_postmortem(postmortem)
    reviewer_ids = set(postmortem.reviews.values_list("reviewer_id", flat=True))
    if not reviewer_ids:
        raise ActionError("Name at least one reviewer before asking for review.")
    if actor.user is not None and reviewer_ids == {actor.user.pk}:
        raise ActionError(
            "Name a reviewer other than yourself: who sends a post-mortem for review cannot sign it off alone."
        )
    _move(postmortem, PostMortem.Status.IN_REVIEW)
    postmortem.submitted_by = actor.user
    postmortem.save()
    postmortem.reviews.update(signed_at=None)
    record(actor, "postmortem.submit", postmortem)
    return postmortem


@transaction.atomic
def do_return_to_draft(actor: Actor, postmortem: PostMortem) -> PostMortem:
    postmortem = _locked_postmortem(postmortem)
    _move(postmortem, PostMortem.Status.DRAFT)
    postmortem.submitted_by = None
    postmortem.save()
    postmortem.reviews.update(signed_at=None)
    record(actor, "postmortem.return_to_draft", postmortem)
    return postmortem


@transaction.atomic
def do_sign_off(actor: Actor, postmortem: PostMortem) -> PostMortemReview:
    """The acting user signs off as one of the named reviewers, while the post-mortem is in review."""
    postmortem = _locked_postmortem(postmortem)
    if postmortem.status != PostMortem.Status.IN_REVIEW:
        raise ActionError("Only a post-mortem in review is signed off.")
    review = postmortem.reviews.filter(reviewer_id=getattr(actor.user, "pk", None)).first()
    if review is None:
        raise ActionError("Only a named reviewer signs this post-mortem off.")
    if review.signed_at is None:
        review.signed_at = timezone.now()
        review.save(update_fields=["signed_at"])
        record(actor, "postmortem.sign_off", postmortem)
    return review


def may_publish(user, postmortem: PostMortem) -> bool:
    """Admins publish any post-mortem; the incident commander publishes their incident's."""
    if user is None or not user.is_authenticated:
        return False
    return role_of(user) == Role.ADMIN or postmortem.incident.commander_id == user.pk


@transaction.atomic
def do_publish(actor: Actor, postmortem: PostMortem, public_summary: str) -> PostMortem:
    postmortem = _locked_postmortem(postmortem)
    if not may_publish(actor.user, postmortem):
        raise PermissionDenied("Only an admin or the incident commander publishes a post-mortem.")
    _move(postmortem, PostMortem.Status.PUBLISHED)
    unsigned = postmortem.unsigned_reviewers()
    if unsigned:
        names = ", ".join(u.get_username() for u in unsigned)
        raise ActionError(f"Every named reviewer signs off first; still waiting for {names}.")
    if not postmortem.signed_by_someone_else():
        who = postmortem.submitted_by.get_username()
        raise ActionError(
            f"A reviewer other than {who}, who sent it for review, signs it off first: name one and ask them."
        )
    if not public_summary.strip():
        raise ActionError("Publishing needs a public summary.")
    postmortem.public_summary = public_summary.strip()
    postmortem.published_at = timezone.now()
    # The record as it stands now, frozen with the text (refresh_impact stops here).
    postmortem.impact = drafting.impact_figures(postmortem.incident)
    postmortem.save()
    record(actor, "postmortem.publish", postmortem)
    return postmortem
