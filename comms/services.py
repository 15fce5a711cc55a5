"""Actions on stakeholders and the outbox. The dashboard and the API both call these, and only these."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.audit import Actor, record
from vigil.queue import enqueue

from . import csvio, messages, outbox, queueing, templating, test_pages
from .channels import channel_for
from .models import (
    AppriseTarget,
    Contact,
    Fanout,
    IncidentAudience,
    Medium,
    MessageTemplate,
    Notification,
    NotificationRule,
    NtfyTarget,
    PageMedium,
    PagingPreferences,
    Stakeholder,
    StakeholderGroup,
    State,
    TestPage,
)
from .status.subscribers.services import do_sms_stop


class ActionError(Exception):
    """The action is not allowed as things are. The message says why."""


def do_import_stakeholders(actor: Actor, text: str) -> tuple[list[csvio.Row], int, int]:
    """Import the good rows of a CSV; return (rows, created, updated). Raises csvio.CsvError for an unreadable file."""
    rows = csvio.read(text)
    created, updated = csvio.save(rows)
    bad = sum(1 for row in rows if row.errors)
    record(actor, "comms.stakeholders.import", created=created, updated=updated, skipped=bad)
    return rows, created, updated


@transaction.atomic
def do_set_audience(actor: Actor, incident, groups: Iterable[StakeholderGroup]) -> IncidentAudience:
    """Choose the groups that hear INCIDENT's public updates from now on."""
    audience, _ = IncidentAudience.objects.get_or_create(incident=incident)
    groups = list(groups)
    audience.groups.set(groups)
    record(actor, "comms.audience", incident, groups=[g.name for g in groups])
    return audience


def do_retry(actor: Actor, notifications) -> int:
    """Queue failed rows again, with a fresh count of attempts. Rows in any other state are left alone."""
    with transaction.atomic():
        ids = list(notifications.filter(state=State.FAILED).select_for_update().values_list("pk", flat=True))
        count = Notification.objects.filter(pk__in=ids, state=State.FAILED).update(
            state=State.QUEUED, attempts=0, next_attempt_at=timezone.now(), error=""
        )
        record(actor, "comms.retry", count=count)
    if count:
        enqueue("comms.tasks.kick")
    return count


def start_fanout(update) -> Fanout:
    """Record that UPDATE is to be sent, then queue its planning. The sweeper plans it if the queueing is lost."""
    fanout, _ = Fanout.objects.get_or_create(update=update)
    # At once (incidents announce an update after commit); a broker outage must not fail posting the
    # update (robust): the sweeper plans it.
    enqueue("comms.tasks.fan_out", update.pk, on_commit=False, robust=True)
    return fanout


def notify_people(users: Iterable, subject: str, body: str) -> int:
    """Email USERS (Vigil's own people, by their account's address) through the outbox.

    For notices other apps send to their users (DR plan reviews, drills): one row each, written
    now and sent after commit, retried and shown on the Outbox page like every other message.
    Returns the rows written; users without an address, or inactive, are skipped.
    """
    return _write_notices(outbox.notice_rows(users, subject, body))


def notify_stakeholders(stakeholders: Iterable, subject: str, body: str) -> int:
    """Email STAKEHOLDERS by their own address through the outbox, as notify_people does for users.

    For mail other apps send to stakeholders outside an incident (report digests). The caller
    chooses who; stakeholders without an address are skipped. Returns the rows written.
    """
    return _write_notices(outbox.stakeholder_notice_rows(stakeholders, subject, body))


def group_members_to_email(groups) -> list[Stakeholder]:
    """The members of GROUPS (stakeholder groups, or their ids) with an email address who have not
    opted out of email, once each."""
    members = Stakeholder.objects.filter(groups__in=groups).exclude(email="").distinct().order_by("pk")
    return [person for person in members if Medium.EMAIL not in (person.opted_out or [])]


def notify_group_members(groups, subject: str, body: str) -> int:
    """Email the members of GROUPS who take email (group_members_to_email) through the outbox, as
    notify_stakeholders does. For report digests (incidents.providers.email_group_members)."""
    return notify_stakeholders(group_members_to_email(groups), subject, body)


def _write_notices(rows: list[Notification]) -> int:
    Notification.objects.bulk_create(rows)
    kinds = sorted({row.channel for row in rows})
    if kinds:
        transaction.on_commit(lambda: queueing.queue_sends(kinds))
    return len(rows)


# --- Replies by SMS (comms.provider_callbacks.twilio_sms) -----------------------------------------

