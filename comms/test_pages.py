"""A person's "Send a test page": their whole chain for one urgency, through the outbox, without an incident.

Why not a real incidents.Page: a page needs an incident, and an incident (even one flagged as a test)
would be counted by reports, shown in lists, escalated and announced to Slack and the status page's
listeners. A TestPage is the person's alone: its rows (Notification.test_page) are planned like a page's
(one per rule with an address, one per push device), written before any network call and sent by the
same channels, with the same retries and tracking, and nothing can escalate because nothing is open.

Every row goes at once: the test shows which methods reach the person, and nobody should wait five
minutes for the call; the panel shows each rule's delay beside its row, as the real chain would wait.
No acknowledge link or ACK code is made (there is nothing to acknowledge).
"""

from dataclasses import dataclass, field

from django.utils import timezone

from . import rules_for, urgency
from .channels import channel_for
from .models import Contact, Notification, NotificationRule, PageMedium, PushSubscription, TestPage


def body(user, level: str, medium: str) -> str:
    label = PageMedium(medium).label if medium in PageMedium.values else medium
    return (
        f"Vigil test page ({level} urgency) for {user.get_username()}: this is how a page reaches you by {label}. "
        "No incident; nothing to do."
    )


def plan(test: TestPage) -> list[Notification]:
    """TEST's rows, one per rule of its urgency that has an address now (one per device for push)."""
    user, now = test.user, timezone.now()
    contact = Contact.objects.filter(user=user).first()
    phone = getattr(contact, "phone", "")
    rows = []
    for medium, _delay in urgency.chain(user, test.urgency):
        text = body(user, test.urgency, medium)
        row = {"test_page": test, "user": user, "medium": medium, "channel": channel_for(medium), "body": text}
        if medium == PageMedium.PUSH:
            devices = PushSubscription.objects.filter(user=user).values_list("pk", flat=True)
            rows += [Notification(**row, destination=str(pk), next_attempt_at=now) for pk in devices]
            continue
        destination = rules_for.destination(user, medium, phone)
        if not destination or (medium == PageMedium.SMS and contact.sms_opted_out):
            continue
        subject = "Vigil test page" if medium in ("email", PageMedium.APPRISE) else ""
        rows.append(Notification(**row, destination=destination, subject=subject, next_attempt_at=now))
    return Notification.objects.bulk_create(rows)


@dataclass
class Step:
    """One rule of the chain on the result panel: its rows (one per device for push) or why it had none."""

    medium: str
    label: str
    delay: int
    rows: list = field(default_factory=list)
    problem: str = ""


def panel(test: TestPage) -> list[Step]:
    rows = list(test.notifications.order_by("id"))
    chain = urgency.chain(test.user, test.urgency)
    steps = []
    for medium, delay in chain:
        mine = [r for r in rows if r.medium == medium]
        problem = "" if mine else _problem(test.user, medium, test.urgency)
        steps.append(Step(medium, PageMedium(medium).label, delay, mine, problem or ("" if mine else "not sent")))
    return steps


def _problem(user, medium: str, level: str) -> str:
    return rules_for.problem(NotificationRule(user=user, medium=medium, urgency=level))


def version(test: TestPage) -> str:
    """What the live panel's ETag follows (vigil.live): any row's state or time changing."""
    rows = test.notifications.order_by("-updated_at").values_list("updated_at", flat=True)
    latest = rows.first()
    return f"{test.pk}:{rows.count()}:{latest.isoformat() if latest else ''}"
