"""Reminders to an action item's owner: before it is due, and while it is overdue.

The policy, as a team would want it:

- **Due soon**: once, VIGIL_ACTION_ITEM_REMIND_DAYS days before the due date (default 3), or on
  the first beat run after that if the item was filed closer to its date. One per due date: moving
  the date earns a reminder for the new one.
- **Overdue**: the day after the due date, then again every VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS
  days (default 7) while it stays open: a weekly nudge is hard to forget and easy to live with,
  a daily one is soon filtered. 0 sends one overdue reminder and no more.
- Closed items (done, won't do) and items without a due date are never reminded. An item whose
  owner is missing, inactive or has no email address is skipped with a log line.

Mail goes through the comms outbox (incidents.providers.email_people), so it is sent by the
configured email channel, retried, and shown on the Outbox page. Each reminder is recorded
(ActionItemReminder) in the same transaction as its outbox row; the row's unique key is what
keeps a re-run of the beat task, or two workers at once, from mailing twice.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from .models import ActionItem, ActionItemReminder


def remind_days() -> int:
    """Owners are reminded this many days before an item is due (VIGIL_ACTION_ITEM_REMIND_DAYS)."""
    return max(0, settings.VIGIL_ACTION_ITEM_REMIND_DAYS)


def overdue_every_days() -> int:
    """Overdue reminders repeat this often; 0: once (VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS)."""
    return max(0, settings.VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS)


@dataclass(frozen=True)
class Step:
    """Which reminder an item is owed on a given day: its kind, and for overdue ones, which repeat."""

    kind: str
    sequence: int = 0


def step_for(item: ActionItem, today: date, before: int, every: int) -> Step | None:
    """The reminder ITEM is owed TODAY, or None. Pure: the caller decides whether it was already sent."""
    if item.is_closed or item.due_date is None:
        return None
    days_left = (item.due_date - today).days
    if 0 <= days_left <= before:
        return Step(ActionItemReminder.Kind.DUE)
    if days_left < 0:
        late = -days_left  # 1 on the day after the due date
        return Step(ActionItemReminder.Kind.OVERDUE, (late - 1) // every if every else 0)
    return None


def _url(path: str) -> str:
    return settings.VIGIL_BASE_URL + path


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def subject(item: ActionItem, step: Step, today: date) -> str:
    days_left = (item.due_date - today).days
    if step.kind == ActionItemReminder.Kind.OVERDUE:
        return f"[Vigil] Action item overdue by {_days(-days_left)}: {item.title}"
    when = "today" if days_left == 0 else f"in {_days(days_left)}"
    return f"[Vigil] Action item due {when}: {item.title}"


def body(item: ActionItem, step: Step, today: date, every: int) -> str:
    due = f"{item.due_date:%a %d %b %Y}"
    if step.kind == ActionItemReminder.Kind.OVERDUE:
        state = f"was due on {due} and is still {item.get_status_display().lower()}"
        repeat = f"You will be reminded every {_days(every)} until it is closed." if every else ""
    else:
        state = f"is due on {due}"
        repeat = ""
    lines = [
        f"The action item “{item.title}” assigned to you {state}.",
        "",
        f"Priority: {item.get_priority_display()}",
        f"Kind:     {item.get_kind_display()}",
    ]
    if item.postmortem_id:
        lines.append(f"From:     {item.postmortem} ({_url(item.postmortem.get_absolute_url())})")
    if item.tracker_url:
        lines.append(f"Tracker:  {item.tracker_url}")
    lines += [
        "",
        "Mark it done (or won't do), or agree a new due date, on its page:",
        _url(item.get_absolute_url()),
    ]
    if repeat:
        lines += ["", repeat]
    return "\n".join(lines) + "\n"