SMS_ACTOR = Actor(via="sms")


@transaction.atomic
def do_sms_opt_out(number: str) -> int:
    """NUMBER texted STOP: send it no SMS, updates or pages, until START. Returns the people opted out.

    Twilio itself refuses SMS to the number from now on (error 21610), so what is still queued
    for it is cancelled rather than left to fail.
    """
    people = list(Stakeholder.objects.select_for_update().filter(phone=number))
    for person in people:
        if Medium.SMS not in person.opted_out:
            person.opted_out = [*person.opted_out, Medium.SMS.value]
            person.save(update_fields=["opted_out"])
    contacts = Contact.objects.filter(phone=number).update(sms_opted_out=True)
    # A status page subscription by SMS ends: subscribing again (and confirming) starts a new one.
    do_sms_stop(number)
    cancelled = Notification.objects.filter(medium=Medium.SMS, destination=number, state=State.QUEUED).update(
        state=State.CANCELLED, claim=None, error="The recipient texted STOP."
    )
    record(SMS_ACTOR, "comms.sms_opt_out", number=number, people=len(people) + contacts, cancelled=cancelled)
    return len(people) + contacts


@transaction.atomic
def do_sms_opt_in(number: str) -> int:
    """NUMBER texted START: SMS to it may be sent again (from the next update or page on). Returns the people."""
    people = list(Stakeholder.objects.select_for_update().filter(phone=number))
    for person in people:
        if Medium.SMS in person.opted_out:
            person.opted_out = [m for m in person.opted_out if m != Medium.SMS]
            person.save(update_fields=["opted_out"])
    contacts = Contact.objects.filter(phone=number).update(sms_opted_out=False)
    record(SMS_ACTOR, "comms.sms_opt_in", number=number, people=len(people) + contacts)
    return len(people) + contacts


def do_acknowledge_by_sms(number: str, code: str):
    """Acknowledge the incident of the page whose SMS to NUMBER carried CODE, as the person paged.

    Raises ActionError when no page SMS to that number has the code, or the page's acknowledgement was
    used already or its person may no longer acknowledge (incidents.paging: the code follows the link's
    rule); incidents.services.ActionError when the incident is past acknowledging.
    """
    from incidents import paging
    from incidents.paging_actions import do_acknowledge_by_link

    row = None
    if code:
        sent = Notification.objects.filter(medium=Medium.SMS, destination=number, ack_code=code, page__isnull=False)
        row = sent.select_related("page__incident", "page__user").order_by("-created_at", "-id").first()
    if row is None or not row.page.user.is_active:
        raise ActionError(
            f"no page sent to this number has the code {code[:12]}." if code else "send ACK and the page's code."
        )
    try:
        return do_acknowledge_by_link(row.page, "sms")
    except paging.LinkRefused as exc:
        raise ActionError(str(exc)) from None


# --- Message templates (comms.templating) -------------------------------------------


@transaction.atomic
def do_save_templates(actor: Actor, event: str, texts: dict[str, str]) -> list[str]:
    """Store the parts of EVENT's templates an admin customised; a part left blank or set back to
    its default is the default again. Each is checked on the sample incident first. Returns the
    parts that changed."""
    current = templating.stored(event)
    changed = []
    for part, text in texts.items():
        default = templating.DEFAULTS[(event, part)]
        text = text.replace("\r\n", "\n").strip()
        if text and text != default.strip():
            try:
                messages.check(event, part, text)
            except ValueError as exc:
                raise ActionError(f"{part}: {exc}") from None
            if current.get(part) != text:
                MessageTemplate.objects.update_or_create(
                    event=event,
                    part=part,
                    defaults={"body": text, "updated_by": actor.user, "updated_at": timezone.now()},
                )
                changed.append(part)
        elif part in current:
            MessageTemplate.objects.filter(event=event, part=part).delete()
            changed.append(part)
    if changed:
        record(actor, "comms.templates", event=event, parts=changed)
    return changed


def do_set_template(actor: Actor, *, event: str, part: str, body: str) -> MessageTemplate:
    """Customise one part of EVENT's messages (do_save_templates' checks) and return its row; a
    text equal to the built-in default stores nothing, so it is refused rather than lost."""
    if (event, part) not in templating.DEFAULTS:
        raise ValidationError({"part": f"{event} messages have no {part} part."})
    if body.replace("\r\n", "\n").strip() == templating.DEFAULTS[(event, part)].strip():
        raise ValidationError({"body": "This is the built-in text: leave the template out to use it."})
    try:
        do_save_templates(actor, event, {part: body})
    except ActionError as exc:
        raise ValidationError({"body": str(exc).removeprefix(f"{part}: ")}) from None
    return MessageTemplate.objects.get(event=event, part=part)


