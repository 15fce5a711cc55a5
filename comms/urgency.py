"""Which rules a page follows, and when each of its rows may first go: urgency and quiet hours (issue #19 item 5).

A page's urgency is its incident's severity's (settings.VIGIL_HIGH_URGENCY_SEVERITIES: high, else low).
Each person keeps two rule sets; a low-urgency page with no low rules follows the high ones, and a person
with no rules at all gets DEFAULT_RULES. A low-urgency page planned inside the person's quiet hours
(comms.models.PagingPreferences) waits until they end, each rule's delay counted from then; high urgency
never waits. comms.outbox.plan_page asks chain() and hold() and writes the rows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from . import rules_for
from .models import (
    AppriseTarget,
    Contact,
    NotificationRule,
    NtfyTarget,
    PageMedium,
    PagingPreferences,
    PushSubscription,
    Urgency,
)

# Who set no rules is paged by email and SMS at once.
DEFAULT_RULES = [("email", 0), ("sms", 0)]


def of_severity(severity: str) -> str:
    return Urgency.HIGH if severity in settings.VIGIL_HIGH_URGENCY_SEVERITIES else Urgency.LOW


def of_page(page) -> str:
    return of_severity(page.incident.severity)


def chain(user, urgency: str) -> list[tuple[str, int]]:
    """USER's (medium, delay) rules for a page of URGENCY, in order: low falls back to high, both to the default."""
    rules = NotificationRule.objects.filter(user=user).order_by("delay_minutes", "medium")
    mine = list(rules.filter(urgency=urgency).values_list("medium", "delay_minutes"))
    if not mine and urgency == Urgency.LOW:
        mine = list(rules.filter(urgency=Urgency.HIGH).values_list("medium", "delay_minutes"))
    return mine or list(DEFAULT_RULES)


@dataclass(frozen=True)
class Hold:
    until: datetime  # UTC, aware
    note: str  # what the row says, e.g. "Held until 07:00 Europe/Paris (quiet hours)."


def hold(user, urgency: str, at: datetime) -> Hold | None:
    """When a page of URGENCY planned AT for USER may start (the end of their quiet hours), or None: at once."""
    if urgency != Urgency.LOW:
        return None
    prefs = PagingPreferences.objects.filter(user=user).first()
    if prefs is None or not prefs.has_quiet_hours:
        return None
    end = quiet_end_after(prefs, at)
    if end is None:
        return None
    return Hold(end, f"Held until {end.astimezone(prefs.zone):%H:%M} {prefs.time_zone} (quiet hours).")


def quiet_end_after(prefs: PagingPreferences, at: datetime) -> datetime | None:
    """The end of the quiet hours AT falls in (in PREFS' zone, across midnight too), or None when AT is outside."""
    local = at.astimezone(prefs.zone)
    start, end, now = prefs.quiet_start, prefs.quiet_end, local.time()
    if start < end:  # 01:00-06:00: within one day
        inside, end_day = start <= now < end, local.date()
    else:  # 22:00-07:00: across midnight
        inside = now >= start or now < end
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    # The wall-clock end in the zone (a DST gap moves it by the zone's rule, as zoneinfo does).
    return datetime.combine(end_day, end, tzinfo=prefs.zone).astimezone(at.tzinfo)


def unpageable(users) -> dict[int, str]:
    """{user id: why} for each of USERS whom a high-urgency page would reach by no method now
    (incidents.providers.unpageable, for the on-call pages' warnings). A fixed number of queries however many
    people: the on-call page asks for everyone on call this week. The same rules as comms.rules_for.problem."""
    users = list(users)
    ids = [u.pk for u in users]
    chains: dict[int, list[str]] = {}
    for user_id, medium in NotificationRule.objects.filter(user__in=ids, urgency=Urgency.HIGH).values_list(
        "user_id", "medium"
    ):
        chains.setdefault(user_id, []).append(medium)
    phones = dict(Contact.objects.filter(user__in=ids).exclude(phone="").values_list("user_id", "sms_opted_out"))
    reach = {
        PageMedium.SMS: {u for u, stopped in phones.items() if not stopped},
        PageMedium.VOICE: set(phones),
        PageMedium.NTFY: set(
            NtfyTarget.objects.filter(user__in=ids).exclude(topic="").values_list("user_id", flat=True)
        ),
        PageMedium.APPRISE: set(AppriseTarget.objects.filter(user__in=ids).values_list("user_id", flat=True)),
        PageMedium.PUSH: set(PushSubscription.objects.filter(user__in=ids).values_list("user_id", flat=True)),
        PageMedium.SLACK_DM: rules_for.slack_linked(ids),
        PageMedium.EMAIL: {u.pk for u in users if u.email},
    }
    found = {}
    for user in users:
        media = chains.get(user.pk) or [m for m, _ in DEFAULT_RULES]
        if not any(user.pk in reach.get(medium, set()) for medium in media):
            found[user.pk] = "no working method"
    return found
