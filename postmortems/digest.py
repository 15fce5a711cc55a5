"""The scheduled report digest: each period, one mail to the members of a digest's stakeholder groups.

For the last complete period (a Monday-to-Sunday week or a calendar month, in UTC): the uptime of
each component against its SLO, the incidents that started in it with their durations, and the
action items overdue or due before the next digest. Figures come from postmortems.reports.figures,
so the mail and the reports page agree.

The mail goes through the comms outbox (DESIGN.md: a notification is a row before it is a network
call), asked for through incidents.providers.email_group_members (this app imports no app beside
it): one email row per member of the digest's groups with an address who has not opted out of
email, sent by the configured email channel after commit and retried like every other message. send_digest() claims the
period with a conditional UPDATE in the same transaction that writes the rows, so a repeated task,
or two workers, send a period once.
"""

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents import providers
from incidents.models import Incident
from postmortems.models import ActionItem, ReportDigest

from .reports import figures

LISTED = 50  # incidents and action items listed in one mail; the rest are counted


def last_period(frequency: str, now: datetime) -> tuple[datetime, datetime]:
    """The last complete week (Monday 00:00 UTC on) or calendar month before NOW: [start, end)."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == ReportDigest.Frequency.MONTHLY:
        end = today.replace(day=1)
        return (end - timedelta(days=1)).replace(day=1), end
    end = today - timedelta(days=today.weekday())
    return end - timedelta(days=7), end


def next_period_end(frequency: str, end: datetime) -> datetime:
    if frequency == ReportDigest.Frequency.MONTHLY:
        return (end + timedelta(days=32)).replace(day=1)
    return end + timedelta(days=7)


def send_due_digests(now: datetime | None = None) -> int:
    """Send every enabled digest whose last complete period is not sent yet. Returns the rows written."""
    now = now or timezone.now()
    written = 0
    for digest in ReportDigest.objects.filter(enabled=True):
        start, _ = last_period(digest.frequency, now)
        if digest.last_period_start is None or digest.last_period_start < start:
            written += send_digest(digest.pk, now)
    return written


@transaction.atomic
def send_digest(digest_id: int, now: datetime | None = None) -> int:
    """Write the outbox rows of DIGEST_ID's last complete period, once. Returns the rows written (0 if already sent)."""
    now = now or timezone.now()
    digest = ReportDigest.objects.filter(pk=digest_id, enabled=True).first()
    if digest is None:
        return 0
    start, end = last_period(digest.frequency, now)
    claimed = (
        ReportDigest.objects.filter(pk=digest_id)
        .filter(Q(last_period_start__isnull=True) | Q(last_period_start__lt=start))
        .update(last_period_start=start, last_sent_at=now)
    )
    if not claimed:
        return 0
    groups = list(digest.groups.values_list("pk", flat=True))
    if not groups:
        return 0
    subject, body = compose(digest, start, end, now)
    return providers.email_group_members(groups, subject, body)


# --- The mail --------------------------------------------------------------------------------------


def compose(digest: ReportDigest, start: datetime, end: datetime, now: datetime) -> tuple[str, str]:
    first, last = start.date(), (end - timedelta(days=1)).date()
    span = f"{_day(first)} to {_day(last)} (UTC)"
    kind = "Weekly" if digest.frequency == ReportDigest.Frequency.WEEKLY else "Monthly"
    due_by = next_period_end(digest.frequency, end).date() - timedelta(days=1)
    sections = [
        f"{kind} report “{digest.name}”: {span}.",
        _uptime_section(start, end),
        _incident_section(start, end, now),
        _action_item_section(now.astimezone(UTC).date(), due_by),
        f"The full reports: {_reports_url(first, last)}",
    ]
    return f"[Vigil] {kind} report: {span}", "\n\n".join(sections) + "\n"


def uptime_lines(start: datetime, end: datetime) -> list[str]:
    lines = []
    for component, seconds in figures.component_seconds({"period": (start, end)}):
        slo = f"SLO {component['slo']:.3f}%"
        row = figures.budget(component["slo"], *seconds["period"])
        if row["uptime_pct"] is None:
            lines.append(f"- {component['name']}: no data ({slo})")
            continue
        verdict = "met" if row["uptime_pct"] >= float(component["slo"]) else "missed"
        left_pct = "" if row["budget_left_pct"] is None else f" ({row['budget_left_pct']:.2f}%)"
        lines.append(
            f"- {component['name']}: {row['uptime_pct']:.3f}% ({slo}, {verdict}); down "
            f"{row['downtime_minutes']:.2f} min; error budget left {row['budget_left_minutes']:.2f} "
            f"of {row['budget_minutes']:.2f} min{left_pct}"
        )
    return lines


def _uptime_section(start: datetime, end: datetime) -> str:
    lines = uptime_lines(start, end)
    return "UPTIME PER COMPONENT\n" + ("\n".join(lines) if lines else "No components.")


def incident_lines(start: datetime, end: datetime, now: datetime) -> tuple[list[str], int]:
    incidents = Incident.objects.filter(started_at__gte=start, started_at__lt=end, merged_into__isnull=True)
    rows = list(incidents.order_by("started_at", "pk")[: LISTED + 1])
    total = len(rows) if len(rows) <= LISTED else incidents.count()
    lines = []
    for incident in rows[:LISTED]:
        started = incident.started_at.astimezone(UTC).strftime("%a %d %b %H:%M UTC")
        if incident.resolved_at:
            lasted = f"resolved after {duration(incident.resolved_at - incident.started_at)}"
        else:
            lasted = f"ongoing, {duration(now - incident.started_at)} so far"
        lines.append(
            f"- #{incident.pk} {incident.get_severity_display()} {incident.title}: started {started}, {lasted}"
        )
    return lines, total


def _incident_section(start: datetime, end: datetime, now: datetime) -> str:
    lines, total = incident_lines(start, end, now)
    if not total:
        return "INCIDENTS\nNone started in this period."
    more = f"\n… and {total - len(lines)} more." if total > len(lines) else ""
    return f"INCIDENTS ({total})\n" + "\n".join(lines) + more


def action_item_lines(today: date, due_by: date) -> tuple[list[str], int]:
    """Open items overdue or due by DUE_BY, soonest first."""
    items = ActionItem.objects.filter(
        status__in=[ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS], due_date__lte=due_by
    ).select_related("owner")
    rows = list(items.order_by("due_date", "pk")[: LISTED + 1])
    total = len(rows) if len(rows) <= LISTED else items.count()
    lines = []
    for item in rows[:LISTED]:
        when = f"overdue since {_day(item.due_date)}" if item.due_date < today else f"due {_day(item.due_date)}"
        owner = item.owner.get_username() if item.owner else "no owner"
        lines.append(f"- {item.title} ({when}, {owner})")
    return lines, total


def _action_item_section(today: date, due_by: date) -> str:
    lines, total = action_item_lines(today, due_by)
    if not total:
        return f"ACTION ITEMS DUE\nNone overdue or due by {_day(due_by)}."
    more = f"\n… and {total - len(lines)} more." if total > len(lines) else ""
    return f"ACTION ITEMS DUE BY {_day(due_by).upper()} ({total})\n" + "\n".join(lines) + more


def duration(span: timedelta) -> str:
    """Whole minutes, in days, hours and minutes: "1 d 2 h 5 min", "45 min"."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part) or "under a minute"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _reports_url(first: date, last: date) -> str:
    query = urlencode({"from": first.isoformat(), "to": last.isoformat()})
    return f"{settings.VIGIL_BASE_URL}{reverse('postmortems:reports')}?{query}"