def do_reset_template(actor: Actor, template: MessageTemplate) -> None:
    """Back to the built-in text."""
    do_save_templates(actor, template.event, {template.part: ""})


# --- Stakeholder groups: their settings (members come from an import, SCIM or the dashboard) ---
GROUP_FIELDS = {"name", "description", "team"}


@transaction.atomic
def do_create_stakeholder_group(actor: Actor, **fields) -> StakeholderGroup:
    group = StakeholderGroup(**fields)
    group.full_clean()
    group.save()
    record(actor, "comms.group.create", group, name=group.name)
    return group


@transaction.atomic
def do_update_stakeholder_group(actor: Actor, group: StakeholderGroup, **changes) -> StakeholderGroup:
    unknown = set(changes) - GROUP_FIELDS
    if unknown:
        raise TypeError(f"not stakeholder group settings: {', '.join(sorted(unknown))}")
    group = StakeholderGroup.objects.select_for_update().get(pk=group.pk)
    for name, value in changes.items():
        setattr(group, name, value)
    group.full_clean()
    group.save()
    record(actor, "comms.group.update", group, fields=sorted(changes))
    return group


@transaction.atomic
def do_delete_stakeholder_group(actor: Actor, group: StakeholderGroup) -> None:
    """Its members stay (in their other groups, or none); incidents that told it stop telling it."""
    record(actor, "comms.group.delete", group, name=group.name)
    group.delete()


# --- Stakeholders added and edited in the dashboard (issue #15) ------------------------------------
STAKEHOLDER_FIELDS = {"name", "organisation", "kind", "email", "phone", "channels", "opted_out", "time_zone"}


@transaction.atomic
def do_save_stakeholder(
    actor: Actor, stakeholder: Stakeholder | None, *, groups=None, components=None, **fields
) -> Stakeholder:
    """Add a stakeholder (STAKEHOLDER None) or change one, from values already validated as the API
    validates them (comms.forms.StakeholderForm: the model's validators, phones in E.164). The audit
    entry names the fields changed, never the contact details themselves."""
    unknown = set(fields) - STAKEHOLDER_FIELDS
    if unknown:
        raise TypeError(f"not stakeholder fields: {', '.join(sorted(unknown))}")
    created = stakeholder is None
    stakeholder = Stakeholder() if created else Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    changed = sorted(name for name, value in fields.items() if getattr(stakeholder, name) != value)
    for name, value in fields.items():
        setattr(stakeholder, name, value)
    stakeholder.full_clean()
    stakeholder.save()
    for name, chosen in (("groups", groups), ("components", components)):
        if chosen is not None and set(getattr(stakeholder, name).all()) != set(chosen):
            getattr(stakeholder, name).set(chosen)
            changed.append(name)
    record(actor, "comms.stakeholder.add" if created else "comms.stakeholder.change", stakeholder, fields=changed)
    return stakeholder


@transaction.atomic
def do_send_ntfy_test(actor: Actor, target: NtfyTarget) -> Notification:
    """A test message to TARGET's topic, through the outbox like a page (comms.channels.ntfy): its row on
    the Outbox page says whether the server took it."""
    if not target.topic:
        raise ActionError(f"{target.user} has no ntfy topic.")
    row = Notification.objects.create(
        user=target.user,
        medium=PageMedium.NTFY,
        channel=channel_for(PageMedium.NTFY),
        destination=target.server_url,
        body=f"Vigil test: pages reach {target.user.get_username()} here.",
        next_attempt_at=timezone.now(),
    )
    record(actor, "comms.ntfy.test", target, user=target.user.get_username())
    transaction.on_commit(lambda: queueing.queue_sends([row.channel]))
    return row


# --- A person's own paging settings ("My notifications", comms.my_views) ------------------------------
# Each acts on the actor's own rows only: the views never take another person's (admins use the admin).
# Secrets (the ntfy token, the Apprise URL) are write-only: a blank value keeps the stored one, and the
# audit entry says that it changed, never what it is.


@transaction.atomic
def do_save_contact(actor: Actor, phone: str) -> Contact:
    contact, _ = Contact.objects.get_or_create(user=actor.user)
    contact.phone = phone
    contact.full_clean()
    contact.save(update_fields=["phone"])
    record(actor, "comms.me.contact", contact, phone_set=bool(phone))
    return contact


@transaction.atomic
def do_save_ntfy(actor: Actor, server: str, topic: str, token: str = "", clear_token: bool = False) -> NtfyTarget:
    target = NtfyTarget.objects.filter(user=actor.user).first() or NtfyTarget(user=actor.user)
    target.server, target.topic = server, topic
    if clear_token or token:
        target.token = "" if clear_token else token
    target.full_clean()
    target.save()
    record(actor, "comms.me.ntfy", target, token_changed=bool(clear_token or token))
    return target


@transaction.atomic
def do_save_apprise(actor: Actor, url: str, label: str, remove: bool = False) -> AppriseTarget | None:
    target = AppriseTarget.objects.filter(user=actor.user).first()
    if remove:
        if target is not None:
            target.delete()
        record(actor, "comms.me.apprise.remove")
        return None
    target = target or AppriseTarget(user=actor.user)
    target.label = label
    if url:
        target.url = url
    if not target.url:
        raise ValidationError({"url": "Give an Apprise URL."})
    target.full_clean()
    target.save()
    record(actor, "comms.me.apprise", target, url_changed=bool(url))
    return target


@transaction.atomic
def do_add_rule(actor: Actor, urgency: str, medium: str, delay_minutes: int) -> NotificationRule:
    if NotificationRule.objects.filter(user=actor.user, urgency=urgency, medium=medium).exists():
        raise ValidationError({"medium": "You have a rule for this method already: change its delay."})
    rule = NotificationRule(user=actor.user, urgency=urgency, medium=medium, delay_minutes=delay_minutes)
    rule.full_clean()
    rule.save()
    record(actor, "comms.me.rule.add", rule, urgency=urgency, medium=medium, delay=delay_minutes)
    return rule


@transaction.atomic
def do_set_rule_delay(actor: Actor, rule: NotificationRule, delay_minutes: int) -> NotificationRule:
    before, rule.delay_minutes = rule.delay_minutes, delay_minutes
    rule.save(update_fields=["delay_minutes"])
    record(actor, "comms.me.rule.delay", rule, medium=rule.medium, before=before, after=delay_minutes)
    return rule


@transaction.atomic
def do_remove_rule(actor: Actor, rule: NotificationRule) -> None:
    record(actor, "comms.me.rule.remove", rule, urgency=rule.urgency, medium=rule.medium)
    rule.delete()


@transaction.atomic
def do_move_rule(actor: Actor, rule: NotificationRule, up: bool) -> NotificationRule:
    """Move RULE one step earlier (UP) or later in its chain. The chain is ordered by delay, so a move swaps
    delays with the neighbour: the method takes the neighbour's place in time."""
    rules = NotificationRule.objects.filter(user=rule.user, urgency=rule.urgency)
    chain = list(rules.order_by("delay_minutes", "medium"))
    at = next(i for i, r in enumerate(chain) if r.pk == rule.pk)
    other_at = at - 1 if up else at + 1
    if not 0 <= other_at < len(chain):
        raise ActionError("It is already " + ("first." if up else "last."))
    other = chain[other_at]
    if other.delay_minutes == rule.delay_minutes:
        raise ActionError("Both go at the same moment: change a delay to put one first.")
    rule.delay_minutes, other.delay_minutes = other.delay_minutes, rule.delay_minutes
    NotificationRule.objects.bulk_update([rule, other], ["delay_minutes"])
    record(actor, "comms.me.rule.move", rule, medium=rule.medium, delay=rule.delay_minutes)
    return rule


@transaction.atomic
def do_save_quiet_hours(actor: Actor, quiet_start, quiet_end, time_zone: str) -> PagingPreferences:
    prefs = PagingPreferences.objects.filter(user=actor.user).first() or PagingPreferences(user=actor.user)
    prefs.quiet_start, prefs.quiet_end, prefs.time_zone = quiet_start, quiet_end, time_zone
    prefs.full_clean()
    prefs.save()
    record(actor, "comms.me.quiet_hours", prefs, quiet=prefs.quiet_label())
    return prefs


def do_send_test_page(actor: Actor, urgency: str) -> TestPage:
    """Page the actor by their whole chain for URGENCY, at once, with no incident (comms.test_pages)."""
    with transaction.atomic():
        test = TestPage.objects.create(user=actor.user, urgency=urgency)
        rows = test_pages.plan(test)
        record(actor, "comms.me.test_page", test, urgency=urgency, rows=len(rows))
    if rows:
        queueing.queue_sends(sorted({row.channel for row in rows}))
    return test
